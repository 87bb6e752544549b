// One time format for the whole console, in the agent's own time zone (the
// browser's). Pages write <time datetime="…"> (ISO 8601, any zone) and this
// module writes the text: the inbox, the timeline, search and customer
// profiles then read the same whatever the server's zone is.

const lang = document.documentElement.lang || undefined;
const CLOCK = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
const DAY = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const YEAR = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const FULL = new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "long" });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// Today: the clock only; this year: day and clock; earlier: with the year.
export function formatWhen(iso, now = new Date()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  if (sameDay(date, now)) return CLOCK.format(date);
  return (date.getFullYear() === now.getFullYear() ? DAY : YEAR).format(date);
}

export function fullWhen(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : FULL.format(date);
}

// Fill a <time> from its datetime attribute (and say the full date on hover).
export function paintTime(el) {
  const iso = el.getAttribute("datetime");
  const text = formatWhen(iso);
  if (!text) return;
  el.textContent = text;
  el.title = fullWhen(iso);
  el.dataset.painted = iso;
}

export function paintTimes(root = document) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    if (el.dataset.painted !== el.getAttribute("datetime")) paintTime(el);
  }
}

// Lists re-rendered by the server (the inbox refresh) get painted as they land.
export function watchTimes(root = document.body) {
  paintTimes(root);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (node.matches("time[datetime]")) paintTime(node);
        else paintTimes(node);
      }
    }
  }).observe(root, { childList: true, subtree: true });
}
