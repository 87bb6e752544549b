// Attachments in the console: inline display in the timeline (images and video
// with thumbnails, audio players, download links), and sending files by picker
// or drag and drop, several at once, with upload progress.
//
// Files are always fetched from the authorised /api/v1/attachments/<id>/ views
// with the session cookie; nothing here builds a public URL.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { api, toast } from "./api.js";

const MAX_BYTES = 100 * 1024 * 1024; // Apple's limit, checked again by the server
const MAX_FILES = 10;
const OBJECT_REPLACEMENT = "\uFFFC";
const STATUS_TEXT = {
  pending: gettext("Waiting…"),
  fetching: gettext("Fetching from Apple…"),
  uploading: gettext("Sending to Apple…"),
  uploaded: "",
  stored: "",
  failed: gettext("Failed"),
};

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function fileMeta(item) {
  return el("span", { className: "attachment-meta" }, `${item.mime_type || "file"} · ${formatBytes(item.size)}`);
}

function renderItem(item, message) {
  const node = el("figure", { className: `attachment attachment-${item.status}` });
  node.dataset.attachment = String(item.id);
  node.dataset.status = item.status;
  const mime = item.mime_type || "";
  const ready = Boolean(item.url) && item.status !== "fetching";

  if (ready && mime.startsWith("image/") && item.thumbnail_url) {
    const link = el("a", { href: item.url, target: "_blank", rel: "noopener", title: item.name });
    const img = el("img", {
      src: item.thumbnail_url,
      alt: item.name || "image",
      loading: "lazy",
      className: "attachment-image",
    });
    // A thumbnail Pillow could not make (huge or odd image): show the original.
    img.addEventListener("error", () => {
      if (img.src !== new URL(item.url, location.href).href) img.src = item.url;
    }, { once: true });
    link.append(img);
    node.append(link);
  } else if (ready && mime.startsWith("video/")) {
    node.append(el("video", { src: item.url, controls: true, preload: "metadata", className: "attachment-video" }));
  } else if (ready && mime.startsWith("audio/")) {
    node.append(el("audio", { src: item.url, controls: true, preload: "metadata", className: "attachment-audio" }));
  }
  const caption = el("figcaption");
  if (ready) {
    caption.append(el("a", { href: item.url, className: "attachment-link", textContent: `📎 ${item.name || gettext("file")}`, download: item.name || "" }));
  } else {
    caption.append(el("span", { className: "attachment-name", textContent: `📎 ${item.name || gettext("file")}` }));
  }
  caption.append(" ", fileMeta(item));
  const state = STATUS_TEXT[item.status];
  if (state) {
    const status = el("span", { className: `attachment-state state-${item.status}` });
    status.textContent = item.status === "failed" && item.last_error ? interpolate(gettext("Failed: %(error)s"), { error: item.last_error }) : state;
    caption.append(" ", status);
  }
  // Outbound files are retried with their message (its Retry button).
  if (item.status === "failed" && message.direction === "in") {
    const retry = el("button", { type: "button", className: "attachment-retry", textContent: gettext("Fetch again") });
    retry.dataset.attachment = String(item.id);
    retry.setAttribute("aria-label", interpolate(gettext("Fetch %(name)s again"), { name: item.name || gettext("the file") }));
    caption.append(" ", retry);
  }
  node.append(caption);
  return node;
}

// Called by ConversationView.renderMessage for every line it draws.
export function decorateAttachments(li, message) {
  const items = message.attachments || [];
  if (!items.length) return;
  const bubble = li.querySelector(".bubble");
  if (bubble) {
    const text = (message.text || "").replaceAll(OBJECT_REPLACEMENT, "").trim();
    bubble.textContent = text;
    bubble.hidden = !text;
  }
  const holder = el("div", { className: "attachments" });
  holder.setAttribute("aria-label", gettext("Attachments"));
  for (const item of items) holder.append(renderItem(item, message));
  if (bubble) bubble.after(holder);
  else li.prepend(holder);
}

class AttachmentComposer {
  constructor(view) {
    this.view = view;
    this.files = [];
    this.form = view.form;
    this.pane = document.querySelector(".conversation");
    this.build();
    this.bind();
  }

  build() {
    this.input = el("input", { type: "file", multiple: true, id: "attach-input", hidden: true });
    const label = el("label", { className: "attach-button", htmlFor: "attach-input", title: gettext("Attach files (or drop them here)") }, `📎 ${gettext("Attach")}`);
    label.setAttribute("role", "button");
    label.tabIndex = 0;
    label.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.input.click();
      }
    });
    this.tray = el("div", { className: "attachment-tray", id: "attachment-tray", hidden: true });
    this.tray.setAttribute("aria-live", "polite");
    this.list = el("ul", { className: "attachment-chips" });
    this.progress = el("progress", { id: "attachment-progress", max: 100, value: 0, hidden: true });
    this.progress.setAttribute("aria-label", gettext("Upload progress"));
    this.tray.append(this.list, this.progress);
    const tools = this.form.querySelector(".composer-tools");
    tools.prepend(label, this.input);
    this.form.querySelector("textarea").after(this.tray);
  }

  bind() {
    this.input.addEventListener("change", () => {
      this.add([...this.input.files]);
      this.input.value = "";
    });
    // Capture phase: with files waiting, Send uploads them (text as caption)
    // instead of sending a plain text message.
    this.form.addEventListener("submit", (event) => this.interceptSubmit(event), true);
    this.view.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) this.interceptSubmit(event);
    }, true);
    this.pane.addEventListener("dragover", (event) => {
      if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
      event.preventDefault();
      this.pane.classList.add("dropping");
    });
    this.pane.addEventListener("dragleave", (event) => {
      if (event.target === this.pane || !this.pane.contains(event.relatedTarget)) {
        this.pane.classList.remove("dropping");
      }
    });
    this.pane.addEventListener("drop", (event) => {
      if (!event.dataTransfer?.files?.length) return;
      event.preventDefault();
      this.pane.classList.remove("dropping");
      this.add([...event.dataTransfer.files]);
    });
    this.view.timeline.addEventListener("click", (event) => {
      const button = event.target.closest("button.attachment-retry");
      if (button) this.retry(Number(button.dataset.attachment), button);
    });
  }

  add(files) {
    for (const file of files) {
      if (file.size > MAX_BYTES) {
        toast(interpolate(gettext("%(name)s is larger than 100 MB, Apple's limit."), { name: file.name }));
        continue;
      }
      if (file.size === 0) {
        toast(interpolate(gettext("%(name)s is empty."), { name: file.name }));
        continue;
      }
      if (this.files.length >= MAX_FILES) {
        toast(interpolate(gettext("At most %(n)s files per message."), { n: MAX_FILES }));
        break;
      }
      this.files.push(file);
    }
    this.renderTray();
  }

  renderTray() {
    this.list.replaceChildren();
    this.files.forEach((file, index) => {
      const remove = el("button", { type: "button", className: "chip-remove", textContent: "×" });
      remove.setAttribute("aria-label", interpolate(gettext("Remove %(name)s"), { name: file.name }));
      remove.addEventListener("click", () => {
        this.files.splice(index, 1);
        this.renderTray();
      });
      this.list.append(el("li", { className: "attachment-chip" }, `📎 ${file.name} `, el("span", { className: "attachment-meta", textContent: formatBytes(file.size) }), " ", remove));
    });
    this.tray.hidden = this.files.length === 0;
    if (this.files.length) this.view.sendButton.textContent = interpolate(ngettext("Send %(n)s file", "Send %(n)s files", this.files.length), { n: this.files.length });
    else this.view.applyMode();
  }

  interceptSubmit(event) {
    if (!this.files.length || this.view.mode !== "reply") return;
    event.preventDefault();
    event.stopImmediatePropagation();
    this.send();
  }

  send() {
    if (this.sending) return;
    const files = this.files;
    const text = this.view.textarea.value;
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    if (text.trim()) form.append("text", text);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/conversations/${this.view.id}/attachments/`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", document.querySelector('meta[name="csrf-token"]')?.content || "");
    this.sending = true;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.view.sendButton.disabled = true;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) this.progress.value = Math.round((event.loaded / event.total) * 100);
    });
    const done = () => {
      this.sending = false;
      this.progress.hidden = true;
      this.view.sendButton.disabled = false;
    };
    xhr.addEventListener("load", () => {
      done();
      let answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        // not JSON (a proxy's error page): keep the status
      }
      if (xhr.status === 201) {
        this.files = [];
        this.view.textarea.value = "";
        this.renderTray();
        this.view.upsert(answer);
        this.view.scrollToEnd();
        return;
      }
      toast(answer.error?.message || interpolate(gettext("Upload failed (%(status)s)."), { status: xhr.status }));
    });
    xhr.addEventListener("error", () => {
      done();
      toast(gettext("Upload failed: the connection dropped."));
    });
    xhr.send(form);
  }

  async retry(attachmentId, button) {
    button.disabled = true;
    try {
      this.view.upsert(await api(`/api/v1/attachments/${attachmentId}/retry/`, { method: "POST" }));
    } catch (error) {
      button.disabled = false;
      toast(error.message);
    }
  }
}

export function initAttachments(view) {
  return new AttachmentComposer(view);
}
