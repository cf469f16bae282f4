// Tuning: the tuner's proposals (GET /admin/tuning) with their predicted effect and confidence;
// applying one (POST /admin/tuning/apply) creates a new rule version. Below them, the classifier's
// retraining and versions (./classifier.js).

import { api } from "../api.js";
import { errorBox, fmt, h, mount, section, table } from "../dom.js";
import { go } from "../nav.js";
import { classifierCard } from "./classifier.js";

function value(key, v) {
  if (typeof v !== "number") return v === null || v === undefined ? "–" : JSON.stringify(v);
  if (key.endsWith("_ms")) return fmt.ms(v);
  if (key.includes("cost")) return fmt.usd(v);
  if (key === "share" || key.includes("rate") || key === "confidence") return fmt.pct(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

function predicted(p) {
  if (!p || typeof p !== "object") return h("p", { class: "muted" }, "no prediction");
  return h("dl", { class: "kv" }, Object.entries(p).flatMap(([k, v]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, value(k, v))]));
}

function changes(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return table(
    [
      { label: "category", render: (c) => c.category },
      { label: "difficulty", render: (c) => c.difficulty ?? "any" },
      { label: "from", render: (c) => c.from },
      { label: "to", render: (c) => h("strong", {}, c.to) },
      { label: "Δ utility", num: true, render: (c) => value("delta_utility", c.delta_utility) },
      { label: "confidence", num: true, render: (c) => fmt.pct(c.confidence) },
      { label: "share of traffic", num: true, render: (c) => fmt.pct(c.share) },
    ],
    list,
  );
}

export async function render(view) {
  const data = await api("/admin/tuning");
  const proposals = data.proposals || [];
  const apply = async (p, box) => {
    try {
      const res = await api("/admin/tuning/apply", { method: "POST", body: { id: p.id } });
      mount(box, h("p", { class: "ok" }, `Applied: rules are now version ${res.version}. `,
        h("a", { href: "#/rules", onclick: () => go("rules") }, "See the rules")));
    } catch (err) {
      mount(box, errorBox(err));
    }
  };
  mount(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Tuning"),
      h("span", { class: "muted" }, "proposals the tuner derived from the request log; applying one creates a rule version you can roll back")),
    proposals.length
      ? h("div", { class: "proposals" }, proposals.map((p) => {
          const box = h("div", {});
          const conf = typeof p.confidence === "number" ? p.confidence : null;
          return section(p.description || p.id,
            h("div", { class: "cols" },
              h("div", {}, h("h3", {}, "Predicted effect"), predicted(p.predicted)),
              h("div", {}, h("h3", {}, "Confidence"),
                h("div", { class: "meter", title: conf === null ? "unknown" : fmt.pct(conf) },
                  h("div", { class: "meter-fill", style: `width:${conf === null ? 0 : Math.round(conf * 100)}%` })),
                h("span", {}, conf === null ? "–" : fmt.pct(conf)))),
            changes(p.changes),
            h("details", {}, h("summary", {}, "The rules it would apply"), h("pre", { class: "syntax" }, p.yaml || "–")),
            h("div", { class: "toolbar" }, h("button", { class: "primary apply-proposal", onclick: () => apply(p, box) }, "Apply")),
            box);
        }))
      : section("No proposals", h("p", { class: "muted" }, "The tuner has nothing to propose yet: it needs logged requests with quality signals.")),
    classifierCard(),
  );
}
