// Exchanges the admin key for an HttpOnly session cookie; the key is never stored by this page.

const form = document.getElementById("login");
const box = document.getElementById("login-error");

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  box.hidden = true;
  const input = document.getElementById("key");
  const resp = await fetch("/admin/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ key: input.value }),
  });
  input.value = "";
  if (resp.ok) {
    const next = new URLSearchParams(location.search).get("next") || "";
    location.assign("/dashboard/" + (next.startsWith("#/") ? next : "#/overview"));
    return;
  }
  let msg = `login failed (${resp.status})`;
  try {
    msg = (await resp.json()).error.message;
  } catch {
    /* keep the status line */
  }
  box.textContent = msg;
  box.hidden = false;
});
