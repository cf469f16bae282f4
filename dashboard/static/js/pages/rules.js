// Rules: the current version, an editor with validation, a dry run over the last N logged requests,
// apply, history with diffs, rollback. Every change goes through the admin API, which versions and
// audits it.

import { api } from "../api.js";
import { errorBox, fmt, h, mount, section, table } from "../dom.js";

function when(v) {
  if (typeof v === "number") return fmt.time(v);
  const t = Date.parse(v || "");
  return Number.isNaN(t) ? v || "–" : fmt.time(t / 1000);
}

const SYNTAX = `# evaluated in order: the first chain or reject wins
rules:
  - name: hard-coding-to-cloud
    match: {category: coding, difficulty: [hard]}
    chain: [gemini, local]   # backends to try, in order
  - name: cap-prose
    match: {category: prose}
    set: {max_tokens: 2048}  # overrides; evaluation goes on
  - name: no-images-for-interns
    match: {key_id: key_intern, images: true}
    reject: "images are not enabled for this key"
# match: category, difficulty, client, model (globs),
#   key_id, prompt_tokens {min, max}, images, tools,
#   background, header, metadata`;

// The dry run's changes grouped by (category, now, with the edit), biggest group first.
function grouped(changed) {
  const groups = new Map();
  for (const r of changed) {
    const key = [r.category, chainText(r.current), chainText(r.proposed)].join("\u0000");
    const g = groups.get(key) || { category: r.category, now: chainText(r.current), next: chainText(r.proposed), n: 0 };
    g.n += 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.n - a.n);
}

function chainText(d) {
  if (!d) return "–";
  const chain = Array.isArray(d.chain) ? d.chain.join(" → ") : d.chain;
  return `${d.rule || "?"}: ${chain || "–"}`;
}

export function diffView(diff) {
  const lines = String(diff || "").split("\n");
  return h("pre", { class: "diff" }, lines.map((l) => {
    const cls = l.startsWith("+++") || l.startsWith("---") ? "meta" : l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : l.startsWith("@@") ? "meta" : "";
    return h("span", { class: cls }, l + "\n");
  }));
}

export async function render(view) {
  const [current, history] = await Promise.all([api("/admin/rules"), api("/admin/rules/history").catch((e) => ({ error: e }))]);
  const editor = h("textarea", { id: "rules-editor", spellcheck: "false", rows: 22, "aria-label": "routing rules (YAML)" });
  editor.value = current.yaml || "";
  const status = h("div", { id: "validation", class: "validation muted" }, "Edit the rules; they are checked as you type.");
  const dry = h("div", { id: "dry-run" });
  const limit = h("input", { id: "dry-limit", type: "number", min: 1, max: 10000, value: 200, size: 6 });
  const comment = h("input", { id: "apply-comment", placeholder: "what changed and why", size: 40 });
  const applied = h("div", { id: "apply-result" });
  let timer = null;

  const validate = async () => {
    try {
      const res = await api("/admin/rules/validate", { method: "POST", body: { yaml: editor.value } });
      status.className = `validation ${res.ok ? "ok" : "bad"}`;
      mount(status, res.ok ? "✓ valid" : h("ul", {}, (res.errors || []).map((e) => h("li", {}, e))));
      return res.ok;
    } catch (err) {
      mount(status, errorBox(err));
      return false;
    }
  };
  editor.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(validate, 500);
  });

  const dryRun = async () => {
    mount(dry, h("p", { class: "muted" }, "Replaying…"));
    try {
      const res = await api("/admin/rules/dry-run", { method: "POST", body: { yaml: editor.value, limit: Number(limit.value) || 200 } });
      const changed = res.results.filter((r) => r.changed);
      mount(dry,
        h("p", { id: "dry-summary" }, h("strong", {}, `${res.changed} of ${res.total}`), " recent requests would route differently."),
        h("div", { class: "scroll" }, table(
          [
            { label: "category", key: "category" },
            { label: "now", render: (g) => g.now },
            { label: "with the edit", render: (g) => h("strong", {}, g.next) },
            { label: "requests", num: true, render: (g) => g.n },
          ],
          grouped(changed),
          { empty: "No request would route differently." },
        )),
        changed.length
          ? h("details", {}, h("summary", {}, `The ${Math.min(changed.length, 100)} requests`),
              h("div", { class: "scroll" }, table(
                [
                  { label: "request", render: (r) => h("a", { href: `#/request/${encodeURIComponent(r.request_id)}` }, r.request_id.slice(0, 14)) },
                  { label: "category", key: "category" },
                  { label: "now", render: (r) => chainText(r.current) },
                  { label: "with the edit", render: (r) => chainText(r.proposed) },
                ],
                changed.slice(0, 100),
              )))
          : null);
    } catch (err) {
      mount(dry, errorBox(err));
    }
  };

  const apply = async () => {
    if (!(await validate())) return;
    try {
      const res = await api("/admin/rules", { method: "POST", body: { yaml: editor.value, comment: comment.value } });
      await render(view);
      view.querySelector("#apply-result")?.replaceChildren(h("p", { class: "ok" }, `Applied as version ${res.version}.`));
    } catch (err) {
      mount(applied, errorBox(err));
    }
  };

  const rollback = async (version) => {
    try {
      const res = await api("/admin/rules/rollback", { method: "POST", body: { version } });
      await render(view);
      view.querySelector("#apply-result")?.replaceChildren(h("p", { class: "ok" }, `Rolled back to version ${version}: now version ${res.version}.`));
    } catch (err) {
      mount(applied, errorBox(err));
    }
  };

  const versions = history.error ? null : [...(history.versions || [])];
  if (versions && !versions.some((v) => v.version === 0)) {
    versions.push({ version: 0, created_by: "config", comment: "the rules of the configuration file", diff: "" });
  }
  mount(
    view,
    h("div", { class: "page-head" }, h("h1", {}, "Routing rules"),
      h("span", { id: "rules-version", class: "pill" }, `version ${current.version}`),
      h("span", { class: "muted" }, `by ${current.created_by || "–"}, ${when(current.created_at)}${current.comment ? ": " + current.comment : ""}`)),
    h("div", { class: "cols wide-left" },
      section("Editor", editor, status,
        h("div", { class: "toolbar" },
          h("button", { id: "validate", onclick: validate }, "Validate"),
          h("label", {}, "dry run over the last ", limit, " requests "),
          h("button", { id: "dry-run-btn", onclick: dryRun }, "Dry run"),
          h("button", { id: "reset", onclick: () => { editor.value = current.yaml || ""; validate(); } }, "Reset")),
        h("div", { class: "toolbar" }, comment, h("button", { id: "apply", class: "primary", onclick: apply }, "Apply")),
        applied),
      h("div", {},
        section("Dry run", mount(dry, h("p", { class: "muted" }, "Run the edit against recent logged requests before applying it."))),
        section("Syntax", h("pre", { class: "syntax" }, SYNTAX)))),
    section("History",
      versions === null
        ? errorBox(history.error)
        : h("div", { id: "history" }, versions.map((v) =>
            h("details", { class: "version", open: v.version === current.version },
              h("summary", {},
                h("strong", {}, `version ${v.version}`), [v.created_at ? when(v.created_at) : null, v.created_by].filter(Boolean).map((x) => ` · ${x}`).join(""),
                v.comment ? h("span", { class: "muted" }, ` · ${v.comment}`) : null,
                v.version === current.version
                  ? h("span", { class: "pill" }, "current")
                  : h("button", { class: "rollback", "data-version": v.version, onclick: (ev) => { ev.preventDefault(); rollback(v.version); } }, "Roll back to this")),
              v.diff ? diffView(v.diff) : h("p", { class: "muted" }, "no diff recorded"))))),
  );
}
