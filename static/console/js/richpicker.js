// Rich objects in the console: the picker in the composer (button, or "/" in an
// empty composer), and how rich messages read in the timeline (which object
// went out, as bubble or as text alternative, and the customer's answer next
// to the question).

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, toast } from "./api.js";

const KIND_LABEL = {
  quick_reply: gettext("Quick reply"),
  list_picker: gettext("List picker"),
  time_picker: gettext("Time picker"),
  form: gettext("Form"),
  apple_pay: "Apple Pay",
  authentication: gettext("Sign in"),
  authentication_legacy: gettext("Sign in (old)"),
  imessage_app: "iMessage app",
  rich_link: gettext("Rich link"),
};
// Mirrors richobjects.builders.device_supports: the server decides, this only warns.
const NEEDS = {
  quick_reply: "QUICK",
  list_picker: "LIST",
  time_picker: "TIME",
  form: "FORM",
  authentication: "AUTH2",
  authentication_legacy: "AUTH",
};
const IPHONE_ONLY = new Set(["form", "imessage_app"]);

function deviceShows(kind, conversation) {
  const agent = (conversation.device_agent || "").toLowerCase();
  if (IPHONE_ONLY.has(kind) && !agent.includes("iphone") && !agent.includes("ipad")) return false;
  const needed = NEEDS[kind];
  if (!needed) return true;
  return (conversation.capabilities || []).map((c) => c.toUpperCase()).includes(needed);
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// --- timeline -----------------------------------------------------------------

// A customer's answer shows once: as a card on the reply (the question's title
// and the answer, a form as key/value rows). The question only links to it.

function answerText(reply) {
  if (reply.pending) return gettext("Reading the answer…");
  return reply.summary || gettext("Answered");
}

function markAnswered(questionLi, replyId) {
  if (!questionLi || questionLi.querySelector(".answered-link")) return;
  const link = el("a", { className: "answered-link", href: `#m${replyId}`, textContent: gettext("Answered ↓") });
  questionLi.querySelector(".info")?.append(link);
}

function answerCard(message, reply) {
  const kind = KIND_LABEL[reply.kind] || gettext("Answer");
  const heading = el("p", { className: "answer-question" }, el("span", { className: "answer-kind" }, kind));
  if (reply.question_title) heading.append(` · “${reply.question_title}”`);
  const card = el("div", { className: "bubble answer-card-body" }, heading);
  if (reply.rows?.length) {
    const rows = el("dl", { className: "answer-rows" });
    for (const row of reply.rows) rows.append(el("dt", {}, row.label), el("dd", {}, row.value || "–"));
    card.append(rows);
  } else {
    card.append(el("p", { className: "answer-text" }, answerText(reply)));
  }
  // What the customer's bubble said, when it adds to the summary (iMessage apps).
  if (message.text && !answerText(reply).includes(message.text)) {
    card.append(el("p", { className: "answer-bubble-text" }, message.text));
  }
  let note = "";
  if (reply.duplicate) note = gettext("Answered again: the first answer counts");
  else if (!reply.matched) note = gettext("Answer to a message not found here");
  if (note) card.append(el("p", { className: "answer-note" }, note));
  return card;
}

export function decorateRich(li, message, view) {
  const rich = message.rich;
  if (!rich) return;
  if (rich.reply) {
    const reply = rich.reply;
    li.classList.add("rich-reply", "answer-card");
    if (reply.question != null) li.dataset.question = String(reply.question);
    li.querySelector(".bubble")?.replaceWith(answerCard(message, reply));
    if (!reply.duplicate && reply.question != null) {
      markAnswered(document.getElementById(`m${reply.question}`), message.id);
    }
    return;
  }
  const label = KIND_LABEL[rich.kind] || rich.kind;
  const how =
    rich.sent_as === "interactive"
      ? gettext("sent as interactive")
      : gettext("sent as text alternative (the device cannot show it)");
  li.classList.add(`rich-${rich.sent_as}`);
  li.querySelector(".info")?.append(
    el(
      "span",
      { className: `rich-sent rich-sent-${rich.sent_as}`, title: `${rich.name} v${rich.version}` },
      ` · ${label} “${rich.name}” ${how}`,
    ),
  );
  // Re-rendered question (a status change): keep the link to its answer.
  for (const other of view?.messages?.values() || []) {
    const reply = other.rich?.reply;
    if (reply && reply.question === message.id && !reply.duplicate) markAnswered(li, other.id);
  }
}

// --- picker ---------------------------------------------------------------------

class RichPicker {
  constructor(view) {
    this.view = view;
    this.selected = null;
    this.button = el("button", {
      type: "button",
      id: "rich-button",
      textContent: gettext("Rich…"),
      title: gettext("Send a rich message (or type / and pick “Rich message”)"),
    });
    this.button.setAttribute("aria-haspopup", "dialog");
    view.sendButton.before(this.button);
    this.build();
    this.button.addEventListener("click", () => this.open());
    // "/" in the composer opens the canned-reply menu, whose last entry opens this.
  }

  build() {
    this.search = el("input", {
      type: "search",
      id: "rich-search",
      placeholder: gettext("Search by name or tag"),
    });
    this.search.setAttribute("aria-label", gettext("Search rich objects"));
    this.results = el("ul", { id: "rich-results", className: "rich-results" });
    this.results.setAttribute("role", "listbox");
    this.results.setAttribute("aria-label", gettext("Rich objects"));
    this.preview = el("div", { id: "rich-preview", className: "rich-preview", hidden: true });
    this.sendBtn = el("button", {
      type: "button",
      id: "rich-send",
      className: "primary",
      textContent: gettext("Send"),
      disabled: true,
    });
    const cancel = el("button", { type: "button", textContent: gettext("Cancel") });
    cancel.addEventListener("click", () => this.dialog.close());
    this.dialog = el(
      "dialog",
      { id: "rich-picker", className: "rich-picker" },
      el("h2", { id: "rich-picker-title", textContent: gettext("Send a rich message") }),
      this.search,
      this.results,
      this.preview,
      el("div", { className: "rich-actions" }, cancel, this.sendBtn),
    );
    this.dialog.setAttribute("aria-labelledby", "rich-picker-title");
    document.body.append(this.dialog);
    let timer;
    this.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.load(), 150);
    });
    this.sendBtn.addEventListener("click", () => this.send());
    this.search.setAttribute("aria-controls", "rich-results");
    // Arrow keys walk from the search into the results and along them; Enter picks.
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        this.options()[0]?.focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        this.options()[0]?.focus();
      }
    });
    this.results.addEventListener("keydown", (event) => this.walk(event));
    // However it closes (Esc, Cancel, sent), the agent is back in the composer.
    this.dialog.addEventListener("close", () => this.view.textarea.focus());
  }

  options() {
    return [...this.results.querySelectorAll('[role="option"]')];
  }

  walk(event) {
    const options = this.options();
    const at = options.indexOf(event.target);
    if (at === -1) return;
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: options.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      const next = moves[event.key];
      if (next < 0) {
        this.search.focus();
        return;
      }
      // Roving tabindex: Tab leaves the list from the option last visited.
      const target = options[Math.min(next, options.length - 1)];
      for (const option of options) option.tabIndex = option === target ? 0 : -1;
      target.focus();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.choose(Number(event.target.dataset.id), event.target);
    }
  }

  async open() {
    if (this.view.textarea.disabled) return;
    this.selected = null;
    this.chosenId = null;
    this.preview.hidden = true;
    this.sendBtn.disabled = true;
    this.search.value = "";
    this.dialog.showModal();
    this.search.focus();
    await this.load();
  }

  async load() {
    // Answers can arrive out of order: only the latest search may fill the list.
    const ticket = (this.ticket = (this.ticket || 0) + 1);
    const business = this.view.conversation.business?.id;
    const params = new URLSearchParams({ q: this.search.value.trim() });
    if (business) params.set("business", String(business));
    try {
      const answer = await api(`/api/v1/rich-objects/?${params}`);
      const results = answer.results;
      if (ticket !== this.ticket) return;
      const focused = this.results.contains(document.activeElement) ? document.activeElement.id : "";
      this.results.replaceChildren(
        ...results.map((item) => {
          // Marked before the agent picks: this device gets the text instead.
          const shows = deviceShows(item.kind, this.view.conversation);
          const option = el(
            "li",
            { className: shows ? "rich-option" : "rich-option rich-option-text" },
            el("strong", {}, item.name),
            el("span", { className: "rich-kind" }, ` ${KIND_LABEL[item.kind] || item.kind}`),
            item.tags.length ? el("span", { className: "rich-tags" }, ` #${item.tags.join(" #")}`) : null,
            shows
              ? null
              : el("span", { className: "rich-device-note", title: gettext("The customer's device cannot show this kind") }, ` · ${gettext("goes as text on this device")}`),
          );
          option.tabIndex = -1;
          option.id = `rich-option-${item.id}`;
          option.dataset.deviceShows = String(shows);
          option.dataset.id = String(item.id);
          option.setAttribute("role", "option");
          option.addEventListener("click", () => this.choose(item.id, option));
          return option;
        }),
      );
      if (results.length) this.results.firstElementChild.tabIndex = 0;
      else this.results.append(this.emptyNote(answer.empty_library));
      // A slower answer may land after the agent moved into the list: keep the
      // pick and the focus where they were.
      const chosen = this.chosenId != null && document.getElementById(`rich-option-${this.chosenId}`);
      chosen?.setAttribute("aria-selected", "true");
      if (focused) {
        const again = document.getElementById(focused);
        if (again) {
          for (const option of this.options()) option.tabIndex = option === again ? 0 : -1;
          again.focus();
        }
      }
    } catch (err) {
      toast(err.message);
    }
  }

  // An empty library is explained, with the way to fill it for an admin.
  emptyNote(empty) {
    const note = el("li", { className: "rich-empty" });
    if (!empty) {
      note.textContent = gettext("Nothing matches.");
      return note;
    }
    note.append(el("span", {}, `${empty.message} `));
    if (empty.create_url) {
      note.append(el("a", { href: empty.create_url, className: "button primary", id: "rich-create-first" }, empty.drafts ? gettext("New rich object") : gettext("Create the first rich object")));
    }
    if (empty.library_url) note.append(" ", el("a", { href: empty.library_url }, gettext("Open the library")));
    return note;
  }

  async choose(id, option) {
    this.chosenId = id;
    for (const other of this.results.children) other.setAttribute("aria-selected", "false");
    option.setAttribute("aria-selected", "true");
    const detail = await api(`/api/v1/rich-objects/${id}/`);
    this.selected = detail;
    const preview = detail.preview || {};
    const shows = deviceShows(detail.kind, this.view.conversation);
    const bubble = el(
      "div",
      { className: `rich-bubble style-${preview.style || "icon"}` },
      preview.image ? el("img", { src: `data:image/png;base64,${preview.image}`, alt: "" }) : null,
      el("div", { className: "rich-bubble-title" }, preview.title || detail.name),
      preview.subtitle ? el("div", { className: "rich-bubble-subtitle" }, preview.subtitle) : null,
    );
    const required = new Set(preview.required_placeholders || []);
    const fields = (preview.placeholders || []).map((name) => {
      const input = el("input", { type: "text", name, className: "rich-param" });
      // No fallback in the object: Send waits until the agent fills it in.
      input.required = required.has(name);
      // What the server would fill in by itself, shown so the agent can check it.
      if (name === "customer.name") input.value = this.view.conversation.customer?.display_name || "";
      input.dataset.param = name;
      input.addEventListener("input", () => this.checkRequired());
      return el("label", {}, `{{${name}}}${input.required ? " (required)" : ""} `, input);
    });
    this.edits = null;
    if (detail.agents_may_edit && preview.spec) {
      this.edits = el("textarea", {
        id: "rich-edits",
        rows: 6,
        value: JSON.stringify(preview.spec, null, 2),
      });
      this.edits.setAttribute("aria-label", gettext("Edit before sending (JSON)"));
    }
    const parts = [
      bubble,
      el(
        "p",
        { className: shows ? "rich-goes-as" : "rich-goes-as rich-fallback" },
        shows
          ? gettext("Goes out as an interactive bubble.")
          : gettext("This device cannot show it: the text alternative goes out instead."),
      ),
      el("pre", { className: "rich-alt", title: gettext("Text alternative") }, detail.text_alternative || ""),
      ...fields,
      this.edits ? el("label", {}, gettext("Edit before sending"), this.edits) : null,
    ];
    this.preview.replaceChildren(...parts.filter((part) => part != null));
    this.preview.hidden = false;
    this.checkRequired();
  }

  checkRequired() {
    const missing = [...this.preview.querySelectorAll("input.rich-param")].filter(
      (input) => input.required && !input.value.trim(),
    );
    this.sendBtn.disabled = missing.length > 0;
    this.sendBtn.title = missing.length
      ? interpolate(gettext("Fill in %(fields)s first"), { fields: missing.map((i) => i.dataset.param).join(", ") })
      : "";
  }

  async send() {
    if (!this.selected) return;
    const params = {};
    for (const input of this.preview.querySelectorAll("input.rich-param")) {
      if (input.value.trim()) params[input.dataset.param] = input.value;
    }
    let edits = null;
    if (this.edits) {
      try {
        const edited = JSON.parse(this.edits.value);
        if (JSON.stringify(edited) !== JSON.stringify(this.selected.preview.spec)) edits = edited;
      } catch {
        toast(gettext("The edit is not valid JSON."));
        return;
      }
    }
    this.sendBtn.disabled = true;
    try {
      const message = await api(`/api/v1/conversations/${this.view.id}/rich/`, {
        method: "POST",
        body: { object: this.selected.id, params, edits },
      });
      this.dialog.close();
      this.view.upsert(message);
      this.view.scrollToEnd();
    } catch (err) {
      toast(err.message);
      this.sendBtn.disabled = false;
    }
  }
}

export function initRichPicker(view) {
  return new RichPicker(view);
}
