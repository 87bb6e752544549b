// The agent's availability in the top bar: online / away / offline. Routing
// assigns new conversations only to online agents; closing the last console tab
// makes an online agent away until a tab opens again (the server counts tabs).

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, toast } from "./api.js";

let select = null;
const STATUS_TEXT = { online: gettext("online"), away: gettext("away"), offline: gettext("offline") };

function show({ status, chosen }) {
  if (!select) return;
  select.value = chosen;
  select.dataset.status = status;
  select.title = status === chosen ? "" : interpolate(gettext("Shown to your team as %(status)s"), { status: STATUS_TEXT[status] || status });
}

export async function setupAvailability() {
  select = document.getElementById("availability");
  if (!select) return;
  select.addEventListener("change", async () => {
    try {
      show(await api("/api/v1/me/availability/", { method: "PUT", body: { status: select.value } }));
    } catch (err) {
      toast(err.message);
    }
  });
  try {
    show(await api("/api/v1/me/availability/"));
  } catch (err) {
    console.warn("availability unavailable", err);
  }
}

export function onAvailability(event) {
  if (event.type === "availability") show(event.data);
}
