// What the form editor shows for each kind, in the builders' vocabulary
// (richobjects/builders.py). Keys are spec keys, so the paths the builders name
// in their errors ("sections[0].items[1].title") find the field that broke.

import { gettext } from "../../console/js/i18n.js";

const STYLES = [
  ["icon", gettext("Icon")],
  ["small", gettext("Small")],
  ["large", gettext("Large")],
];

function bubble(key, label, help) {
  return {
    type: "group",
    key,
    label,
    help,
    fields: [
      { type: "text", key: "title", label: gettext("Title"), help: gettext("Up to 512 characters."), placeholders: true },
      { type: "text", key: "subtitle", label: gettext("Subtitle"), help: gettext("Optional."), placeholders: true },
      { type: "image", key: "image", label: gettext("Image"), help: gettext("Cut to Apple's size for the style.") },
      { type: "select", key: "style", label: gettext("Style"), options: STYLES, help: gettext("How big the bubble is drawn.") },
    ],
  };
}

const RECEIVED = bubble("received", gettext("Bubble the customer receives"), gettext("What the conversation shows before it is opened."));
const REPLY = bubble("reply", gettext("Bubble after the customer answers"), gettext("Optional: shown in place of the answer."));

const ZONES = [["", gettext("The customer's time zone")]];
for (let minutes = -720; minutes <= 840; minutes += 30) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  ZONES.push([String(minutes), `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`]);
}

const DURATIONS = [
  ["900", gettext("15 minutes")],
  ["1800", gettext("30 minutes")],
  ["2700", gettext("45 minutes")],
  ["3600", gettext("1 hour")],
  ["5400", gettext("1 h 30")],
  ["7200", gettext("2 hours")],
];

const EVERY = [
  ["900", gettext("15 minutes")],
  ["1800", gettext("30 minutes")],
  ["3600", gettext("hour")],
  ["7200", gettext("2 hours")],
];

export const SCHEMAS = {
  quick_reply: [
    { type: "text", key: "summary", label: gettext("Question"), help: gettext("Shown above the answers; up to 512 characters."), placeholders: true },
    {
      type: "list",
      key: "items",
      label: gettext("Answers"),
      itemLabel: gettext("Answer"),
      help: gettext("2 to 5 answers, each different."),
      min: 2,
      max: 5,
      newItem: () => "",
      item: { type: "choice", label: gettext("Answer"), placeholders: true },
    },
  ],
  list_picker: [
    RECEIVED,
    REPLY,
    {
      type: "list",
      key: "sections",
      label: gettext("Sections"),
      itemLabel: gettext("Section"),
      help: gettext("At least one section; each needs at least one item."),
      min: 1,
      newItem: () => ({ title: "", items: [{ title: "" }] }),
      fields: [
        { type: "text", key: "title", label: gettext("Section title"), help: gettext("Optional heading above its items.") },
        { type: "checkbox", key: "multiple_selection", label: gettext("The customer may pick several items") },
        {
          type: "list",
          key: "items",
          label: gettext("Items"),
          itemLabel: gettext("Item"),
          min: 1,
          newItem: () => ({ title: "" }),
          fields: [
            { type: "text", key: "title", label: gettext("Title"), help: gettext("Up to 256 characters."), placeholders: true },
            { type: "text", key: "subtitle", label: gettext("Subtitle"), help: gettext("Optional.") },
            { type: "image", key: "image", label: gettext("Image") },
            { type: "text", key: "id", label: gettext("Identifier"), help: gettext("What the answer names; numbered if blank. Unique in the picker.") },
          ],
        },
      ],
    },
  ],
  time_picker: [
    RECEIVED,
    REPLY,
    { type: "text", key: "title", label: gettext("Event title"), help: gettext("Required; up to 256 characters."), placeholders: true },
    { type: "select", key: "timezone_offset", label: gettext("Time zone"), options: ZONES, number: true, help: gettext("Slots are shown in this zone; blank shows them in the customer's.") },
    {
      type: "group",
      key: "location",
      label: gettext("Location"),
      optional: true,
      help: gettext("Optional: where the appointment is."),
      fields: [
        { type: "text", key: "title", label: gettext("Place name") },
        { type: "number", key: "latitude", label: gettext("Latitude"), step: "any", help: gettext("-90 to 90") },
        { type: "number", key: "longitude", label: gettext("Longitude"), step: "any", help: gettext("-180 to 180") },
        { type: "number", key: "radius", label: gettext("Radius (metres)"), step: "any" },
      ],
    },
    {
      type: "group",
      key: "relative_slots",
      label: gettext("Slots relative to the send time"),
      optional: true,
      help: gettext("Worked out when it is sent, in the business's time zone, so they never go stale."),
      newValue: () => ({ days: 3, weekdays_only: true, from: "10:00", to: "17:00", every: 3600, duration: 3600 }),
      fields: [
        { type: "info", source: "timeZone" },
        { type: "number", key: "days", label: gettext("Days offered"), min: 1, max: 14, help: gettext("The next days that still have a slot after the send time (1 to 14).") },
        { type: "checkbox", key: "weekdays_only", label: gettext("Weekdays only (Monday to Friday)"), default: true },
        { type: "time", key: "from", label: gettext("First slot starts at") },
        { type: "time", key: "to", label: gettext("Last slot ends by") },
        { type: "select", key: "every", label: gettext("A slot every"), options: EVERY, number: true },
        { type: "select", key: "duration", label: gettext("Each lasts"), options: DURATIONS, number: true },
      ],
    },
    {
      type: "list",
      key: "slots",
      label: gettext("Fixed slots"),
      itemLabel: gettext("Slot"),
      help: gettext("Each starts at a different time; those already started are left out when sent."),
      newItem: (list) => nextSlot(list),
      fields: [
        { type: "datetime", key: "start", label: gettext("Starts"), help: gettext("In the time zone above (UTC when the customer's).") },
        { type: "select", key: "duration", label: gettext("Lasts"), options: DURATIONS, number: true },
        { type: "text", key: "id", label: gettext("Identifier"), help: gettext("Numbered if blank.") },
      ],
    },
  ],
  form: [
    RECEIVED,
    {
      type: "group",
      key: "splash",
      label: gettext("Splash screen"),
      optional: true,
      help: gettext("Optional first screen before the questions."),
      fields: [
        { type: "text", key: "header", label: gettext("Header"), help: gettext("Required when there is a splash.") },
        { type: "textarea", key: "text", label: gettext("Text") },
        { type: "text", key: "button_title", label: gettext("Button"), help: gettext("“Start” if blank.") },
        { type: "image", key: "image", label: gettext("Image") },
      ],
    },
    { type: "checkbox", key: "show_summary", label: gettext("Show a summary before sending"), default: true },
    { type: "checkbox", key: "private", label: gettext("Answers are private (hidden in the transcript)"), default: false },
    { type: "flow", label: gettext("Page flow") },
    {
      type: "list",
      key: "pages",
      label: gettext("Pages"),
      itemLabel: gettext("Page"),
      help: gettext("At least one. A page with no next page submits the form."),
      min: 1,
      newItem: (list) => ({ id: `page${list.length + 1}`, type: "input", title: "" }),
      fields: [
        { type: "text", key: "id", label: gettext("Identifier"), help: gettext("Other pages name it as their next page.") },
        {
          type: "select",
          key: "type",
          label: gettext("Kind of page"),
          options: [
            ["select", gettext("Choose from a list")],
            ["picker", gettext("Choose from a wheel")],
            ["datePicker", gettext("Date")],
            ["input", gettext("Text answer")],
          ],
        },
        { type: "text", key: "title", label: gettext("Question"), help: gettext("Up to 256 characters."), placeholders: true },
        { type: "text", key: "subtitle", label: gettext("Subtitle") },
        { type: "pageref", key: "next", label: gettext("Next page"), help: gettext("Blank: this page submits the form.") },
        { type: "checkbox", key: "multiple_selection", label: gettext("Several choices allowed"), when: (page) => ["select", "picker"].includes(page.type) },
        {
          type: "list",
          key: "items",
          label: gettext("Choices"),
          itemLabel: gettext("Choice"),
          when: (page) => ["select", "picker"].includes(page.type),
          newItem: () => ({ title: "" }),
          fields: [
            { type: "text", key: "title", label: gettext("Choice") },
            { type: "text", key: "value", label: gettext("Value"), help: gettext("What the answer carries; the title if blank.") },
            { type: "image", key: "image", label: gettext("Image") },
            { type: "pageref", key: "next", label: gettext("Go to"), help: gettext("Optional branch.") },
          ],
        },
      ],
    },
  ],
  apple_pay: [
    { type: "info", source: "merchant" },
    RECEIVED,
    {
      type: "list",
      key: "line_items",
      label: gettext("Line items"),
      itemLabel: gettext("Line"),
      help: gettext("Amounts in the currency set in Apple Pay settings."),
      min: 1,
      total: true,
      newItem: () => ({ label: "", amount: "" }),
      fields: [
        { type: "text", key: "label", label: gettext("Label") },
        { type: "text", key: "amount", label: gettext("Amount"), help: gettext("e.g. 12.50") },
        { type: "select", key: "type", label: gettext("Type"), options: [["final", gettext("Final")], ["pending", gettext("Pending")]] },
      ],
    },
    {
      type: "group",
      key: "total",
      label: gettext("Total"),
      optional: true,
      help: gettext("Blank: the sum of the lines, labelled with the merchant's name."),
      fields: [
        { type: "text", key: "label", label: gettext("Label") },
        { type: "text", key: "amount", label: gettext("Amount") },
      ],
    },
    {
      type: "multicheck",
      key: "required_shipping_contact_fields",
      label: gettext("Ask for (shipping)"),
      options: [["email", gettext("Email")], ["phone", gettext("Phone")], ["postalAddress", gettext("Postal address")], ["name", gettext("Name")]],
    },
    {
      type: "multicheck",
      key: "required_billing_contact_fields",
      label: gettext("Ask for (billing)"),
      options: [["postalAddress", gettext("Postal address")], ["name", gettext("Name")]],
    },
  ],
  authentication: [
    { type: "info", source: "oauth" },
    RECEIVED,
    REPLY,
    { type: "list", key: "scope", label: gettext("Scopes"), itemLabel: gettext("Scope"), help: gettext("What to ask the provider set in Sign-in (OAuth) settings for."), min: 1, newItem: () => "", item: { type: "choice", label: gettext("Scope") } },
  ],
  imessage_app: [
    { type: "app", label: gettext("App"), help: gettext("One of the business's iMessage apps; it fills in the fields below.") },
    RECEIVED,
    { type: "text", key: "app_name", label: gettext("App name") },
    { type: "text", key: "app_id", label: gettext("App Store id") },
    { type: "text", key: "team_id", label: gettext("Team id"), help: gettext("10 characters, from the Apple developer account.") },
    { type: "text", key: "extension_bundle_id", label: gettext("Extension bundle id") },
    { type: "text", key: "url", label: gettext("URL given to the app"), help: gettext("e.g. ?screen=start") },
  ],
  rich_link: [
    { type: "text", key: "url", label: gettext("Link"), help: gettext("An https:// address.") },
    { type: "text", key: "title", label: gettext("Title"), placeholders: true },
    { type: "image", key: "image", label: gettext("Image"), help: gettext("Drawn across the link; cut to 789 × 450.") },
  ],
};
SCHEMAS.authentication_legacy = SCHEMAS.authentication;

// A new slot starts where the last one ended (a day later for the first).
function nextSlot(list) {
  const last = list[list.length - 1];
  if (last && typeof last.start === "string") {
    const begin = Date.parse(toIso(last.start));
    if (!Number.isNaN(begin)) {
      const duration = Number(last.duration) || 1800;
      const offset = offsetOf(last.start);
      return { start: formatStart(begin + duration * 1000, offset), duration };
    }
  }
  const tomorrow = new Date(Date.now() + 86400000);
  tomorrow.setUTCHours(9, 0, 0, 0);
  return { start: formatStart(tomorrow.getTime(), 0), duration: 1800 };
}

// "2026-12-01T10:00+0000" → ISO with a colon in the offset, which Date parses.
export function toIso(start) {
  return String(start).replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
}

export function offsetOf(start) {
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(String(start));
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

// Milliseconds since the epoch → "YYYY-MM-DDTHH:MM+HHMM" in the given offset.
export function formatStart(ms, offsetMinutes) {
  const shifted = new Date(ms + offsetMinutes * 60000);
  const abs = Math.abs(offsetMinutes);
  const sign = offsetMinutes < 0 ? "-" : "+";
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}
