// Draws what the customer's device shows for a preview answer: the bubble and,
// for pickers, the choices behind it; or, for a device that cannot show the
// kind, the text alternative as a plain message.

import { gettext } from "../../console/js/i18n.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function card(received, className) {
  const node = el("div", `rp-bubble rp-card rp-style-${received.style || "icon"} ${className}`);
  if (received.image) {
    const img = el("img", "rp-image");
    img.src = received.image;
    img.alt = "";
    node.append(img);
  }
  const body = el("div", "rp-card-body");
  body.append(el("div", "rp-title", received.title || ""));
  if (received.subtitle) body.append(el("div", "rp-subtitle", received.subtitle));
  node.append(body);
  return node;
}

function choices(preview) {
  const list = el("div", "rp-choices");
  list.dataset.kind = preview.kind;
  if (preview.kind === "list_picker") {
    for (const section of preview.choices) {
      const group = el("div", "rp-section");
      const heading = section.title || gettext("Items");
      group.append(el("div", "rp-section-title", section.multiple ? `${heading} ${gettext("(pick several)")}` : heading));
      for (const item of section.items) {
        const row = el("div", "rp-item", item.title);
        if (item.subtitle) row.append(el("span", "rp-item-sub", ` ${item.subtitle}`));
        group.append(row);
      }
      list.append(group);
    }
  } else if (preview.kind === "quick_reply") {
    for (const title of preview.choices) list.append(el("span", "rp-chip", title));
  } else {
    for (const line of preview.choices) list.append(el("div", "rp-item", line));
  }
  return list;
}

export function drawBubble(target, preview) {
  target.dataset.state = "valid";
  target.dataset.device = "iphone";
  const row = el("div", "rp-row");
  row.append(card(preview.received, "rp-received"));
  if (preview.choices.length) row.append(choices(preview));
  target.replaceChildren(row);
  if (preview.reply) {
    const reply = el("div", "rp-row rp-row-customer");
    reply.append(el("div", "rp-caption", gettext("After the customer answers:")), card(preview.reply, "rp-reply"));
    target.append(reply);
  }
}

export function drawText(target, text) {
  target.dataset.state = "valid";
  target.dataset.device = "text";
  const row = el("div", "rp-row");
  row.append(el("div", "rp-caption", gettext("This device gets the text alternative:")));
  row.append(el("div", "rp-bubble rp-text", text));
  target.replaceChildren(row);
}
