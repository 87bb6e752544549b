// fetch() wrapper for the REST API with the session cookie and CSRF header.

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(response.status, error.message || response.statusText, error.code);
  }
  return response.status === 204 ? null : response.json();
}

// Every item of a list: every list answers {results, next, previous}, so follow
// next (same origin, path only) until the last page.
export async function apiAll(path) {
  const items = [];
  let url = path;
  while (url) {
    const page = await api(url);
    items.push(...page.results);
    const next = page.next && page.results.length > 0 ? new URL(page.next) : null;
    url = next ? next.pathname + next.search : null;
  }
  return items;
}

const TOAST_MS = 5000;
let toastTimer;
export function toast(text) {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  el.onclick = () => {
    el.hidden = true;
  };
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, TOAST_MS);
}
