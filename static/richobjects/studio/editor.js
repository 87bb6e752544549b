// The library studio's editor page: the form (form.js) and the JSON tab edit one
// spec; every change asks the server for the preview, which runs the same
// builders a send runs and answers with the bubble or the rules broken.

import { gettext, interpolate } from "../../console/js/i18n.js";
import { drawBubble, drawText, el } from "./bubble.js";
import { FormEditor } from "./form.js";
import { SCHEMAS } from "./schema.js";

const config = JSON.parse(document.getElementById("studio-config").textContent);
const textarea = document.getElementById("id_spec");
const alternative = document.getElementById("id_text_alternative");
const fieldsBox = document.getElementById("studio-fields");
const errorList = document.getElementById("studio-errors");
const target = document.getElementById("rich-preview");
const meta = document.getElementById("rich-preview-meta");
const tabs = document.querySelector(".studio-tabs");
const tabForm = document.getElementById("tab-form");
const tabJson = document.getElementById("tab-json");
const panelForm = document.getElementById("panel-form");
const panelJson = document.getElementById("panel-json");
const sample = document.getElementById("preview-sample");
const DEBOUNCE_MS = 250;

function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

function parseSpec() {
  try {
    const parsed = JSON.parse(textarea.value);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

let spec = parseSpec() || {};
let images = [];
let lastPreview = null;

async function loadImages() {
  try {
    const response = await fetch(config.imagesUrl, { credentials: "same-origin" });
    if (response.ok) images = (await response.json()).results;
  } catch {
    // No library images: the image fields offer upload only.
  }
}

async function upload(file) {
  const body = new FormData();
  body.append("file", file);
  body.append("name", file.name.replace(/\.[^.]+$/, ""));
  const response = await fetch(config.imagesUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken() },
    body,
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    showGeneral({ image: [answer.error?.message || interpolate(gettext("upload failed (HTTP %(status)s)"), { status: response.status })] });
    return null;
  }
  images.push(answer.image);
  return answer.image;
}

const form = new FormEditor({
  container: fieldsBox,
  schema: SCHEMAS[config.kind] || [],
  spec,
  images,
  onChange: () => {
    textarea.value = JSON.stringify(spec, null, 2);
    schedule();
  },
  onUpload: upload,
  channel: config.channel,
});

function showGeneral(fields) {
  const entries = Object.entries(fields);
  errorList.replaceChildren(
    ...entries.flatMap(([field, rules]) =>
      rules.map((rule) => {
        const item = el("li");
        item.append(el("code", "", field), document.createTextNode(`: ${rule}`));
        return item;
      }),
    ),
  );
  errorList.hidden = entries.length === 0;
}

function showErrors(fields) {
  // In the JSON tab every rule is listed; in the form each sits by its field.
  const jsonOpen = !panelJson.hidden && panelForm.hidden;
  showGeneral(jsonOpen ? fields : form.showErrors(fields));
  if (jsonOpen) form.showErrors({});
}

function draw() {
  if (!lastPreview) return;
  const device = document.querySelector("input[name=preview-device]:checked")?.value || "iphone";
  if (device === "text") {
    const text = alternative?.value.trim() || lastPreview.text_alternative || lastPreview.received?.subtitle || "";
    drawText(target, text);
  } else {
    drawBubble(target, lastPreview);
  }
  meta.textContent = lastPreview.data_ref
    ? interpolate(gettext("%(size)s bytes — over 10 KB, sent with include-data-ref"), { size: lastPreview.size })
    : interpolate(gettext("%(size)s bytes"), { size: lastPreview.size });
}

let timer = null;
let sequence = 0;

async function refresh() {
  const mine = ++sequence;
  let response;
  try {
    response = await fetch(config.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ kind: config.kind, spec: textarea.value, sample: sample?.checked || false }),
    });
  } catch {
    if (mine === sequence) meta.textContent = gettext("Preview unavailable (network).");
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (mine !== sequence) return; // a newer edit already asked again
  if (response.ok) {
    lastPreview = answer.preview;
    target.dataset.state = "valid";
    showErrors({});
    draw();
  } else {
    const error = answer.error || { message: `HTTP ${response.status}` };
    target.dataset.state = "invalid";
    showErrors(Object.keys(error.fields || {}).length ? error.fields : { spec: [error.message] });
    meta.textContent = gettext("Fix what is marked and the preview updates.");
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, DEBOUNCE_MS);
}

// --- tabs: Form and JSON edit the same spec ----------------------------------------

function select(tab) {
  const toForm = tab === tabForm;
  if (toForm) {
    const parsed = parseSpec();
    if (!parsed) {
      showGeneral({ spec: [gettext("is not valid JSON: fix it before going back to the form")] });
      return;
    }
    if (JSON.stringify(parsed) !== JSON.stringify(spec)) {
      spec = parsed;
      form.setSpec(spec);
    }
  }
  tabForm.setAttribute("aria-selected", String(toForm));
  tabJson.setAttribute("aria-selected", String(!toForm));
  tabForm.tabIndex = toForm ? 0 : -1;
  tabJson.tabIndex = toForm ? -1 : 0;
  panelForm.hidden = !toForm;
  panelJson.hidden = toForm;
  tab.focus();
  refresh();
}

tabForm.addEventListener("click", () => select(tabForm));
tabJson.addEventListener("click", () => select(tabJson));
tabs.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
    event.preventDefault();
    select(document.activeElement === tabForm ? tabJson : tabForm);
  }
});

textarea.addEventListener("input", () => {
  const parsed = parseSpec();
  if (parsed) spec = parsed;
  schedule();
});

// --- placeholders ------------------------------------------------------------------------

let lastField = null;
fieldsBox.addEventListener("focusin", (event) => {
  if (event.target.matches("input[type=text], textarea")) lastField = event.target;
});
const choice = document.getElementById("placeholder-choice");
const fallback = document.getElementById("placeholder-fallback");
const syncFallback = () => {
  fallback.value = choice.selectedOptions[0]?.dataset.fallback || "";
};
choice.addEventListener("change", syncFallback);
syncFallback();
document.getElementById("placeholder-insert").addEventListener("click", () => {
  const field = lastField && lastField.isConnected ? lastField : fieldsBox.querySelector("[data-placeholders=true]");
  if (!field) return;
  const token = fallback.value.trim() ? `{{${choice.value}|${fallback.value.trim()}}}` : `{{${choice.value}}}`;
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? field.value.length;
  field.value = field.value.slice(0, start) + token + field.value.slice(end);
  field.focus();
  field.setSelectionRange(start + token.length, start + token.length);
  field.dispatchEvent(new Event("input", { bubbles: true }));
});

for (const radio of document.querySelectorAll("input[name=preview-device]")) radio.addEventListener("change", draw);
sample?.addEventListener("change", refresh);
alternative?.addEventListener("input", draw);

// --- start -----------------------------------------------------------------------------------

await loadImages();
form.images = images;
tabs.hidden = false;
if (parseSpec()) {
  panelForm.hidden = false;
  panelJson.hidden = true;
  form.render();
} else {
  // Saved JSON the form cannot read opens in the JSON tab.
  tabForm.setAttribute("aria-selected", "false");
  tabJson.setAttribute("aria-selected", "true");
  panelForm.hidden = true;
}
if (config.errors && Object.keys(config.errors).length) showErrors(config.errors);
refresh();
