// The dashboard shell: a hash router (#/page/arg?query) that renders one page module into <main>.

import { api } from "./api.js";
import { errorBox, h, mount } from "./dom.js";
import { parseHash } from "./nav.js";
import * as overview from "./pages/overview.js";
import * as requests from "./pages/requests.js";
import * as request from "./pages/request.js";
import * as rules from "./pages/rules.js";
import * as backends from "./pages/backends.js";
import * as tuning from "./pages/tuning.js";

const PAGES = { overview, requests, request, rules, backends, tuning };
const NAV_OF = { request: "requests" };
const view = document.getElementById("view");
let current = null;

async function render() {
  const route = parseHash();
  const mod = PAGES[route.page];
  if (current && current.leave) current.leave();
  current = mod || null;
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.page === (NAV_OF[route.page] || route.page));
  }
  if (!mod) {
    mount(view, errorBox(`no page '${route.page}'`));
    return;
  }
  document.title = `Switchpoint · ${route.page}`;
  view.dataset.page = route.page;
  mount(view, h("p", { class: "muted" }, "Loading…"));
  try {
    await mod.render(view, route);
  } catch (err) {
    mount(view, errorBox(err));
  }
}

document.getElementById("logout").addEventListener("click", async () => {
  await api("/admin/logout", { method: "POST", body: {} }).catch(() => null);
  location.assign("/dashboard/login.html");
});
window.addEventListener("hashchange", render);
render();
