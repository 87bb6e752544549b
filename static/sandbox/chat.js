// The sandbox customer page: one WebSocket per tab, the transcript, typing and tapbacks.
import { renderBusinessBody, renderCustomerBody, openSheet, closeSheet, el } from "./bubbles.js";

const customer = JSON.parse(document.getElementById("customer-data").textContent);
const transcript = document.getElementById("transcript");
const input = document.getElementById("message-input");
const composer = document.getElementById("composer");
const typingIndicator = document.getElementById("business-typing");
const closedBanner = document.getElementById("closed-banner");
const connection = document.getElementById("connection");
const rows = new Map(); // message id → row element
const TYPING_IDLE_MS = 3000;
const BUSINESS_TYPING_EXPIRY_MS = 60000;
const TAPBACKS = [
  ["loved", "❤️"], ["liked", "👍"], ["disliked", "👎"],
  ["laughed", "😂"], ["emphasized", "‼️"], ["questioned", "❓"],
];
const EMOJI = "😀😂😍🥰😎🤔😢😡👍👎🙏👏🎉🔥❤️✨☕️🍕🚲📦✅❌⏰📍".match(/\p{Extended_Pictographic}\uFE0F?/gu);

document.getElementById("business-name").textContent = customer.business_name;
document.title = `${customer.business_name} · Messages`;

// Socket --------------------------------------------------------------------------
let socket = null;
let retryDelay = 500;
const outbox = [];

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/sandbox/${customer.key}/`);
  connection.dataset.state = "connecting";
  connection.textContent = "connecting";
  socket.addEventListener("open", () => {
    retryDelay = 500;
    connection.dataset.state = "open";
    connection.textContent = "connected";
    while (outbox.length) socket.send(outbox.shift());
  });
  socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    connection.dataset.state = "closed";
    connection.textContent = "reconnecting…";
    // Back off so a restarting server is not hammered; the hello resyncs history.
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  });
}

function send(action) {
  const text = JSON.stringify(action);
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
  else outbox.push(text);
}

let businessTypingTimer = null;
function handle(event) {
  if (event.type === "hello") {
    transcript.replaceChildren();
    rows.clear();
    event.messages.forEach(addMessage);
    setClosed(event.customer.closed);
  } else if (event.type === "message") {
    addMessage(event.message);
  } else if (event.type === "typing") {
    showBusinessTyping(event.typing);
  } else if (event.type === "error") {
    transcript.append(el("div", { className: "system error", text: event.error }));
    scrollDown();
  }
}

function showBusinessTyping(on) {
  typingIndicator.hidden = !on;
  clearTimeout(businessTypingTimer);
  // A lost typing_end must not leave the dots forever.
  if (on) businessTypingTimer = setTimeout(() => (typingIndicator.hidden = true), BUSINESS_TYPING_EXPIRY_MS);
  scrollDown();
}

function setClosed(closed) {
  closedBanner.hidden = !closed;
  customer.closed = closed;
}

// Transcript ----------------------------------------------------------------------
const ctx = {
  customer,
  reply: (interactiveData) => send({ action: "interactive", interactiveData }),
  pay: (messageId, approve) => send({ action: "pay", message: messageId, approve }),
  authenticate: (messageId, approve, username) => send({ action: "authenticate", message: messageId, approve, username }),
  fileUrl: (messageId, index) => `/sandbox/c/${customer.key}/files/${messageId}/${index}/`,
};

function addMessage(message) {
  if (message.type === "typing_start" || message.type === "typing_end") return;
  if (message.from === "business") showBusinessTyping(false);
  if (message.from === "customer" && message.type === "close") {
    if (message.status === 200) setClosed(true);
  } else if (message.from === "customer" && message.status === 200) {
    setClosed(false);
  }
  const row = message.from === "business" ? businessRow(message) : customerRow(message);
  row.dataset.messageId = message.id;
  row.dataset.appleId = message.apple_id;
  const previous = rows.get(message.id);
  if (previous) previous.replaceWith(row);
  else transcript.append(row);
  rows.set(message.id, row);
  if (message.from === "customer" && message.type === "text") markTapback(message);
  scrollDown();
}

function businessRow(message) {
  const row = el("div", { className: "row business" });
  const line = el("div", { className: "line" });
  line.append(renderBusinessBody(message, ctx));
  const button = el("button", { className: "tapback-button", text: "♡", title: "Tapback" });
  button.type = "button";
  button.addEventListener("click", () => toggleTapbackMenu(row, message));
  line.append(button);
  row.append(line);
  row.append(el("div", { className: "reactions" }));
  return row;
}

function customerRow(message) {
  const row = el("div", { className: `row customer type-${message.type}` });
  if (message.type === "close") {
    row.className = "system";
    row.textContent = "You deleted the conversation.";
  } else {
    row.append(renderCustomerBody(message, ctx));
  }
  const ok = message.status === 200;
  const status = el("div", {
    className: ok ? "status" : "status failed",
    text: ok ? "Delivered" : `Not delivered: ${message.status ?? "no answer"} ${message.error || ""}`.trim(),
  });
  row.append(status);
  return row;
}

function toggleTapbackMenu(row, message) {
  const open = row.querySelector(".tapback-menu");
  if (open) return open.remove();
  const menu = el("div", { className: "tapback-menu" });
  for (const [reaction, symbol] of TAPBACKS) {
    const choice = el("button", { text: symbol, title: reaction });
    choice.type = "button";
    choice.dataset.reaction = reaction;
    choice.addEventListener("click", () => {
      send({ action: "tapback", reaction, message: message.id });
      menu.remove();
    });
    menu.append(choice);
  }
  row.prepend(menu);
}

// A sent tapback shows as a badge on the message it quotes.
function markTapback(message) {
  const match = /^(Loved|Liked|Disliked|Laughed at|Emphasized|Questioned) [“"](.*)[”"]$/su.exec(message.body.body || "");
  if (!match) return;
  const symbol = { Loved: "❤️", Liked: "👍", Disliked: "👎", "Laughed at": "😂", Emphasized: "‼️", Questioned: "❓" }[match[1]];
  for (const row of [...transcript.querySelectorAll(".row.business")].reverse()) {
    if (row.querySelector(".bubble")?.textContent === match[2]) {
      row.querySelector(".reactions").textContent = symbol;
      return;
    }
  }
}

function scrollDown() {
  transcript.scrollTop = transcript.scrollHeight;
}

// Composing: typing_start on the first keystroke, typing_end after 3 s idle or on send.
let typing = false;
let idleTimer = null;

function stopTyping() {
  clearTimeout(idleTimer);
  if (typing) {
    typing = false;
    send({ action: "typing", typing: false });
  }
}

input.addEventListener("input", () => {
  if (!input.value.trim()) return stopTyping();
  if (!typing) {
    typing = true;
    send({ action: "typing", typing: true });
  }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
});

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = input.value;
  if (!body.trim()) return;
  stopTyping();
  send({ action: "text", body });
  input.value = "";
  document.getElementById("emoji-palette").hidden = true;
});

document.getElementById("delete-conversation").addEventListener("click", () => {
  openSheet((sheet) => {
    sheet.append(el("h2", { text: "Delete this conversation?" }));
    sheet.append(el("p", { text: `${customer.business_name} can't message you again until you write to them.` }));
    const actions = el("div", { className: "actions" });
    const cancel = el("button", { text: "Cancel" });
    cancel.addEventListener("click", closeSheet);
    const confirm = el("button", { className: "primary", text: "Delete", id: "confirm-delete" });
    confirm.addEventListener("click", () => {
      stopTyping();
      send({ action: "close" });
      closeSheet();
    });
    actions.append(cancel, confirm);
    sheet.append(actions);
  });
});

const palette = document.getElementById("emoji-palette");
for (const symbol of EMOJI) {
  const button = el("button", { text: symbol });
  button.type = "button";
  button.addEventListener("click", () => {
    input.value += symbol;
    input.dispatchEvent(new Event("input"));
    input.focus();
  });
  palette.append(button);
}
document.getElementById("emoji-button").addEventListener("click", () => (palette.hidden = !palette.hidden));

document.getElementById("attach-input").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(`/sandbox/c/${customer.key}/attachments/`, {
    method: "POST", body: form, headers: { "X-CSRFToken": token },
  });
  if (!response.ok && response.status !== 502) {
    const answer = await response.json().catch(() => ({}));
    handle({ type: "error", error: answer.error || `upload failed (${response.status})` });
  }
  event.target.value = "";
});

connect();
