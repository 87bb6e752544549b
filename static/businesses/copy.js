// Copy buttons: copy the linked input's value and say so, for mouse and screen reader.
import { gettext } from "../console/js/i18n.js";

for (const button of document.querySelectorAll("button.copy[data-copy]")) {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copy);
    if (!input) return;
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      // Clipboard API refused (no permission, plain http): fall back to selection.
      input.select();
      document.execCommand("copy");
    }
    const label = button.textContent;
    button.textContent = gettext("Copied");
    button.setAttribute("aria-live", "polite");
    setTimeout(() => { button.textContent = label; }, 1500);
  });
}
