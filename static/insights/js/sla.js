// Counts every SLA chip on the page down to its due time, live; the server
// records breaches (beat task) and the inbox re-renders rows when they change.
import { gettext, interpolate } from "../../console/js/i18n.js";

const TICK_MS = 15000;

function left(ms) {
  const minutes = Math.max(0, Math.round(ms / 60000));
  if (minutes < 60) return interpolate(gettext("%(minutes)sm"), { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return interpolate(gettext("%(hours)sh %(minutes)sm"), { hours, minutes: minutes % 60 });
  return interpolate(gettext("%(days)sd %(hours)sh"), { days: Math.floor(hours / 24), hours: hours % 24 });
}

export function renderSlaChips(root = document, now = Date.now()) {
  for (const chip of root.querySelectorAll("[data-sla-due]")) {
    const due = Date.parse(chip.dataset.slaDue);
    if (Number.isNaN(due)) continue;
    const label = chip.dataset.slaLabel || "SLA";
    const remaining = due - now;
    const breached = remaining <= 0;
    chip.classList.toggle("sla-breached", breached);
    chip.classList.toggle("sla-soon", !breached && remaining < 30 * 60000);
    chip.textContent = breached
      ? interpolate(gettext("%(label)s: breached"), { label })
      : interpolate(gettext("%(label)s: %(time)s left"), { label, time: left(remaining) });
  }
}

renderSlaChips();
setInterval(renderSlaChips, TICK_MS);
// Inbox rows are replaced when the list refreshes: count the new ones at once.
new MutationObserver(() => renderSlaChips()).observe(document.body, { childList: true, subtree: true });
