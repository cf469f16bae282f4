// One request's detail (GET /admin/requests/{id}): routing decision and reason, attempts and their
// errors, timings, tokens, quality signals; thumbs up or down through POST /v1/feedback.

import { api } from "../api.js";
import { badge, errorBox, fmt, h, mount, section } from "../dom.js";
import { go } from "../nav.js";

function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(Boolean).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")]));
}

function signals(sig) {
  if (!sig || typeof sig !== "object") return h("p", { class: "muted" }, "no classifier signals logged");
  return kv(Object.entries(sig).map(([k, v]) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)]));
}

// A thumb drawn in SVG (emoji fonts are not everywhere).
function thumb(down) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", down ? "thumb down" : "thumb");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M2 21h4V9H2v12zm20-11c0-1.1-.9-2-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z");
  svg.append(path);
  return svg;
}

function quality(list) {
  if (!list || !list.length) return h("p", { class: "muted", id: "quality" }, "no quality signal recorded yet");
  return h("ul", { class: "signals", id: "quality" }, list.map((q) =>
    h("li", {}, h("strong", {}, q.kind), ` ${q.score >= 0.5 ? "good" : "bad"} (${q.score})`, q.label ? ` · ${q.label}` : "",
      h("span", { class: "muted" }, ` · ${q.source || "–"} · ${fmt.time(q.ts)}`))));
}

function feedback(id) {
  const note = h("span", { class: "muted", id: "feedback-note" }, "Was this answer good?");
  const send = async (score, label) => {
    try {
      await api("/v1/feedback", { method: "POST", body: { request_id: id, score, label } });
      note.textContent = `Thanks: recorded "${label}".`;
      const fresh = await api(`/admin/requests/${encodeURIComponent(id)}`);
      document.getElementById("quality")?.replaceWith(quality(fresh.quality));
    } catch (err) {
      note.replaceChildren(errorBox(err));
    }
  };
  return h("div", { class: "feedback" },
    h("button", { id: "thumb-up", title: "good answer", "aria-label": "thumbs up", onclick: () => send(1, "thumbs up") }, thumb(false), " Good"),
    h("button", { id: "thumb-down", title: "bad answer", "aria-label": "thumbs down", onclick: () => send(0, "thumbs down") }, thumb(true), " Bad"),
    note);
}

// The operator's correction of the category (POST /admin/classify/corrections): the stored body (log_bodies)
// becomes a training example for the next retrain (the Tuning page's button).
const CATEGORIES = ["coding", "tool_calling", "prose", "vision"];

function correction(r) {
  const select = h("select", { id: "correct-category", "aria-label": "corrected category" },
    CATEGORIES.map((c) => h("option", { value: c, selected: c === r.category }, c)));
  const note = h("span", { class: "muted", id: "correction-note" }, "Wrong category? Say which it is.");
  const send = async () => {
    try {
      const res = await api("/admin/classify/corrections", {
        method: "POST", body: { request_id: r.id, category: select.value, previous: r.category },
      });
      note.textContent = `Recorded: ${res.category}. Retrain on the Tuning page to apply it.`;
    } catch (err) {
      note.replaceChildren(errorBox(err));
    }
  };
  return h("div", { class: "feedback" }, select, h("button", { id: "correct-submit", onclick: send }, "Correct"), note);
}

export async function render(view, route) {
  const r = await api(`/admin/requests/${encodeURIComponent(route.arg)}`);
  const chain = Array.isArray(r.chain) ? r.chain : [];
  const errors = Array.isArray(r.attempt_errors) ? r.attempt_errors : [];
  const accept = r.draft_proposed ? fmt.pct(r.draft_accepted / r.draft_proposed) : "–";
  mount(
    view,
    h("div", { class: "page-head" },
      h("button", { class: "link", onclick: () => history.length > 1 ? history.back() : go("requests") }, "← Requests"),
      h("h1", {}, "Request ", h("code", { id: "request-id" }, r.id)), badge(r.status)),
    h("div", { class: "cols" },
      section("Routing decision",
        kv([
          ["category", r.category], ["rule", h("code", {}, r.rule || "–")], ["reason", h("span", { id: "reason" }, r.reason || "–")],
          ["chain", chain.length ? chain.join(" → ") : "–"], ["served by", h("strong", { id: "served-by" }, r.backend || "none")],
          ["policy probability", r.probability === null ? "–" : r.probability.toFixed(3)],
          ["model requested", r.model_requested],
        ]),
        h("h3", {}, "Classifier signals"), signals(r.signals),
        h("h3", {}, "Correct the category"), correction(r)),
      section("Attempts",
        kv([["attempts", String(r.attempts)], ["fell back", r.attempts > 1 ? "yes" : "no"]]),
        errors.length
          ? h("ol", { class: "attempts" }, errors.map((e) => h("li", {}, h("strong", {}, e.backend), ": ", e.error)))
          : h("p", { class: "muted" }, "no attempt failed"),
        h("h3", {}, "Timings"),
        kv([
          ["time to first token", fmt.ms(r.ttft_ms)], ["total latency", fmt.ms(r.latency_ms)],
          ["gateway overhead", fmt.ms(r.overhead_ms)], ["decode tokens/s", fmt.num(r.decode_tps)],
        ])),
      section("Tokens and cost",
        kv([
          ["input", fmt.num(r.input_tokens)], ["output", fmt.num(r.output_tokens)], ["cached", fmt.num(r.cached_tokens)],
          ["counts", r.tokens_estimated ? "estimated (upstream sent no usage)" : "from the upstream"],
          ["cost", fmt.usd(r.cost_usd)], ["draft tokens accepted", `${fmt.num(r.draft_accepted)} / ${fmt.num(r.draft_proposed)} (${accept})`],
        ])),
      section("Quality signals",
        kv([
          ["status", badge(r.status)], ["HTTP status", String(r.http_status)], ["finish reason", r.finish_reason],
          ["error", r.error], ["client", r.client], ["dialect", `${r.dialect} ${r.path}`], ["stream", r.stream ? "yes" : "no"],
          ["key id", r.key_id], ["time", fmt.time(r.ts)],
        ]),
        h("h3", {}, "Signals and feedback"), quality(r.quality), feedback(r.id)),
    ),
    section("Bodies",
      r.body && r.body.logged
        ? h("pre", { class: "body" }, r.body.text)
        : h("p", { class: "muted", id: "body-note" }, `The request body is not shown: ${r.body ? r.body.reason : "not logged"}.`)),
  );
}
