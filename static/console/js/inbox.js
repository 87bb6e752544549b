// Inbox power: select rows for bulk assign / label / resolve, "mark all read",
// and the unread count in the tab title. The list is re-rendered by the server
// on every change; the selection lives here and is re-applied after each swap.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, toast } from "./api.js";

const selected = new Set();
const baseTitle = document.title.replace(/^\(\d+\)\s*/, "");

function rows() {
  return [...document.querySelectorAll("#inbox-list .row-select")];
}

function render() {
  for (const box of rows()) box.checked = selected.has(Number(box.value));
  const bar = document.getElementById("bulk-bar");
  if (!bar) return;
  bar.hidden = selected.size === 0;
  document.getElementById("bulk-count").textContent = interpolate(gettext("%(n)s selected"), { n: selected.size });
}

export function titleUnread() {
  const unread = [...document.querySelectorAll("#inbox-list .row[data-unread]")].reduce(
    (sum, row) => sum + Number(row.dataset.unread || 0),
    0,
  );
  document.title = unread ? `(${unread}) ${baseTitle}` : baseTitle;
}

// After the list is swapped: forget rows that left it, tick the ones that stay.
export function afterListRefresh() {
  const visible = new Set(rows().map((box) => Number(box.value)));
  for (const id of [...selected]) if (!visible.has(id)) selected.delete(id);
  render();
  titleUnread();
}

async function bulk(body, done, refresh) {
  try {
    const result = await api("/api/v1/conversations/bulk/", {
      method: "POST",
      body: { ids: [...selected], ...body },
    });
    const refused = result.refused.length;
    const summary = interpolate(done, { done: result.done.length });
    toast(
      refused
        ? `${summary}; ${interpolate(gettext("refused: %(n)s (%(reason)s)"), { n: refused, reason: result.refused[0].message })}`
        : summary,
    );
    selected.clear();
    render();
    refresh();
  } catch (err) {
    toast(err.message);
  }
}

// Defaults the server applies when a parameter is absent: left out of the URL.
const DEFAULTS = { status: "open", assignee: "me_or_none" };

// Filters apply as they change: the address keeps them (a reload shows the
// same view) and the list is refetched in place.
function applyFilters(params, refresh) {
  for (const [key, value] of [...params.entries()]) {
    if (!value || DEFAULTS[key] === value || key === "page") params.delete(key);
  }
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}`);
  const back = document.querySelector(".conversation-header a.back");
  if (back) back.search = query;
  refresh();
}

function setupFilters(aside, refresh) {
  const form = aside.querySelector("form.filters");
  if (!form) return;
  const fromForm = () => new URLSearchParams([...new FormData(form)].map(([k, v]) => [k, String(v)]));
  form.addEventListener("change", () => applyFilters(fromForm(), refresh));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters(fromForm(), refresh);
  });
  // The tabs are the assignee filter's common choices.
  aside.addEventListener("click", (event) => {
    const tab = event.target.closest?.("a.inbox-tab");
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const select = form.elements.namedItem("assignee");
    if (select) select.value = tab.dataset.assignee;
    for (const other of aside.querySelectorAll("a.inbox-tab")) other.removeAttribute("aria-current");
    tab.setAttribute("aria-current", "true");
    applyFilters(fromForm(), refresh);
  });
}

export function setupInbox({ refresh }) {
  const aside = document.querySelector(".inbox");
  if (!aside) return;
  setupFilters(aside, refresh);
  aside.addEventListener("change", (event) => {
    const box = event.target.closest?.(".row-select");
    if (!box) return;
    if (box.checked) selected.add(Number(box.value));
    else selected.delete(Number(box.value));
    render();
  });
  document.getElementById("bulk-clear")?.addEventListener("click", () => {
    selected.clear();
    render();
  });
  document.getElementById("bulk-resolve")?.addEventListener("click", () =>
    bulk({ action: "resolve" }, gettext("Resolved: %(done)s"), refresh),
  );
  const assign = document.getElementById("bulk-assign");
  assign?.addEventListener("change", () => {
    const value = assign.value;
    assign.value = "";
    if (!value) return;
    bulk({ action: "assign", assignee: value === "none" ? null : Number(value) }, gettext("Assigned: %(done)s"), refresh);
  });
  const label = document.getElementById("bulk-label");
  label?.addEventListener("change", () => {
    const value = label.value;
    label.value = "";
    if (value) bulk({ action: "label", label_id: Number(value) }, gettext("Labelled: %(done)s"), refresh);
  });
  document.getElementById("mark-all-read")?.addEventListener("click", async () => {
    try {
      const { marked } = await api("/api/v1/conversations/read-all/", { method: "POST" });
      toast(
        marked
          ? interpolate(ngettext("Marked %(n)s conversation read", "Marked %(n)s conversations read", marked), { n: marked })
          : gettext("Nothing unread"),
      );
      refresh();
    } catch (err) {
      toast(err.message);
    }
  });
  render();
  titleUnread();
}
