// Backends: health (cached probes), capabilities, cooldowns (GET /admin/routing/state) and speed
// measured from the request log (GET /admin/backends).

import { api } from "../api.js";
import { badge, fmt, h, mount, section, table } from "../dom.js";

function health(hl) {
  if (!hl || hl.ok === null || hl.ok === undefined) return badge("unknown", "cancelled");
  return hl.ok ? badge("up", "ok") : h("span", {}, badge("down", "error"), hl.error ? h("span", { class: "muted" }, " " + hl.error) : null);
}

function caps(c) {
  const on = ["vision", "tools", "fim"].filter((k) => c[k]);
  return `${on.length ? on.join(", ") : "text only"} · ${fmt.num(c.context_window)} ctx`;
}

export async function render(view) {
  const [data, state] = await Promise.all([
    api("/admin/backends", { query: { window: "1h" } }),
    api("/admin/routing/state").catch((err) => ({ error: err })),
  ]);
  const cooldowns = state.error ? null : state.cooldowns || {};
  const cooldown = (name) => {
    if (cooldowns === null) return "n/a";
    const left = cooldowns[name];
    return left > 0 ? badge(`cooling down ${Math.ceil(left)} s`, "error") : "none";
  };
  mount(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Backends"),
      h("span", { class: "muted" }, "health is probed at most every 10 s without costing a completion; speed is measured over the last hour")),
    section("Backends", table(
      [
        { label: "backend", render: (b) => h("strong", {}, b.name) },
        { label: "kind", render: (b) => b.kind || "–" },
        { label: "model", render: (b) => h("code", {}, b.model) },
        { label: "health", render: (b) => health(b.health) },
        { label: "cooldown", render: (b) => cooldown(b.name) },
        { label: "capabilities", render: (b) => caps(b.capabilities) },
        { label: "price in/out per Mtok", render: (b) => `${fmt.usd(b.price.input_per_mtok)} / ${fmt.usd(b.price.output_per_mtok)}` },
        { label: "requests", num: true, render: (b) => fmt.num(b.speed.requests) },
        { label: "errors", num: true, render: (b) => fmt.pct(b.speed.error_rate) },
        { label: "TTFT p50", num: true, render: (b) => fmt.ms(b.speed.ttft_p50_ms) },
        { label: "latency p50", num: true, render: (b) => fmt.ms(b.speed.latency_p50_ms) },
        { label: "tokens/s", num: true, render: (b) => h("span", { title: `over ${fmt.num(b.speed.tokens_per_s_requests)} requests` }, fmt.num(b.speed.tokens_per_s)) },
        { label: "draft accept", num: true, render: (b) => fmt.pct(b.speed.draft_acceptance) },
      ],
      data.backends,
      { empty: "No backend is configured." },
    )),
    section("Routing state",
      cooldowns === null
        ? h("p", { class: "muted" }, `Cooldowns and sticky sessions are not available: ${state.error.message}.`)
        : h("p", {}, `${Object.values(cooldowns).filter((s) => s > 0).length} backend(s) cooling down; ${state.sticky_sessions ?? 0} sticky session(s).`)),
  );
}
