// Requests: the request log with filters and keyset paging (GET /admin/requests). No total count:
// pages go older from a cursor, and "Newer" walks back through the cursors already seen.

import { api } from "../api.js";
import { badge, fmt, h, mount, table } from "../dom.js";
import { go } from "../nav.js";

const RANGES = { "": "any time", "15m": "last 15 min", "1h": "last hour", "24h": "last 24 h", "7d": "last 7 days" };
const SPAN = { "15m": 900, "1h": 3600, "24h": 86400, "7d": 7 * 86400 };
const FIELDS = ["range", "from", "to", "category", "backend", "status", "client", "key_id"];

// <input type="datetime-local"> value (local time) <-> unix seconds
function toUnix(local) {
  const t = Date.parse(local);
  return Number.isNaN(t) ? "" : String(Math.floor(t / 1000));
}
const trail = []; // cursors of the pages before this one, for "Newer"

function select(name, value, options, label) {
  return h("label", {}, label,
    h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
}

function shortId(id) {
  return id.length > 14 ? id.slice(0, 12) + "…" : id;
}

export async function render(view, route) {
  const q = route.query;
  const f = Object.fromEntries(FIELDS.map((k) => [k, q.get(k) || ""]));
  const cursor = q.get("cursor") || "";
  const query = { category: f.category, backend: f.backend, status: f.status, client: f.client, key_id: f.key_id, cursor, limit: 50 };
  if (SPAN[f.range]) query.since = Math.floor(Date.now() / 1000) - SPAN[f.range];
  if (f.from) query.since = toUnix(f.from);
  if (f.to) query.until = toUnix(f.to);
  const page = await api("/admin/requests", { query });
  const facets = page.facets;
  const form = h("form", { class: "filters", id: "filters" },
    select("range", f.range, Object.entries(RANGES), "time"),
    h("label", {}, "from", h("input", { name: "from", type: "datetime-local", value: f.from })),
    h("label", {}, "to", h("input", { name: "to", type: "datetime-local", value: f.to })),
    select("category", f.category, [["", "any"], ...facets.categories.map((c) => [c, c])], "category"),
    select("backend", f.backend, [["", "any"], ...facets.backends.map((b) => [b, b])], "backend"),
    select("status", f.status, [["", "any"], ...facets.statuses.map((s) => [s, s])], "status"),
    h("label", {}, "client", h("input", { name: "client", value: f.client, placeholder: "e.g. claude-code", size: 12 })),
    h("label", {}, "key id", h("input", { name: "key_id", value: f.key_id, placeholder: "key id", size: 10 })),
    h("button", { type: "submit", class: "primary" }, "Apply"),
    h("button", { type: "button", onclick: () => go("requests") }, "Clear"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    trail.length = 0;
    go("requests", "", Object.fromEntries(new FormData(form)));
  });
  form.addEventListener("change", (ev) => {
    if (ev.target.tagName === "SELECT" || ev.target.type === "datetime-local") form.requestSubmit();
  });
  const filters = Object.fromEntries(FIELDS.map((k) => [k, f[k]]));
  const older = () => {
    trail.push(cursor);
    go("requests", "", { ...filters, cursor: page.next_cursor });
  };
  const newer = () => go("requests", "", { ...filters, cursor: trail.pop() || "" });
  const rows = page.items;
  mount(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Requests"),
      h("span", { class: "muted" }, "newest first; click a row for its routing decision, attempts and timings")),
    form,
    table(
      [
        { label: "time", render: (r) => fmt.time(r.ts) },
        { label: "id", render: (r) => h("code", { title: r.id }, shortId(r.id)) },
        { label: "client", render: (r) => r.client || "–" },
        { label: "category", render: (r) => r.category || "–" },
        { label: "backend", render: (r) => r.backend || "–" },
        { label: "rule", render: (r) => r.rule || "–" },
        { label: "status", render: (r) => badge(r.status) },
        { label: "tries", num: true, render: (r) => r.attempts },
        { label: "TTFT", num: true, render: (r) => fmt.ms(r.ttft_ms) },
        { label: "latency", num: true, render: (r) => fmt.ms(r.latency_ms) },
        { label: "in / out", num: true, render: (r) => `${fmt.num(r.input_tokens)} / ${fmt.num(r.output_tokens)}` },
        { label: "tok/s", num: true, render: (r) => fmt.num(r.decode_tps) },
      ],
      rows,
      { onRow: (r) => go("request", r.id), empty: "No logged request matches these filters." },
    ),
    h("div", { class: "pager" },
      h("button", { id: "newer", disabled: !cursor, onclick: newer }, "← Newer"),
      h("span", { class: "muted" }, `${rows.length} shown`),
      h("button", { id: "older", disabled: !page.next_cursor, onclick: older }, "Older →")),
  );
}
