// The Tuning page's classifier card: retrain on the operator's corrections as a background job
// (POST /admin/classify/retrain, then GET /admin/classify/retrain/{id} once a second for its stage and
// progress), the versions it installed (GET /admin/classify/versions), and rollback to any of them or to
// the shipped weights (POST /admin/classify/rollback). Leaving the page stops the polling; coming back
// picks up a job still under way.

import { api } from "../api.js";
import { badge, errorBox, fmt, h, mount, section, table } from "../dom.js";

const POLL_MS = 1000;
const ENDED = new Set(["done", "failed", "lost"]);

function outcome(job) {
  if (job.state === "done") {
    const res = job.result || {};
    const f1 = res.held_out ? ` Macro F1 on ${res.held_out} held-out corrections: ${res.f1_before} → ${res.f1_after}.` : "";
    return h("p", { class: "ok" }, `Installed classifier v${res.version}, trained with ${res.corrections} corrections in ${Math.round(job.elapsed_s)} s.${f1}`);
  }
  if (job.state === "lost") return errorBox(`Retrain job ${job.id} stopped reporting (its process ended with its replica).`);
  return errorBox(`Retrain job ${job.id} failed: ${job.error || "no reason given"}`);
}

function progress(job) {
  const pct = Math.round((job.progress || 0) * 100);
  return h("div", { class: "retrain-progress" },
    h("div", { class: "meter", role: "progressbar", "aria-valuenow": pct, "aria-valuemin": 0, "aria-valuemax": 100 },
      h("div", { class: "meter-fill", style: `width:${pct}%` })),
    h("span", { class: "muted", id: "retrain-stage" }, `Job ${job.id}: ${job.stage} (${pct}%, ${Math.round(job.elapsed_s)} s)`));
}

function versionsTable(data, onActivate) {
  const rows = [...(data.versions || [])].reverse();
  const shipped = h("button", { id: "use-shipped", disabled: data.active === null, onclick: () => onActivate("shipped") },
    "Use the shipped weights");
  return h("div", {},
    h("h3", {}, "Versions"),
    table(
      [
        { label: "version", render: (v) => h("span", {}, `v${v.version} `, v.active ? badge("active", "ok") : null) },
        { label: "installed", render: (v) => fmt.time(v.ts) },
        { label: "corrections", num: true, render: (v) => String(v.corrections) },
        { label: "held-out F1", render: (v) => (v.f1_before === null ? "–" : `${v.f1_before} → ${v.f1_after}`) },
        { label: "", render: (v) => (v.active ? "" : h("button", { class: "activate-version", "data-version": v.version, onclick: () => onActivate(v.version) }, "Make active")) },
      ],
      rows,
      { empty: "No retrained version yet: the shipped weights are in use." },
    ),
    h("div", { class: "toolbar" }, shipped));
}

export function classifierCard() {
  const box = h("div", { id: "retrain-result" });
  const versionsBox = h("div", { id: "classifier-versions" });
  const button = h("button", { class: "primary", id: "retrain" }, "Retrain the classifier");
  const card = section("Classifier",
    h("p", { class: "muted" }, "Learn from the categories corrected on request pages, on top of the shipped data. A retrain runs in the background (15-40 s); every replica picks the new version up."),
    h("div", { class: "toolbar" }, button), box, versionsBox);

  const showVersions = async () => {
    try {
      mount(versionsBox, versionsTable(await api("/admin/classify/versions"), activate));
    } catch (err) {
      mount(versionsBox, errorBox(err));
    }
  };
  const activate = async (version) => {
    try {
      const res = await api("/admin/classify/rollback", { method: "POST", body: { version } });
      mount(box, h("p", { class: "ok" }, res.active === null ? "The shipped weights are active again." : `Classifier v${res.active} is active.`));
    } catch (err) {
      mount(box, errorBox(err));
    }
    await showVersions();
  };
  const follow = async (job) => {
    button.disabled = true;
    while (!ENDED.has(job.state) && document.body.contains(card)) {
      mount(box, progress(job));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        job = (await api(`/admin/classify/retrain/${job.id}`)).job;
      } catch (err) {
        mount(box, errorBox(err));
        break;
      }
    }
    if (ENDED.has(job.state)) mount(box, outcome(job));
    button.disabled = false;
    await showVersions();
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const res = await api("/admin/classify/retrain", { method: "POST", body: {} });
      await follow(res.job);
    } catch (err) {
      mount(box, errorBox(err));
      button.disabled = false;
    }
  });
  // A job started earlier (here or on another replica) and still under way: show it.
  api("/admin/classify/retrain").then((data) => {
    const latest = (data.jobs || [])[0];
    if (latest && !ENDED.has(latest.state)) follow(latest);
  }).catch(() => {});
  showVersions();
  return card;
}
