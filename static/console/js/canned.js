// Canned replies in the composer: type "/code" (a menu filters as you type) or
// open the picker; the chosen reply is filled for this conversation by the
// server (customer's name, agent's name…) and replaces the "/code".

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, apiAll, toast } from "./api.js";

const TRIGGER = /(^|\s)\/([a-z0-9_-]*)$/;

export class CannedReplies {
  constructor(view) {
    this.view = view;
    this.textarea = view.textarea;
    this.menu = document.getElementById("canned-menu");
    this.search = document.getElementById("canned-search");
    this.options = document.getElementById("canned-options");
    this.button = document.getElementById("canned-button");
    this.replies = null;
    this.matches = [];
    this.active = 0;
    this.trigger = null; // {start, end} of "/code" in the textarea, when typed
    this.bind();
  }

  bind() {
    this.textarea.addEventListener("input", () => this.typed());
    this.textarea.addEventListener("keydown", (event) => this.keydown(event));
    this.search.addEventListener("input", () => this.show(this.search.value.trim().toLowerCase()));
    this.search.addEventListener("keydown", (event) => this.keydown(event));
    this.button.addEventListener("click", () => this.openPicker());
    this.options.addEventListener("mousedown", (event) => {
      const li = event.target.closest("li[data-index]");
      if (!li) return;
      event.preventDefault(); // keep the textarea's caret
      this.choose(Number(li.dataset.index));
    });
    document.addEventListener("click", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target) && event.target !== this.button) {
        this.close();
      }
    });
  }

  async load() {
    if (this.replies) return this.replies;
    const business = this.view.conversation.business.id;
    try {
      this.replies = await apiAll(`/api/v1/canned-replies/?business=${business}&limit=500`);
    } catch (err) {
      toast(err.message);
      this.replies = [];
    }
    return this.replies;
  }

  async typed() {
    const before = this.textarea.value.slice(0, this.textarea.selectionStart);
    const match = TRIGGER.exec(before);
    if (!match) {
      if (this.trigger) this.close();
      return;
    }
    const end = this.textarea.selectionStart;
    this.trigger = { start: end - match[2].length - 1, end };
    await this.load();
    this.search.hidden = true;
    this.show(match[2]);
  }

  async openPicker() {
    this.trigger = null;
    await this.load();
    this.search.hidden = false;
    this.search.value = "";
    this.show("");
    this.search.focus();
  }

  show(query) {
    const all = this.replies || [];
    const starts = all.filter((r) => r.short_code.startsWith(query));
    const rest = all.filter(
      (r) =>
        !r.short_code.startsWith(query) &&
        (r.short_code.includes(query) || r.title.toLowerCase().includes(query) || r.body.toLowerCase().includes(query)),
    );
    this.matches = [...starts, ...rest].slice(0, 20);
    // Typed "/": the library's rich messages are one entry away.
    const richEntry = this.trigger && this.view.richPicker && "rich".startsWith(query);
    if (richEntry || (this.trigger && !this.matches.length && this.view.richPicker)) {
      this.matches.push({ id: "rich", rich: true });
    }
    this.active = 0;
    this.options.replaceChildren(
      ...this.matches.map((reply, index) => {
        const li = document.createElement("li");
        li.id = `canned-${reply.id}`;
        li.dataset.index = String(index);
        li.setAttribute("role", "option");
        if (reply.rich) {
          li.dataset.rich = "true";
          li.className = "canned-rich";
          li.textContent = gettext("Rich message from the library…");
          return li;
        }
        const code = document.createElement("code");
        code.textContent = `/${reply.short_code}`;
        const text = document.createElement("span");
        text.className = "canned-text";
        text.textContent = reply.title || reply.body;
        li.append(code, " ", text);
        if (!reply.shared) {
          const mine = document.createElement("small");
          mine.textContent = ` ${gettext("(mine)")}`;
          li.append(mine);
        }
        return li;
      }),
    );
    if (!this.matches.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = (this.replies || []).length
        ? gettext("No canned reply matches.")
        : gettext("No canned replies yet: add them under Canned replies.");
      this.options.append(li);
    }
    this.menu.hidden = false;
    this.highlight();
  }

  highlight() {
    for (const li of this.options.querySelectorAll("li[data-index]")) {
      const on = Number(li.dataset.index) === this.active;
      li.setAttribute("aria-selected", String(on));
      if (on) li.scrollIntoView({ block: "nearest" });
    }
    const current = this.matches[this.active];
    const owner = this.search.hidden ? this.textarea : this.search;
    if (current) owner.setAttribute("aria-activedescendant", `canned-${current.id}`);
  }

  keydown(event) {
    if (this.menu.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = Math.max(0, Math.min(this.matches.length - 1, this.active + step));
      this.highlight();
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey) {
      if (!this.matches.length) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      this.choose(this.active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      this.textarea.focus();
    }
  }

  close() {
    this.menu.hidden = true;
    this.trigger = null;
    this.textarea.removeAttribute("aria-activedescendant");
  }

  removeTrigger(trigger) {
    const { value } = this.textarea;
    if (trigger && value.slice(trigger.start, trigger.end).startsWith("/")) {
      this.textarea.value = value.slice(0, trigger.start) + value.slice(trigger.end);
      this.textarea.selectionStart = this.textarea.selectionEnd = trigger.start;
    }
  }

  async choose(index) {
    const reply = this.matches[index];
    if (!reply) return;
    const trigger = this.trigger;
    this.close();
    if (reply.rich) {
      this.removeTrigger(trigger);
      this.view.richPicker.open();
      return;
    }
    let filled;
    try {
      filled = await api(`/api/v1/canned-replies/${reply.id}/render/`, {
        method: "POST",
        body: { conversation: this.view.id },
      });
    } catch (err) {
      toast(err.message);
      return;
    }
    this.removeTrigger(trigger);
    this.view.insert(filled.text);
    if (filled.missing.length) {
      toast(
        interpolate(gettext("Fill in before sending: %(names)s"), {
          names: filled.missing.map((m) => `{{${m}}}`).join(", "),
        }),
      );
    }
  }
}
