// The admin API client. The session cookie is HttpOnly (this script never sees it); changes echo
// the readable sp_csrf cookie in the x-csrf-token header (double submit). A 401 sends the user to
// the login page.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return "";
}

export function toLogin() {
  const next = location.hash ? "?next=" + encodeURIComponent(location.hash) : "";
  location.assign("/dashboard/login.html" + next);
}

export async function api(path, { method = "GET", body, query } = {}) {
  const headers = { accept: "application/json" };
  if (method !== "GET") {
    headers["content-type"] = "application/json";
    headers["x-csrf-token"] = cookie("sp_csrf");
  }
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
    if ([...q].length) url += "?" + q;
  }
  const resp = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (resp.status === 401 && path.startsWith("/admin/")) {
    toLogin();
    throw new ApiError("login required", 401);
  }
  if (!resp.ok) {
    const msg = data && data.error ? data.error.message || JSON.stringify(data.error) : `${resp.status} ${resp.statusText}`;
    throw new ApiError(resp.status === 404 && !data ? `${path} is not available on this gateway (404)` : msg, resp.status);
  }
  return data;
}
