// The agent's language: saved on their account, so every browser they sign in
// from speaks it; this page reloads in it at once.

import { api, toast } from "./api.js";

export function setupLanguage() {
  const select = document.getElementById("language");
  if (!select) return;
  select.addEventListener("change", async () => {
    try {
      await api("/api/v1/me/preferences/", { method: "PUT", body: { language: select.value } });
      location.reload();
    } catch (err) {
      toast(err.message);
    }
  });
}
