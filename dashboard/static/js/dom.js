// Tiny DOM helpers. Everything the server sends is put in the page as text (textContent), never as
// HTML, so a client name or an error message cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const fmt = {
  ms(v) {
    if (v === null || v === undefined) return "–";
    if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 1 : 2) + " s";
    if (v >= 100) return Math.round(v) + " ms";
    return v.toFixed(1) + " ms";
  },
  pct(v) {
    return v === null || v === undefined ? "–" : (v * 100).toFixed(v < 0.1 ? 2 : 1) + "%";
  },
  num(v) {
    if (v === null || v === undefined) return "–";
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1) + "k";
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  },
  usd(v) {
    return v === null || v === undefined ? "–" : "$" + v.toFixed(v < 1 ? 4 : 2);
  },
  time(ts) {
    if (!ts) return "–";
    const d = new Date(ts * 1000);
    return d.toLocaleString(undefined, { hour12: false });
  },
  clock(ts, withDate) {
    const d = new Date(ts * 1000);
    const hm = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
    return withDate ? `${d.getMonth() + 1}/${d.getDate()} ${hm}` : hm;
  },
};

export function stat(label, value, note) {
  return h("div", { class: "stat" }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label),
    note ? h("div", { class: "stat-note" }, note) : null);
}

export function table(columns, rows, { onRow, empty = "Nothing to show." } = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.label)));
  const body = rows.length
    ? rows.map((r) => {
        const tr = h("tr", { class: onRow ? "clickable" : null },
          columns.map((c) => h("td", { class: c.num ? "num" : null }, c.render ? c.render(r) : r[c.key] ?? "–")));
        if (onRow) tr.addEventListener("click", () => onRow(r));
        return tr;
      })
    : [h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty))];
  return h("table", { class: "grid" }, h("thead", {}, head), h("tbody", {}, body));
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind || text}` }, text);
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

export function errorBox(err) {
  return h("div", { class: "error-box", role: "alert" }, String(err && err.message ? err.message : err));
}
