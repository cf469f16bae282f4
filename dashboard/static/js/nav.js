// Hash navigation helpers shared by the pages.

export function go(page, arg, query) {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString() : "";
  location.hash = `#/${page}${arg ? "/" + encodeURIComponent(arg) : ""}${q ? "?" + q : ""}`;
}

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs] = raw.split("?");
  const [page, ...rest] = path.split("/");
  return { page: page || "overview", arg: rest.map(decodeURIComponent).join("/"), query: new URLSearchParams(qs || "") };
}
