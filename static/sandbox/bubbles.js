// Bubbles of the sandbox customer page: text, attachments, rich links and every
// interactive type of spec §7, each with the reply the device sends back.

export function el(tag, { className, text, title, id } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (title) node.title = title;
  if (id) node.id = id;
  return node;
}

function button(label, onClick, className = "") {
  const node = el("button", { text: label, className });
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

const backdrop = document.getElementById("sheet");
const sheetBody = document.getElementById("sheet-body");

export function openSheet(fill) {
  sheetBody.replaceChildren();
  fill(sheetBody);
  backdrop.hidden = false;
}

export function closeSheet() {
  backdrop.hidden = true;
  sheetBody.replaceChildren();
}

backdrop?.addEventListener("click", (event) => {
  if (event.target === backdrop) closeSheet();
});

// Which capability each feature needs (spec §5); Apple Pay and rich links work everywhere.
const NEEDS = { listPicker: "LIST", event: "TIME", "quick-reply": "QUICK", dynamic: "FORM" };
const FEATURES = ["listPicker", "event", "quick-reply", "payment", "authenticate", "dynamic"];

function imageMap(inner) {
  const map = new Map();
  for (const image of inner?.images || []) map.set(String(image.identifier), `data:image/png;base64,${image.data}`);
  return map;
}

function card(title, subtitle, imageSrc) {
  const node = el("div", { className: "bubble card" });
  if (imageSrc) {
    const img = el("img", { className: "card-image" });
    img.src = imageSrc;
    img.alt = "";
    node.append(img);
  }
  const body = el("div", { className: "card-body" });
  body.append(el("div", { className: "card-title", text: title || "" }));
  if (subtitle) body.append(el("div", { className: "card-sub", text: subtitle }));
  node.append(body);
  return node;
}

function actions(node, ...buttons) {
  const bar = el("div", { className: "card-actions" });
  bar.append(...buttons);
  node.append(bar);
  return bar;
}

function textWithAttachments(message, ctx, className) {
  const body = message.body;
  const node = el("div", { className });
  const attachments = body.attachments || [];
  const parts = String(body.body ?? "").split("\uFFFC");
  parts.forEach((part, index) => {
    if (part) node.append(document.createTextNode(part));
    if (index < parts.length - 1 && attachments[index]) node.append(attachmentNode(message, ctx, index));
  });
  // Attachments without a placeholder still show.
  for (let index = parts.length - 1; index < attachments.length; index++) node.append(attachmentNode(message, ctx, index));
  return node;
}

function attachmentNode(message, ctx, index) {
  const item = message.body.attachments[index];
  const mime = item.mimeType || item["mime-type"] || "";
  if (message.from !== "business") return el("span", { text: `📎 ${item.name}` });
  const url = ctx.fileUrl(message.id, index);
  if (mime.startsWith("image/")) {
    const img = el("img", { className: "attachment-img" });
    img.src = url;
    img.alt = item.name;
    return img;
  }
  const link = el("a", { text: `📎 ${item.name}` });
  link.href = url;
  link.target = "_blank";
  return link;
}

// Business messages ------------------------------------------------------------------

export function renderBusinessBody(message, ctx) {
  const body = message.body;
  if (message.type === "text") return textWithAttachments(message, ctx, "bubble");
  if (message.type === "richLink") return richLink(body.richLinkData || {});
  if (message.type === "interactive") return interactive(message, ctx);
  return el("div", { className: "bubble unsupported", text: `(${message.type})` });
}

function richLink(data) {
  const image = data.assets?.image;
  const src = image ? `data:${image.mimeType};base64,${image.data}` : null;
  let host = "";
  try { host = new URL(data.url).host; } catch { host = data.url; }
  const node = card(data.title, host, src);
  node.classList.add("rich-link");
  const link = el("a");
  link.href = data.url;
  link.target = "_blank";
  link.rel = "noopener";
  link.append(...node.childNodes);
  node.append(link);
  return node;
}

function interactive(message, ctx) {
  const data = message.body.interactiveData || {};
  const inner = data.data || {};
  const images = imageMap(inner);
  const received = data.receivedMessage || {};
  const feature = FEATURES.find((name) => name in inner);
  const isApp = !feature && data.appId;
  const node = card(received.title, received.subtitle, images.get(String(received.imageIdentifier)));
  node.dataset.feature = feature || (isApp ? "app" : "unknown");
  const caps = ctx.customer.capabilities || [];
  const needs = NEEDS[feature];
  const authMissing = feature === "authenticate" && !caps.includes("AUTH") && !caps.includes("AUTH2");
  if ((needs && !caps.includes(needs)) || authMissing || (isApp && !ctx.customer.apps) || (feature === "dynamic" && !ctx.customer.apps)) {
    node.append(el("div", { className: "card-body unsupported", text: "This message isn't supported on this device." }));
    return node;
  }
  const handlers = {
    "quick-reply": quickReply,
    listPicker: listPicker,
    event: timePicker,
    payment: payment,
    authenticate: authenticate,
    dynamic: form,
  };
  if (feature) handlers[feature](node, message, data, inner, images, ctx);
  else if (isApp) app(node, message, data, ctx);
  return node;
}

function replyTo(data, featureKey, featureValue, summary) {
  const inner = data.data;
  const reply = {
    bid: data.bid,
    data: { version: inner.version, requestIdentifier: inner.requestIdentifier, [featureKey]: featureValue },
    receivedMessage: { ...(data.replyMessage || data.receivedMessage || {}), subtitle: summary },
  };
  if (inner.mspVersion) reply.data.mspVersion = inner.mspVersion;
  if (data.replyMessage) reply.replyMessage = data.replyMessage;
  if (data.sessionIdentifier) reply.sessionIdentifier = data.sessionIdentifier;
  return reply;
}

function quickReply(node, message, data, inner, images, ctx) {
  const quick = inner["quick-reply"];
  node.querySelector(".card-title").textContent = quick.summaryText || node.querySelector(".card-title").textContent;
  const bar = actions(node);
  quick.items.forEach((item, index) => {
    bar.append(button(item.title, () => {
      const value = { summaryText: quick.summaryText, selectedIdentifier: item.identifier, selectedIndex: index, items: [item] };
      ctx.reply(replyTo(data, "quick-reply", value, item.title));
      bar.querySelectorAll("button").forEach((b) => (b.disabled = true));
    }));
  });
}

function listPicker(node, message, data, inner, images, ctx) {
  const picker = inner.listPicker;
  actions(node, button("Choose", () => openSheet((sheet) => {
    sheet.append(el("h2", { text: data.receivedMessage?.title || "Choose" }));
    const chosen = new Map();
    const sections = [...picker.sections].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
    sections.forEach((section, s) => {
      if (section.title) sheet.append(el("h3", { text: section.title }));
      const items = [...section.items].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
      for (const item of items) {
        const row = el("label", { className: "item" });
        const box = el("input");
        box.type = section.multipleSelection ? "checkbox" : "radio";
        box.name = `section-${s}`;
        box.value = item.identifier;
        box.addEventListener("change", () => {
          if (!section.multipleSelection) for (const key of [...chosen.keys()]) if (chosen.get(key).section === section) chosen.delete(key);
          if (box.checked) chosen.set(item.identifier, { section, item });
          else chosen.delete(item.identifier);
        });
        row.append(box);
        const src = images.get(String(item.imageIdentifier));
        if (src) { const img = el("img"); img.src = src; img.alt = ""; row.append(img); }
        const text = el("div");
        text.append(el("div", { text: item.title }));
        if (item.subtitle) text.append(el("div", { className: "sub", text: item.subtitle }));
        row.append(text);
        sheet.append(row);
      }
    });
    const bar = el("div", { className: "actions" });
    bar.append(button("Cancel", closeSheet), button("Send", () => {
      if (!chosen.size) return;
      const replySections = sections
        .map((section) => ({ ...section, items: section.items.filter((i) => chosen.has(i.identifier) && chosen.get(i.identifier).section === section) }))
        .filter((section) => section.items.length);
      const used = new Set(replySections.flatMap((s) => s.items.map((i) => String(i.imageIdentifier))));
      const reply = replyTo(data, "listPicker", { sections: replySections }, [...chosen.values()].map((c) => c.item.title).join(", "));
      // Apple's reply carries the images of what was chosen, which makes it large (spec §7.1).
      reply.data.images = (inner.images || []).filter((image) => used.has(String(image.identifier)));
      ctx.reply(reply);
      closeSheet();
    }, "primary"));
    sheet.append(bar);
  })));
}

function slotDate(startTime) {
  return new Date(startTime.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
}

function formatSlot(slot, offsetMinutes) {
  const start = slotDate(slot.startTime);
  const options = { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  if (offsetMinutes === undefined || offsetMinutes === null) return start.toLocaleString(undefined, options);
  const shifted = new Date(start.getTime() + offsetMinutes * 60000);
  return shifted.toLocaleString(undefined, { ...options, timeZone: "UTC" });
}

function timePicker(node, message, data, inner, images, ctx) {
  const event = inner.event;
  actions(node, button("Choose a time", () => openSheet((sheet) => {
    sheet.append(el("h2", { text: event.title }));
    if (event.location?.title) sheet.append(el("p", { className: "sub", text: `📍 ${event.location.title}` }));
    for (const slot of event.timeslots) {
      const label = `${formatSlot(slot, event.timezoneOffset)} · ${Math.round(slot.duration / 60)} min`;
      const row = button(label, () => {
        const value = { ...event, timeslots: [slot] };
        ctx.reply(replyTo(data, "event", value, label));
        closeSheet();
      });
      row.classList.add("item");
      sheet.append(row);
    }
    sheet.append(button("Cancel", closeSheet));
  })));
}

function payment(node, message, data, inner, images, ctx) {
  const request = inner.payment.paymentRequest;
  actions(node, button(" Pay", () => openSheet((sheet) => {
    sheet.append(el("h2", { text: ` Pay · ${request.merchantName || ""}` }));
    for (const line of request.lineItems || []) {
      const row = el("div", { className: "line" });
      row.append(el("span", { text: line.label }), el("span", { text: `${line.amount} ${request.currencyCode}` }));
      sheet.append(row);
    }
    const total = el("div", { className: "line total" });
    total.append(el("span", { text: request.total.label }), el("span", { text: `${request.total.amount} ${request.currencyCode}` }));
    sheet.append(total, el("p", { className: "sub", text: "Card: Visa •••• 1234 (simulated)" }));
    const bar = el("div", { className: "actions" });
    bar.append(
      button("Cancel", () => { ctx.pay(message.id, false); closeSheet(); }),
      button("Pay with Face ID", () => { ctx.pay(message.id, true); closeSheet(); }, "primary"),
    );
    sheet.append(bar);
  }), "primary"));
}

function authenticate(node, message, data, inner, images, ctx) {
  const oauth = inner.authenticate.oauth2 || {};
  actions(node, button("Sign in", () => openSheet((sheet) => {
    sheet.append(el("h2", { text: `Sign in to ${ctx.customer.business_name}` }));
    sheet.append(el("p", { className: "sub", text: `Simulated OAuth page · scope: ${(oauth.scope || []).join(" ") || "(none)"}` }));
    const user = el("input");
    user.type = "text";
    user.placeholder = "username";
    user.value = "sandbox-user";
    sheet.append(user);
    const bar = el("div", { className: "actions" });
    bar.append(
      button("Cancel", () => { ctx.authenticate(message.id, false, ""); closeSheet(); }),
      button("Sign in", () => { ctx.authenticate(message.id, true, user.value); closeSheet(); }, "primary"),
    );
    sheet.append(bar);
  }), "primary"));
}

function form(node, message, data, inner, images, ctx) {
  const formData = inner.dynamic.data;
  const splash = formData.splash || {};
  if (splash.header) node.querySelector(".card-title").textContent = splash.header;
  actions(node, button(splash.buttonTitle || "Open form", () => {
    const pages = new Map(formData.pages.map((page) => [String(page.pageIdentifier), page]));
    const selections = [];
    const show = (pageId) => openSheet((sheet) => {
      const page = pages.get(String(pageId));
      sheet.append(el("h2", { text: page.title }));
      if (page.subtitle) sheet.append(el("p", { className: "sub", text: page.subtitle }));
      let read;
      if (page.type === "select") {
        const boxes = page.items.map((item) => {
          const row = el("label", { className: "item" });
          const box = el("input");
          box.type = page.multipleSelection ? "checkbox" : "radio";
          box.name = "form-select";
          row.append(box, el("span", { text: item.title }));
          sheet.append(row);
          return [box, item];
        });
        read = () => boxes.filter(([box]) => box.checked).map(([, item]) => item);
      } else if (page.type === "picker") {
        const select = el("select");
        for (const item of page.items) { const option = el("option", { text: item.title }); option.value = item.identifier; select.append(option); }
        sheet.append(select);
        read = () => page.items.filter((item) => item.identifier === select.value);
      } else {
        const field = el("input");
        field.type = page.type === "datePicker" ? "date" : "text";
        sheet.append(field);
        read = () => [{ identifier: String(page.pageIdentifier), title: page.title, value: field.value }];
      }
      const last = page.submitForm || page.nextPageIdentifier === undefined || page.nextPageIdentifier === null;
      const bar = el("div", { className: "actions" });
      bar.append(button("Cancel", closeSheet), button(last ? "Submit" : "Next", () => {
        const items = read().map((item) => ({ identifier: item.identifier, title: item.title, value: item.value ?? item.title }));
        selections.push({ pageIdentifier: page.pageIdentifier, title: page.title, items });
        if (last) {
          const summary = selections.flatMap((s) => s.items.map((i) => i.value)).join(", ");
          ctx.reply(replyTo(data, "dynamic", { ...inner.dynamic, selections }, summary));
          closeSheet();
        } else {
          show(page.nextPageIdentifier);
        }
      }, "primary"));
      sheet.append(bar);
    });
    show(formData.startPageIdentifier ?? formData.pages[0].pageIdentifier);
  }, "primary"));
}

function app(node, message, data, ctx) {
  node.querySelector(".card-sub")?.remove();
  node.querySelector(".card-body").append(el("div", { className: "card-sub", text: `${data.appName} · iMessage app` }));
  actions(node, button("Open", () => openSheet((sheet) => {
    sheet.append(el("h2", { text: data.appName }));
    sheet.append(el("p", { className: "sub", text: `App ${data.appId} would open with:` }));
    const params = new URLSearchParams(String(data.URL).replace(/^[^?]*\?/, ""));
    for (const [key, value] of params) {
      const row = el("div", { className: "line" });
      row.append(el("span", { text: key }), el("span", { text: value }));
      sheet.append(row);
    }
    const bar = el("div", { className: "actions" });
    bar.append(button("Close", closeSheet), button("Send back", () => {
      const reply = { ...data, receivedMessage: data.replyMessage || data.receivedMessage };
      ctx.reply(reply);
      closeSheet();
    }, "primary"));
    sheet.append(bar);
  })));
}

// Customer messages -------------------------------------------------------------------

export function renderCustomerBody(message, ctx) {
  if (message.type === "text") return textWithAttachments(message, ctx, "bubble");
  if (message.type === "interactive") {
    const data = message.body.interactiveData || message.body._shown?.interactiveData || {};
    const received = data.receivedMessage || {};
    const node = card(received.title || "Reply", received.subtitle);
    if (message.body.interactiveDataRef) node.append(el("div", { className: "card-sub", text: "sent as interactiveDataRef" }));
    return node;
  }
  return el("div", { className: "bubble", text: `(${message.type})` });
}
