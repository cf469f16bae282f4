// Overview: totals, time series and per-backend / per-category bars from GET /admin/stats/overview.

import { api } from "../api.js";
import { barChart, lineChart } from "../charts.js";
import { fmt, h, mount, section, stat, table } from "../dom.js";
import { go, parseHash } from "../nav.js";

const WINDOWS = ["15m", "1h", "6h", "24h", "7d", "30d"];
// Refreshes read only the open tail of the window (the server keeps closed buckets); long windows change slowly.
const REFRESH_S = { "15m": 15, "1h": 15, "6h": 30, "24h": 30, "7d": 60, "30d": 60 };
let timer = null;

export function leave() {
  clearInterval(timer);
  timer = null;
}

function metricsTable(rows) {
  return table(
    [
      { label: "name", key: "name" },
      { label: "requests", num: true, render: (r) => fmt.num(r.requests) },
      { label: "error rate", num: true, render: (r) => fmt.pct(r.error_rate) },
      { label: "fallbacks", num: true, render: (r) => fmt.num(r.fallbacks) },
      { label: "TTFT p50", num: true, render: (r) => fmt.ms(r.ttft_p50_ms) },
      { label: "TTFT p95", num: true, render: (r) => fmt.ms(r.ttft_p95_ms) },
      { label: "latency p50", num: true, render: (r) => fmt.ms(r.latency_p50_ms) },
      { label: "latency p95", num: true, render: (r) => fmt.ms(r.latency_p95_ms) },
      { label: "tokens/s", num: true, render: (r) => fmt.num(r.tokens_per_s) },
      { label: "draft accept", num: true, render: (r) => fmt.pct(r.draft_acceptance) },
      { label: "cost", num: true, render: (r) => fmt.usd(r.cost_usd) },
    ],
    rows,
  );
}

function bars(title, rows, keys, names, f) {
  return barChart({ title, items: rows.map((r) => ({ label: r.name, values: keys.map((k) => r[k]) })), names, fmt: f });
}

export async function render(view, route) {
  const window = WINDOWS.includes(route.query.get("window")) ? route.query.get("window") : "1h";
  const backend = route.query.get("backend") || "";
  const category = route.query.get("category") || "";
  const [data, page] = await Promise.all([
    api("/admin/stats/overview", { query: { window, backend, category } }),
    api("/admin/requests", { query: { limit: 1 } }), // for the filter choices (configured backends)
  ]);
  if (parseHash().page !== "overview") return;
  const T = data.totals;
  const S = data.series;
  const long = data.step_s >= 3600;
  const ft = (ts) => fmt.clock(ts, long);
  const state = { window, backend, category };
  const picker = h("div", { class: "segmented", role: "group", "aria-label": "time window" },
    WINDOWS.map((w) => h("button", { class: w === window ? "on" : null, "data-window": w, onclick: () => go("overview", "", { ...state, window: w }) }, w)));
  const choose = (name, value, options) =>
    h("select", { name, "aria-label": name, onchange: (ev) => go("overview", "", { ...state, [name]: ev.target.value }) },
      h("option", { value: "" }, `every ${name}`),
      options.map((o) => h("option", { value: o, selected: o === value }, o)));
  const byBackend = Object.entries(S.requests_by_backend).map(([name, values]) => ({ name, values }));
  const line = (title, series, f, opts = {}) => lineChart({ title, t: S.t, series, fmt: f, fmtTime: ft, ...opts });
  mount(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Overview"), picker,
      choose("backend", backend, page.facets.backends), choose("category", category, page.facets.categories),
      h("span", { class: "muted" }, `${fmt.time(data.since)} – ${fmt.time(data.until)}, refreshes every ${REFRESH_S[window] >= 60 ? REFRESH_S[window] / 60 + " min" : REFRESH_S[window] + " s"}`)),
    h("div", { class: "stats", id: "totals" },
      stat("requests", fmt.num(T.requests)),
      stat("error rate", fmt.pct(T.error_rate), `${fmt.num(T.errors)} errors`),
      stat("fallbacks", fmt.num(T.fallbacks)),
      stat("TTFT p50 / p95", `${fmt.ms(T.ttft_p50_ms)} / ${fmt.ms(T.ttft_p95_ms)}`),
      stat("latency p50 / p95", `${fmt.ms(T.latency_p50_ms)} / ${fmt.ms(T.latency_p95_ms)}`),
      stat("decode tokens/s", fmt.num(T.tokens_per_s), `over ${fmt.num(T.tokens_per_s_requests)} requests`),
      stat("draft acceptance", fmt.pct(T.draft_acceptance), `${fmt.num(T.draft_accepted)} / ${fmt.num(T.draft_proposed)} tokens`),
      stat("cost", fmt.usd(T.cost_usd)),
    ),
    h("div", { class: "charts" },
      line("Requests by backend", byBackend.length ? byBackend : [{ name: "requests", values: S.requests }], fmt.num, { area: byBackend.length <= 1 }),
      line("Errors and fallbacks", [{ name: "errors", values: S.errors, color: "#e11d48" }, { name: "fallbacks", values: S.fallbacks, color: "#d97706" }], fmt.num),
      line("Latency", [{ name: "p50", values: S.latency_p50_ms }, { name: "p95", values: S.latency_p95_ms }], fmt.ms),
      line("Time to first token", [{ name: "p50", values: S.ttft_p50_ms }, { name: "p95", values: S.ttft_p95_ms }], fmt.ms),
      line("Decode tokens/s", [{ name: "tokens/s", values: S.tokens_per_s, color: "#059669" }], fmt.num),
      line("Draft acceptance", [{ name: "accepted / proposed", values: S.draft_acceptance, color: "#7c3aed" }], fmt.pct),
    ),
    h("div", { class: "charts" },
      bars("Requests by backend", data.by_backend, ["requests"], ["requests"], fmt.num),
      bars("Requests by category", data.by_category, ["requests"], ["requests"], fmt.num),
      bars("Latency by backend", data.by_backend, ["latency_p50_ms", "latency_p95_ms"], ["p50", "p95"], fmt.ms),
      bars("TTFT by backend", data.by_backend, ["ttft_p50_ms", "ttft_p95_ms"], ["p50", "p95"], fmt.ms),
      bars("Latency by category", data.by_category, ["latency_p50_ms", "latency_p95_ms"], ["p50", "p95"], fmt.ms),
      bars("Decode tokens/s by backend", data.by_backend, ["tokens_per_s"], ["tokens/s"], fmt.num),
      bars("Error rate by category", data.by_category, ["error_rate"], ["error rate"], fmt.pct),
      bars("Fallbacks by backend", data.by_backend, ["fallbacks"], ["fallbacks"], fmt.num),
      bars("Draft acceptance by backend", data.by_backend, ["draft_acceptance"], ["accepted / proposed"], fmt.pct),
    ),
    section("By backend", metricsTable(data.by_backend)),
    section("By category", metricsTable(data.by_category)),
  );
  leave();
  timer = setInterval(() => {
    if (document.visibilityState === "visible") render(view, route).catch(() => null);
  }, REFRESH_S[window] * 1000);
}
