// Live preview of a rich object in the admin change form: as the admin edits the
// JSON spec, the server runs the same builder a send runs and answers with the
// bubble the device would draw, or with the rules the spec breaks.

const panel = document.getElementById("rich-preview-panel");
const spec = document.getElementById("id_spec");
const kindSelect = document.getElementById("id_kind");
const businessSelect = document.getElementById("id_business");
const target = document.getElementById("rich-preview");
const errorList = document.getElementById("rich-preview-errors");
const meta = document.getElementById("rich-preview-meta");
const starters = JSON.parse(document.getElementById("rich-starter-specs")?.textContent || "{}");
const DEBOUNCE_MS = 300;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

function currentKind() {
  return panel.dataset.kind || kindSelect?.value || "";
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

// Put the panel beside the spec textarea: the admin sees both while typing.
function placePanel() {
  const row = spec?.closest(".form-row");
  if (!row) return;
  const layout = el("div", "rp-layout");
  row.before(layout);
  layout.append(row, panel);
}

function bubble(received, className) {
  const card = el("div", `rp-bubble rp-card rp-style-${received.style || "icon"} ${className}`);
  if (received.image) {
    const img = el("img", "rp-image");
    img.src = received.image;
    img.alt = "";
    card.append(img);
  }
  const body = el("div", "rp-card-body");
  body.append(el("div", "rp-title", received.title || ""));
  if (received.subtitle) body.append(el("div", "rp-subtitle", received.subtitle));
  card.append(body);
  return card;
}

function choices(preview) {
  const list = el("div", "rp-choices");
  list.dataset.kind = preview.kind;
  if (preview.kind === "list_picker") {
    for (const section of preview.choices) {
      const group = el("div", "rp-section");
      group.append(el("div", "rp-section-title", `${section.title || "Items"}${section.multiple ? " (pick several)" : ""}`));
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

function showPreview(preview) {
  target.dataset.state = "valid";
  errorList.hidden = true;
  errorList.replaceChildren();
  const row = el("div", "rp-row");
  row.append(bubble(preview.received, "rp-received"));
  if (preview.choices.length) row.append(choices(preview));
  target.replaceChildren(row);
  if (preview.reply) {
    const reply = el("div", "rp-row rp-row-customer");
    reply.append(el("div", "rp-caption", "After the customer answers:"), bubble(preview.reply, "rp-reply"));
    target.append(reply);
  }
  const note = preview.data_ref ? " — over 10 KB, sent with include-data-ref" : "";
  meta.textContent = `${preview.size} bytes${note}`;
}

function showErrors(error) {
  target.dataset.state = "invalid";
  const fields = error.fields && Object.keys(error.fields).length ? error.fields : { spec: [error.message] };
  errorList.replaceChildren(
    ...Object.entries(fields).flatMap(([field, rules]) =>
      rules.map((rule) => {
        const item = el("li");
        item.append(el("code", "rp-field", field), document.createTextNode(`: ${rule}`));
        return item;
      }),
    ),
  );
  errorList.hidden = false;
  meta.textContent = "Fix these and the preview updates.";
}

let timer = null;
let sequence = 0;

async function refresh() {
  const kind = currentKind();
  if (!spec || !kind) {
    target.dataset.state = "idle";
    meta.textContent = "Choose a kind to see the bubble.";
    return;
  }
  if (!panel.dataset.objectId && !businessSelect?.value) {
    target.dataset.state = "idle";
    meta.textContent = "Choose the business to see the bubble (its library images are used).";
    return;
  }
  const mine = ++sequence;
  const body = { spec: spec.value, kind };
  if (panel.dataset.objectId) body.object = panel.dataset.objectId;
  else body.business = businessSelect.value;
  let response;
  try {
    response = await fetch(panel.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  } catch {
    if (mine === sequence) meta.textContent = "Preview unavailable (network).";
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (mine !== sequence) return; // a newer edit already asked again
  if (response.ok) showPreview(answer.preview);
  else showErrors(answer.error || { message: `HTTP ${response.status}` });
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, DEBOUNCE_MS);
}

function isStarterOrBlank(text) {
  if (!text.trim()) return true;
  try {
    const parsed = JSON.stringify(JSON.parse(text));
    return Object.values(starters).some((starter) => JSON.stringify(starter) === parsed);
  } catch {
    return false;
  }
}

function useStarter(kind) {
  if (!starters[kind]) return;
  if (kindSelect) kindSelect.value = kind;
  spec.value = pretty(starters[kind]);
  refresh();
}

if (panel && spec) {
  placePanel();
  // Django renders the JSON on one line; indent it so it is editable.
  try {
    if (spec.value.trim()) spec.value = pretty(JSON.parse(spec.value));
  } catch {
    // Invalid JSON stays as the admin typed it; the preview names the problem.
  }
  spec.addEventListener("input", schedule);
  businessSelect?.addEventListener("change", schedule);
  kindSelect?.addEventListener("change", () => {
    // Switching kind swaps in its starter unless the admin has written their own.
    if (isStarterOrBlank(spec.value)) useStarter(kindSelect.value);
    else refresh();
  });
  for (const button of panel.querySelectorAll(".rp-starter")) {
    button.addEventListener("click", () => useStarter(button.dataset.kind));
  }
  refresh();
}
