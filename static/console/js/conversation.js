// The open conversation: timeline, delivery states, reactions, typing both
// ways, presence, assignment, status, notes and the composer.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, toast } from "./api.js";
import { decorateAttachments, initAttachments } from "./attachments.js";
import { CannedReplies } from "./canned.js";
import { LabelEditor } from "./labels.js";
import { decorateRich, initRichPicker } from "./richpicker.js";
import { paintTime } from "./time.js";

const TYPING_IDLE_MS = 3000; // stop typing after this much quiet
const TYPING_SHOW_MS = 6000; // hide a remote indicator nobody refreshed
const TYPING_REFRESH_MS = 4000; // a long burst says "still typing" before that
const PRESENCE_HEARTBEAT_MS = 20000;
const PRESENCE_EXPIRE_MS = 50000;

const REACTION_EMOJI = {
  liked: "👍",
  loved: "❤️",
  disliked: "👎",
  laughed: "😂",
  emphasized: "‼️",
  questioned: "❓",
};
const STATE_TEXT = {
  pending: gettext("Sending…"),
  sending: gettext("Sending…"),
  // Apple sends no delivery receipts: "sent" means Apple accepted it, no more.
  sent: gettext("Sent to Apple"),
  failed: gettext("Failed"),
  paused: gettext("Delivery paused"),
};


function reactionEmoji(message) {
  const type = message.reaction?.type || "";
  if (type === "reacted") {
    const match = /Reacted\s+(\S+)\s+to/u.exec(message.text || "");
    return match ? match[1] : "💬";
  }
  return REACTION_EMOJI[type] || "💬";
}

export class ConversationView {
  constructor({ state, socket, onRead }) {
    this.conversation = state.conversation;
    this.agents = state.agents;
    this.me = state.me;
    this.paged = state.paged;
    this.socket = socket;
    this.onRead = onRead;
    this.messages = new Map();
    this.lastId = 0;
    this.viewers = new Map();
    this.typingSent = false;
    this.remoteTyping = new Map();

    this.timeline = document.getElementById("timeline");
    this.form = document.getElementById("composer");
    this.textarea = document.getElementById("composer-text");
    this.sendButton = document.getElementById("send-button");
    this.statusSelect = document.getElementById("status-select");
    this.assigneeSelect = document.getElementById("assignee-select");
    this.banner = document.getElementById("closed-banner");
    this.typingEl = document.getElementById("typing-indicator");
    this.viewersEl = document.getElementById("viewers");
    this.replyingEl = document.getElementById("replying");

    for (const agent of this.agents) {
      const option = document.createElement("option");
      option.value = String(agent.id);
      option.textContent = agent.id === this.me.id ? `${agent.username} (me)` : agent.username;
      this.assigneeSelect.append(option);
    }
    this.labelEditor = new LabelEditor(this, state.labels || []);
    for (const message of state.messages) this.upsert(message);
    this.applyConversation(this.conversation);
    this.bind();
    this.richPicker = initRichPicker(this);
    this.attachmentComposer = initAttachments(this);
    this.canned = new CannedReplies(this);
    this.scrollToEnd();
    setInterval(() => this.expireViewers(), 5000);
  }

  get id() {
    return this.conversation.id;
  }

  get mode() {
    return this.form.querySelector('input[name="mode"]:checked').value;
  }

  bind() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener("input", () => this.typed());
    this.form.addEventListener("change", (event) => {
      if (event.target.name === "mode") this.applyMode();
    });
    for (const button of this.form.querySelectorAll(".emoji-btn")) {
      button.addEventListener("click", () => this.insert(button.dataset.emoji));
    }
    document.getElementById("assign-me").addEventListener("click", () => this.assignToMe());
    this.assigneeSelect.addEventListener("change", () =>
      this.assign(this.assigneeSelect.value ? Number(this.assigneeSelect.value) : null),
    );
    this.statusSelect.addEventListener("change", () => this.setStatus(this.statusSelect.value));
    document.getElementById("resolve-next")?.addEventListener("click", () => this.resolveAndNext());
    this.timeline.addEventListener("click", (event) => {
      const button = event.target.closest("button.retry");
      if (button) this.retry(Number(button.dataset.message));
      const drop = event.target.closest("button.drop");
      if (drop) this.drop(Number(drop.dataset.message));
    });
  }

  // --- rendering ------------------------------------------------------------

  upsert(message) {
    if (message.conversation !== this.id) return;
    // A REST answer can arrive after the pushes it caused (the worker is
    // quick): never let an older delivery state overwrite a newer one.
    const known = this.messages.get(message.id);
    if (known && known.status_changed_at > message.status_changed_at) return;
    this.messages.set(message.id, message);
    this.lastId = Math.max(this.lastId, message.id);
    if (message.kind === "reaction") {
      this.renderReaction(message);
      return;
    }
    const existing = document.getElementById(`m${message.id}`);
    const li = this.renderMessage(message);
    if (existing) {
      const reactions = existing.querySelector(".reactions");
      if (reactions) li.append(reactions);
      existing.replaceWith(li);
    } else {
      this.insertInOrder(li, message.id);
      // A reaction may have arrived before its target was on screen.
      for (const other of this.messages.values()) {
        if (other.kind === "reaction" && other.reaction?.target === message.id) {
          this.renderReaction(other);
        }
      }
    }
  }

  insertInOrder(li, id) {
    let after = null;
    for (const child of this.timeline.children) {
      if (Number(child.dataset.id) > id) {
        after = child;
        break;
      }
    }
    this.timeline.insertBefore(li, after);
  }

  renderMessage(message) {
    const li = document.createElement("li");
    li.id = `m${message.id}`;
    li.dataset.id = String(message.id);
    li.className = `msg msg-${message.direction} kind-${message.kind}`;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = message.text;
    if (message.kind === "note") {
      bubble.setAttribute("aria-label", interpolate(gettext("Private note: %(text)s"), { text: message.text }));
    }
    li.append(bubble);
    if (message.kind === "system") return li;

    const info = document.createElement("div");
    info.className = "info";
    const who =
      message.direction === "in"
        ? gettext("Customer")
        : message.kind === "note"
          ? interpolate(gettext("Private note · %(who)s"), { who: message.sender?.username || gettext("agent") })
          : message.sender?.username || (message.auto_reply ? gettext("Bot") : gettext("Agent"));
    const time = document.createElement("time");
    time.dateTime = message.created_at;
    paintTime(time);
    info.append(`${who} · `, time);
    if (message.direction === "out") {
      const state = document.createElement("span");
      state.className = `state state-${message.status}`;
      state.dataset.state = message.status;
      state.textContent = STATE_TEXT[message.status] || message.status;
      if (message.status === "sent") state.title = gettext("Apple accepted it; Apple gives no delivery receipts.");
      if (message.status === "failed" && message.last_error) {
        state.textContent = interpolate(gettext("Failed: %(error)s"), { error: message.last_error });
      }
      if (message.status === "paused") {
        // Later messages wait behind this one until it is retried or dropped.
        state.textContent = interpolate(gettext("Delivery paused: %(reason)s"), {
          reason: message.last_error || gettext("Apple is not answering"),
        });
      }
      info.append(state);
      if (message.status === "failed" || message.status === "paused") {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "retry";
        retry.dataset.message = String(message.id);
        retry.textContent = gettext("Retry");
        retry.setAttribute("aria-label", gettext("Retry sending this message"));
        info.append(retry);
      }
      if (message.status === "paused") {
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "drop";
        drop.dataset.message = String(message.id);
        drop.textContent = gettext("Drop");
        drop.setAttribute("aria-label", gettext("Drop this message and send the next ones"));
        info.append(drop);
      }
    }
    li.append(info);
    decorateRich(li, message, this);
    decorateAttachments(li, message);
    return li;
  }

  renderReaction(message) {
    const targetLi =
      message.reaction?.target != null
        ? document.getElementById(`m${message.reaction.target}`)
        : null;
    if (!targetLi) {
      // Unknown or not-yet-loaded target: show the sentence as the customer wrote it.
      if (!document.getElementById(`m${message.id}`)) {
        this.insertInOrder(this.renderMessage(message), message.id);
      }
      return;
    }
    document.getElementById(`m${message.id}`)?.remove();
    let holder = targetLi.querySelector(".reactions");
    if (!holder) {
      holder = document.createElement("div");
      holder.className = "reactions";
      holder.setAttribute("aria-label", gettext("Reactions"));
      targetLi.append(holder);
    }
    const emoji = reactionEmoji(message);
    const removed = /^\s*Removed\b/u.test(message.text || "");
    const existing = holder.querySelector(`[data-emoji="${CSS.escape(emoji)}"]`);
    if (removed) {
      existing?.remove();
      return;
    }
    if (holder.querySelector(`[data-reaction="${message.id}"]`)) return;
    existing?.remove(); // a newer tapback replaces the same kind from the customer
    const badge = document.createElement("span");
    badge.className = "reaction";
    badge.dataset.emoji = emoji;
    badge.dataset.reaction = String(message.id);
    badge.title = message.text;
    badge.setAttribute("aria-label", interpolate(gettext("Customer reacted: %(text)s"), { text: message.text }));
    badge.textContent = emoji;
    holder.append(badge);
  }

  // The route and "signed in as" lines are rendered by other apps' template
  // tags; when they may have changed, take them from a fresh copy of the page
  // rather than rebuilding their markup here.
  refreshExtras() {
    clearTimeout(this.extrasTimer);
    this.extrasTimer = setTimeout(async () => {
      const response = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("conversation-extras");
      const current = document.getElementById("conversation-extras");
      if (fresh && current) current.replaceWith(fresh);
    }, 300);
  }

  applyConversation(conversation) {
    // Other apps' fields (routing's route, insights' SLA and satisfaction).
    const extrasChanged = ["route", "insights"].some(
      (key) =>
        key in conversation &&
        JSON.stringify(conversation[key]) !== JSON.stringify(this.conversation?.[key]),
    );
    if (extrasChanged) this.refreshExtras();
    this.conversation = conversation;
    // Only replies lock when the customer closes: status, assignment and notes
    // stay usable (is_closed outlives a status an agent sets afterwards).
    const closed = Boolean(conversation.is_closed);
    this.banner.hidden = !closed;
    document.querySelector(".conversation").classList.toggle("is-closed", closed);
    this.statusSelect.value = conversation.status;
    const assignee = conversation.assigned_agent;
    this.assigneeSelect.value = assignee ? String(assignee.id) : "";
    this.labelEditor.render(conversation.labels || []);
    const name = conversation.customer?.display_name;
    const title = document.querySelector("#conversation-title a");
    if (name && title && title.textContent !== name) title.textContent = name;
    this.applyMode();
  }

  applyMode() {
    const closed = Boolean(this.conversation.is_closed);
    const note = this.mode === "note";
    // Notes stay possible on a closed conversation: they never reach the customer.
    const disabled = closed && !note;
    this.textarea.disabled = disabled;
    this.sendButton.disabled = disabled;
    this.form.classList.toggle("note-mode", note);
    this.sendButton.textContent = note ? gettext("Add note") : gettext("Send");
    document.getElementById("composer-label").textContent = note
      ? gettext("Private note for your team")
      : gettext("Message to the customer");
    this.textarea.placeholder = disabled
      ? gettext("The customer closed this conversation: switch to Private note to write to your team")
      : note
        ? gettext("Only your team sees notes… (Ctrl+Enter to save)")
        : gettext("Write a reply… (Ctrl+Enter to send)");
  }

  scrollToEnd() {
    this.timeline.scrollTop = this.timeline.scrollHeight;
  }

  // --- live events ----------------------------------------------------------

  handle(event) {
    const data = event.data || {};
    switch (event.type) {
      case "message.created":
      case "message.status_changed":
        if (data.conversation !== this.id) return false;
        // An earlier page of history stays as it is; new lines live on the latest page.
        if (this.paged && !this.messages.has(data.id)) return true;
        this.upsert(data);
        // Sign-in and payment outcomes arrive as system lines.
        if (event.type === "message.created" && data.kind === "system") this.refreshExtras();
        if (event.type === "message.created") {
          if (data.direction === "in") this.clearTyping("customer");
          else if (data.direction === "out" && data.sender) this.clearTyping(data.sender.username);
          this.scrollToEnd();
          this.markRead();
        }
        return true;
      case "conversation.updated":
      case "conversation.closed":
        if (data.id !== this.id) return false;
        this.applyConversation(data);
        return true;
      case "typing":
        if (data.conversation !== this.id) return false;
        // My own other tab is not a teammate replying.
        if (data.who !== this.me.username) this.showTyping(data.who, data.typing);
        return true;
      case "presence":
        if (data.conversation !== this.id || data.who === this.me.username) return false;
        this.presence(data);
        return true;
      default:
        return false;
    }
  }

  async resync() {
    // Missed messages first (pages of 500), then the conversation's state.
    let url = this.paged
      ? null
      : `/api/v1/conversations/${this.id}/messages/?after=${this.lastId}&limit=500`;
    while (url) {
      const page = await api(url);
      for (const message of page.results) this.upsert(message);
      // Every list answers {results, next, previous}; next is null on the last page.
      const next = page.next && page.results.length > 0 ? new URL(page.next) : null;
      url = next ? next.pathname + next.search : null;
    }
    this.applyConversation(await api(`/api/v1/conversations/${this.id}/`));
    this.markRead();
  }

  markRead() {
    if (this.paged || document.visibilityState !== "visible") return;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(async () => {
      try {
        await api(`/api/v1/conversations/${this.id}/read/`, {
          method: "POST",
          body: { message_id: this.lastId },
        });
        this.onRead();
      } catch (err) {
        console.warn("mark read failed", err);
      }
    }, 300);
  }

  showTyping(who, typing) {
    clearTimeout(this.remoteTyping.get(who));
    if (typing) {
      this.remoteTyping.set(
        who,
        setTimeout(() => this.clearTyping(who), TYPING_SHOW_MS),
      );
    } else {
      this.remoteTyping.delete(who);
    }
    this.renderTyping();
  }

  clearTyping(who) {
    clearTimeout(this.remoteTyping.get(who));
    this.remoteTyping.delete(who);
    this.renderTyping();
  }

  renderTyping() {
    // The customer types above the composer; teammates composing a reply show
    // next to who is viewing, so two agents don't answer at once.
    const customer = this.remoteTyping.has("customer");
    this.typingEl.hidden = !customer;
    this.typingEl.textContent = customer ? gettext("The customer is typing…") : "";
    const agents = [...this.remoteTyping.keys()].filter((w) => w !== "customer").sort();
    if (!this.replyingEl) return;
    this.replyingEl.hidden = agents.length === 0;
    this.replyingEl.textContent = agents.length
      ? interpolate(ngettext("%(names)s is replying…", "%(names)s are replying…", agents.length), { names: agents.join(", ") })
      : "";
  }

  // --- presence -------------------------------------------------------------

  announce(join) {
    this.socket.send({ type: "conversation.focus", conversation: this.id, join });
  }

  startPresence() {
    this.announce(true);
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.announce(false), PRESENCE_HEARTBEAT_MS);
  }

  presence(data) {
    if (data.viewing) {
      const isNew = !this.viewers.has(data.who);
      this.viewers.set(data.who, Date.now());
      // Answer a newcomer once so they learn who is already here.
      if (data.join) this.announce(false);
      if (isNew) this.renderViewers();
    } else if (this.viewers.delete(data.who)) {
      this.renderViewers();
    }
  }

  expireViewers() {
    const now = Date.now();
    let changed = false;
    for (const [who, seen] of this.viewers) {
      if (now - seen > PRESENCE_EXPIRE_MS) {
        this.viewers.delete(who);
        changed = true;
      }
    }
    if (changed) this.renderViewers();
  }

  renderViewers() {
    const names = [...this.viewers.keys()].sort();
    this.viewersEl.textContent = names.length ? interpolate(gettext("Also viewing: %(names)s"), { names: names.join(", ") }) : "";
  }

  // --- writes (all over REST) ----------------------------------------------

  typed() {
    if (this.mode !== "reply" || this.textarea.disabled) return;
    // One start per burst and one stop after idle: no event per keystroke.
    const stale = Date.now() - (this.typingSentAt || 0) > TYPING_REFRESH_MS;
    if ((!this.typingSent || stale) && this.textarea.value.trim()) {
      this.typingSent = this.socket.send({ type: "typing.start", conversation: this.id });
      this.typingSentAt = Date.now();
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingTimer);
    if (this.typingSent) {
      this.socket.send({ type: "typing.stop", conversation: this.id });
      this.typingSent = false;
    }
  }

  insert(text) {
    const { selectionStart: start, selectionEnd: end, value } = this.textarea;
    this.textarea.value = value.slice(0, start) + text + value.slice(end);
    this.textarea.focus();
    this.textarea.selectionStart = this.textarea.selectionEnd = start + text.length;
    this.typed();
  }

  focusComposer() {
    this.textarea.focus();
  }

  async submit() {
    const text = this.textarea.value;
    if (!text.trim() || this.sendButton.disabled) return;
    const note = this.mode === "note";
    this.sendButton.disabled = true;
    try {
      const message = await api(
        note
          ? `/api/v1/conversations/${this.id}/notes/`
          : `/api/v1/conversations/${this.id}/messages/`,
        { method: "POST", body: { text } },
      );
      this.textarea.value = "";
      if (!note) this.stopTyping();
      this.upsert(message);
      this.scrollToEnd();
    } catch (err) {
      toast(err.message);
    } finally {
      this.applyMode();
    }
  }

  async retry(messageId) {
    try {
      this.upsert(await api(`/api/v1/messages/${messageId}/retry/`, { method: "POST" }));
    } catch (err) {
      toast(err.message);
    }
  }

  async drop(messageId) {
    try {
      this.upsert(await api(`/api/v1/messages/${messageId}/drop/`, { method: "POST" }));
    } catch (err) {
      toast(err.message);
    }
  }

  async assign(userId) {
    try {
      this.applyConversation(
        await api(`/api/v1/conversations/${this.id}/assign/`, {
          method: "POST",
          body: { assigned_agent: userId },
        }),
      );
      toast(
        userId
          ? interpolate(gettext("Assigned to %(name)s"), { name: this.agents.find((a) => a.id === userId)?.username })
          : gettext("Unassigned"),
      );
    } catch (err) {
      toast(err.message);
      this.applyConversation(this.conversation);
    }
  }

  assignToMe() {
    return this.assign(this.me.id);
  }

  // Resolve, then open the row below this one in the inbox (or the one above,
  // or the inbox itself): read before resolving, as the list may drop this row.
  async resolveAndNext() {
    const links = [...document.querySelectorAll("#inbox-list a.row-link")];
    const here = links.findIndex((a) => a.closest(".row")?.dataset.conversation === String(this.id));
    const next = here === -1 ? links[0] : links[here + 1] || links[here - 1];
    if (!(await this.setStatus("resolved"))) return;
    const back = document.querySelector(".conversation-header a.back");
    location.assign(next ? next.href : back?.href || "/console/");
  }

  async setStatus(status) {
    try {
      this.applyConversation(
        await api(`/api/v1/conversations/${this.id}/status/`, {
          method: "POST",
          body: { status },
        }),
      );
      return true;
    } catch (err) {
      toast(err.message);
      this.applyConversation(this.conversation);
      return false;
    }
  }
}
