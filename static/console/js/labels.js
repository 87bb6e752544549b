// Labels: chips coloured from data attributes (no inline styles, so a strict
// CSP holds) and the open conversation's label editor.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, toast } from "./api.js";

// Dark or light text, whichever reads better on the label's colour.
function textOn(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#1d1d1f" : "#ffffff";
}

export function paintLabels(root = document) {
  for (const chip of root.querySelectorAll("[data-label-color]")) {
    const color = chip.dataset.labelColor;
    if (!/^#[0-9a-f]{6}$/i.test(color)) continue;
    chip.style.setProperty("background", color);
    chip.style.setProperty("color", textOn(color));
  }
}

function chip(label) {
  const span = document.createElement("span");
  span.className = "chip label";
  span.dataset.labelColor = label.color;
  span.dataset.label = String(label.id);
  span.textContent = label.name;
  return span;
}

export class LabelEditor {
  constructor(view, labels) {
    this.view = view;
    this.available = labels;
    this.list = document.getElementById("conversation-labels");
    this.select = document.getElementById("label-add");
    this.select.addEventListener("change", () => {
      const id = Number(this.select.value);
      this.select.value = "";
      if (id) this.change({ add: [id] });
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-remove]");
      if (button) this.change({ remove: [Number(button.dataset.remove)] });
    });
  }

  render(current = []) {
    this.list.replaceChildren(
      ...current.map((label) => {
        const li = document.createElement("li");
        const span = chip(label);
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip-remove";
        remove.dataset.remove = String(label.id);
        remove.setAttribute("aria-label", interpolate(gettext("Remove label %(name)s"), { name: label.name }));
        remove.textContent = "×";
        span.append(remove);
        li.append(span);
        return li;
      }),
    );
    paintLabels(this.list);
    const on = new Set(current.map((label) => label.id));
    this.select.replaceChildren(new Option(gettext("+ Label"), ""));
    for (const label of this.available) {
      if (!on.has(label.id)) this.select.append(new Option(label.name, String(label.id)));
    }
    this.select.hidden = this.select.options.length < 2;
  }

  async change(body) {
    try {
      this.view.applyConversation(
        await api(`/api/v1/conversations/${this.view.id}/labels/`, { method: "POST", body }),
      );
    } catch (err) {
      toast(err.message);
    }
  }
}
