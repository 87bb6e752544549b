// Console entry point: one socket per tab, the inbox list, the open
// conversation, notifications and keyboard shortcuts.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { ConsoleSocket } from "./socket.js";
import { ConversationView } from "./conversation.js";
import { onAvailability, setupAvailability } from "./availability.js";
import { afterListRefresh, setupInbox } from "./inbox.js";
import { paintLabels } from "./labels.js";
import { setupLanguage } from "./preferences.js";
import { loadMyTeams, notifyConversation, notifyMessage, setupNotifications } from "./notify.js";
import { watchTimes } from "./time.js";

const body = document.body;
const me = body.dataset.username;
let view = null;

// --- inbox list -------------------------------------------------------------

let refreshTimer;
// The list is server-rendered; on any change the page refetches it (debounced)
// rather than patching rows, so filters, unread counts and order stay exactly
// what the server would render.
function refreshInbox() {
  const list = document.getElementById("inbox-list");
  if (!list) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const params = new URLSearchParams(location.search);
    params.delete("before");
    params.set("partial", "list");
    if (view) params.set("current", String(view.id));
    try {
      const response = await fetch(`/console/?${params}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      const focused = document.activeElement?.closest?.("#inbox-list") ? document.activeElement.getAttribute("href") : null;
      document.getElementById("inbox-list").outerHTML = html;
      paintLabels(document.getElementById("inbox-list"));
      afterListRefresh();
      if (focused) document.querySelector(`#inbox-list a[href="${CSS.escape(focused)}"]`)?.focus();
    } catch (err) {
      console.warn("inbox refresh failed", err);
    }
  }, 400);
}

// --- socket -----------------------------------------------------------------

function setConnection(state) {
  const el = document.getElementById("connection");
  if (!el) return;
  el.dataset.state = state;
  el.textContent = {
    connecting: gettext("Connecting…"),
    open: gettext("Live"),
    closed: gettext("Offline – retrying"),
  }[state];
}

function onEvent(event) {
  if (event.type === "hello" || event.type === "error") return;
  if (event.type === "availability") {
    onAvailability(event);
    return;
  }
  const handled = view ? view.handle(event) : false;
  const data = event.data || {};
  if (event.type === "message.created" && data.direction === "in" && data.kind !== "reaction") {
    if (!handled || document.visibilityState !== "visible") {
      notifyMessage(data, `/console/c/${data.conversation}/`);
    }
  }
  if (event.type === "conversation.updated") notifyConversation(data);
  if (["message.created", "conversation.updated", "conversation.closed"].includes(event.type)) {
    refreshInbox();
  }
}

const socket = new ConsoleSocket({
  onEvent,
  onState: setConnection,
  // Also on the first connect: whatever happened between rendering the page and
  // joining the groups would otherwise be missed.
  resync: async () => {
    if (view) await view.resync();
    refreshInbox();
  },
  onOpen: () => view?.startPresence(),
});

const stateEl = document.getElementById("console-state");
if (stateEl) {
  view = new ConversationView({
    state: JSON.parse(stateEl.textContent),
    socket,
    onRead: refreshInbox,
  });
}
// Handles for devtools and the browser tests.
window.consoleView = view;
window.consoleSocket = socket;
socket.start();
setupNotifications();
loadMyTeams();
setupAvailability();
setupLanguage();
setupInbox({ refresh: refreshInbox });
paintLabels();
watchTimes();

// --- keyboard shortcuts -----------------------------------------------------

function moveSelection(step) {
  const links = [...document.querySelectorAll("#inbox-list a.row-link")];
  if (!links.length) return;
  const current = links.findIndex((a) => a.getAttribute("aria-current") === "page");
  const next = current === -1 ? (step > 0 ? 0 : links.length - 1) : current + step;
  if (next >= 0 && next < links.length) location.assign(links[next].href);
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing =
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    target?.isContentEditable;
  if (typing) {
    if (event.key === "Escape") target.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  switch (event.key) {
    case "j":
      moveSelection(1);
      break;
    case "k":
      moveSelection(-1);
      break;
    case "/":
    case "c":
      if (view) {
        event.preventDefault();
        view.focusComposer();
      }
      break;
    case "a":
      if (view) view.assignToMe();
      break;
    case "?":
      document.getElementById("shortcuts")?.showModal();
      break;
    default:
      return;
  }
});
document.getElementById("shortcuts-toggle")?.addEventListener("click", () => {
  document.getElementById("shortcuts").showModal();
});

export { me };
