// Hand-drawn SVG charts: a time-series line chart and a horizontal bar chart. No dependencies.

const NS = "http://www.w3.org/2000/svg";
export const PALETTE = ["#2563eb", "#e11d48", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#65a30d"];

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function niceStep(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// A round axis maximum and its grid step (at most 5 steps), for values up to `v`.
export function axis(v, integer = false) {
  if (!(v > 0)) return { max: integer ? 4 : 1, step: integer ? 1 : 0.25 };
  let step = niceStep(v / 4);
  if (integer) step = Math.max(1, Math.ceil(step));
  return { max: step * Math.ceil(v / step - 1e-9), step };
}

function niceMax(v) {
  return axis(v).max;
}

function legend(series) {
  const box = document.createElement("div");
  box.className = "legend";
  series.forEach((sr, i) => {
    const item = document.createElement("span");
    const sw = document.createElement("i");
    sw.className = "swatch";
    sw.style.background = sr.color || PALETTE[i % PALETTE.length];
    item.append(sw, document.createTextNode(sr.name));
    box.append(item);
  });
  return box;
}

// series: [{name, values: [number|null], color?}], t: [unix seconds], fmt: value formatter.
export function lineChart({ title, t, series, fmt = String, fmtTime = String, height = 180, width = 520, area = false }) {
  const fig = document.createElement("figure");
  fig.className = "chart";
  const pad = { l: 52, r: 10, t: 10, b: 24 };
  const W = width - pad.l - pad.r;
  const H = height - pad.t - pad.b;
  const all = series.flatMap((sr) => sr.values).filter((v) => v !== null && v !== undefined);
  const integer = all.every((v) => Number.isInteger(v));
  const { max: ymax, step } = axis(Math.max(0, ...all), integer);
  const n = t.length;
  const x = (i) => pad.l + (n <= 1 ? W / 2 : (i * W) / (n - 1));
  const y = (v) => pad.t + H - (v / ymax) * H;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart-svg" });
  for (let k = 0; k * step <= ymax + 1e-9; k++) {
    const v = k * step;
    svg.append(s("line", { x1: pad.l, x2: pad.l + W, y1: y(v), y2: y(v), class: "grid-line" }));
    svg.append(s("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, fmt(v)));
  }
  const ticks = Math.min(6, n);
  for (let k = 0; k < ticks; k++) {
    const i = Math.round((k * (n - 1)) / Math.max(1, ticks - 1));
    const anchor = k === 0 && ticks > 1 ? "start" : k === ticks - 1 && ticks > 1 ? "end" : "middle";
    svg.append(s("text", { x: x(i), y: height - 6, "text-anchor": anchor, class: "tick" }, fmtTime(t[i])));
  }
  series.forEach((sr, si) => {
    const color = sr.color || PALETTE[si % PALETTE.length];
    let d = "";
    let pen = false;
    sr.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (area && d) {
      const first = sr.values.findIndex((v) => v !== null && v !== undefined);
      const last = sr.values.length - 1 - [...sr.values].reverse().findIndex((v) => v !== null && v !== undefined);
      svg.append(s("path", { d: `${d}L${x(last)},${y(0)}L${x(first)},${y(0)}Z`, fill: color, "fill-opacity": 0.12 }));
    }
    svg.append(s("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round", class: "series" }));
    sr.values.forEach((v, i) => {
      if (v === null || v === undefined || (v === 0 && sr.values.length > 24)) return;
      const dot = s("circle", { cx: x(i), cy: y(v), r: 2.5, fill: color, class: "point" });
      dot.append(s("title", {}, `${sr.name} · ${fmtTime(t[i])}: ${fmt(v)}`));
      svg.append(dot);
    });
  });
  if (!all.length) svg.append(s("text", { x: pad.l + W / 2, y: pad.t + H / 2, "text-anchor": "middle", class: "no-data" }, "no data in this window"));
  const cap = document.createElement("figcaption");
  cap.textContent = title;
  fig.append(cap, svg);
  if (series.length > 1) fig.append(legend(series));
  return fig;
}

// items: [{label, values: [number|null]}], names: the value names (one colour each).
export function barChart({ title, items, names, fmt = String, width = 520 }) {
  const fig = document.createElement("figure");
  fig.className = "chart";
  const rowH = 14 * names.length + 10;
  const pad = { l: 120, r: 70, t: 6, b: 6 };
  const height = pad.t + pad.b + Math.max(1, items.length) * rowH;
  const W = width - pad.l - pad.r;
  const vmax = niceMax(Math.max(0, ...items.flatMap((it) => it.values.filter((v) => v !== null && v !== undefined))));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart-svg" });
  items.forEach((it, r) => {
    const y0 = pad.t + r * rowH;
    svg.append(s("text", { x: pad.l - 8, y: y0 + rowH / 2 + 4, "text-anchor": "end", class: "label" }, it.label));
    it.values.forEach((v, k) => {
      const yy = y0 + 4 + k * 14;
      const w = v ? Math.max(1, (v / vmax) * W) : 0;
      const bar = s("rect", { x: pad.l, y: yy, width: w, height: 11, rx: 2, fill: PALETTE[k % PALETTE.length], class: "bar" });
      bar.append(s("title", {}, `${it.label} · ${names[k]}: ${v === null || v === undefined ? "–" : fmt(v)}`));
      svg.append(bar);
      svg.append(s("text", { x: pad.l + w + 4, y: yy + 9, class: "value" }, v === null || v === undefined ? "–" : fmt(v)));
    });
  });
  if (!items.length) svg.append(s("text", { x: width / 2, y: height / 2 + 4, "text-anchor": "middle", class: "no-data" }, "no data"));
  const cap = document.createElement("figcaption");
  cap.textContent = title;
  fig.append(cap, svg);
  if (names.length > 1) fig.append(legend(names.map((name) => ({ name }))));
  return fig;
}
