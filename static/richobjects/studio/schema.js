// What the form editor shows for each kind, in the builders' vocabulary
// (richobjects/builders.py). Keys are spec keys, so the paths the builders name
// in their errors ("sections[0].items[1].title") find the field that broke.

const STYLES = [
  ["icon", "Icon"],
  ["small", "Small"],
  ["large", "Large"],
];

function bubble(key, label, help) {
  return {
    type: "group",
    key,
    label,
    help,
    fields: [
      { type: "text", key: "title", label: "Title", help: "Up to 512 characters.", placeholders: true },
      { type: "text", key: "subtitle", label: "Subtitle", help: "Optional.", placeholders: true },
      { type: "image", key: "image", label: "Image", help: "Cut to Apple's size for the style." },
      { type: "select", key: "style", label: "Style", options: STYLES, help: "How big the bubble is drawn." },
    ],
  };
}

const RECEIVED = bubble("received", "Bubble the customer receives", "What the conversation shows before it is opened.");
const REPLY = bubble("reply", "Bubble after the customer answers", "Optional: shown in place of the answer.");

const ZONES = [["", "The customer's time zone"]];
for (let minutes = -720; minutes <= 840; minutes += 30) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  ZONES.push([String(minutes), `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`]);
}

const DURATIONS = [
  ["900", "15 minutes"],
  ["1800", "30 minutes"],
  ["2700", "45 minutes"],
  ["3600", "1 hour"],
  ["5400", "1 h 30"],
  ["7200", "2 hours"],
];

const EVERY = [
  ["900", "15 minutes"],
  ["1800", "30 minutes"],
  ["3600", "hour"],
  ["7200", "2 hours"],
];

export const SCHEMAS = {
  quick_reply: [
    { type: "text", key: "summary", label: "Question", help: "Shown above the answers; up to 512 characters.", placeholders: true },
    {
      type: "list",
      key: "items",
      label: "Answers",
      itemLabel: "Answer",
      help: "2 to 5 answers, each different.",
      min: 2,
      max: 5,
      newItem: () => "",
      item: { type: "choice", label: "Answer", placeholders: true },
    },
  ],
  list_picker: [
    RECEIVED,
    REPLY,
    {
      type: "list",
      key: "sections",
      label: "Sections",
      itemLabel: "Section",
      help: "At least one section; each needs at least one item.",
      min: 1,
      newItem: () => ({ title: "", items: [{ title: "" }] }),
      fields: [
        { type: "text", key: "title", label: "Section title", help: "Optional heading above its items." },
        { type: "checkbox", key: "multiple_selection", label: "The customer may pick several items" },
        {
          type: "list",
          key: "items",
          label: "Items",
          itemLabel: "Item",
          min: 1,
          newItem: () => ({ title: "" }),
          fields: [
            { type: "text", key: "title", label: "Title", help: "Up to 256 characters.", placeholders: true },
            { type: "text", key: "subtitle", label: "Subtitle", help: "Optional." },
            { type: "image", key: "image", label: "Image" },
            { type: "text", key: "id", label: "Identifier", help: "What the answer names; numbered if blank. Unique in the picker." },
          ],
        },
      ],
    },
  ],
  time_picker: [
    RECEIVED,
    REPLY,
    { type: "text", key: "title", label: "Event title", help: "Required; up to 256 characters.", placeholders: true },
    { type: "select", key: "timezone_offset", label: "Time zone", options: ZONES, number: true, help: "Slots are shown in this zone; blank shows them in the customer's." },
    {
      type: "group",
      key: "location",
      label: "Location",
      optional: true,
      help: "Optional: where the appointment is.",
      fields: [
        { type: "text", key: "title", label: "Place name" },
        { type: "number", key: "latitude", label: "Latitude", step: "any", help: "-90 to 90" },
        { type: "number", key: "longitude", label: "Longitude", step: "any", help: "-180 to 180" },
        { type: "number", key: "radius", label: "Radius (metres)", step: "any" },
      ],
    },
    {
      type: "group",
      key: "relative_slots",
      label: "Slots relative to the send time",
      optional: true,
      help: "Worked out when it is sent, in the business's time zone, so they never go stale.",
      newValue: () => ({ days: 3, weekdays_only: true, from: "10:00", to: "17:00", every: 3600, duration: 3600 }),
      fields: [
        { type: "info", source: "timeZone" },
        { type: "number", key: "days", label: "Days offered", min: 1, max: 14, help: "The next days that still have a slot after the send time (1 to 14)." },
        { type: "checkbox", key: "weekdays_only", label: "Weekdays only (Monday to Friday)", default: true },
        { type: "time", key: "from", label: "First slot starts at" },
        { type: "time", key: "to", label: "Last slot ends by" },
        { type: "select", key: "every", label: "A slot every", options: EVERY, number: true },
        { type: "select", key: "duration", label: "Each lasts", options: DURATIONS, number: true },
      ],
    },
    {
      type: "list",
      key: "slots",
      label: "Fixed slots",
      itemLabel: "Slot",
      help: "Each starts at a different time; those already started are left out when sent.",
      newItem: (list) => nextSlot(list),
      fields: [
        { type: "datetime", key: "start", label: "Starts", help: "In the time zone above (UTC when the customer's)." },
        { type: "select", key: "duration", label: "Lasts", options: DURATIONS, number: true },
        { type: "text", key: "id", label: "Identifier", help: "Numbered if blank." },
      ],
    },
  ],
  form: [
    RECEIVED,
    {
      type: "group",
      key: "splash",
      label: "Splash screen",
      optional: true,
      help: "Optional first screen before the questions.",
      fields: [
        { type: "text", key: "header", label: "Header", help: "Required when there is a splash." },
        { type: "textarea", key: "text", label: "Text" },
        { type: "text", key: "button_title", label: "Button", help: "“Start” if blank." },
        { type: "image", key: "image", label: "Image" },
      ],
    },
    { type: "checkbox", key: "show_summary", label: "Show a summary before sending", default: true },
    { type: "checkbox", key: "private", label: "Answers are private (hidden in the transcript)", default: false },
    { type: "flow", label: "Page flow" },
    {
      type: "list",
      key: "pages",
      label: "Pages",
      itemLabel: "Page",
      help: "At least one. A page with no next page submits the form.",
      min: 1,
      newItem: (list) => ({ id: `page${list.length + 1}`, type: "input", title: "" }),
      fields: [
        { type: "text", key: "id", label: "Identifier", help: "Other pages name it as their next page." },
        {
          type: "select",
          key: "type",
          label: "Kind of page",
          options: [
            ["select", "Choose from a list"],
            ["picker", "Choose from a wheel"],
            ["datePicker", "Date"],
            ["input", "Text answer"],
          ],
        },
        { type: "text", key: "title", label: "Question", help: "Up to 256 characters.", placeholders: true },
        { type: "text", key: "subtitle", label: "Subtitle" },
        { type: "pageref", key: "next", label: "Next page", help: "Blank: this page submits the form." },
        { type: "checkbox", key: "multiple_selection", label: "Several choices allowed", when: (page) => ["select", "picker"].includes(page.type) },
        {
          type: "list",
          key: "items",
          label: "Choices",
          itemLabel: "Choice",
          when: (page) => ["select", "picker"].includes(page.type),
          newItem: () => ({ title: "" }),
          fields: [
            { type: "text", key: "title", label: "Choice" },
            { type: "text", key: "value", label: "Value", help: "What the answer carries; the title if blank." },
            { type: "image", key: "image", label: "Image" },
            { type: "pageref", key: "next", label: "Go to", help: "Optional branch." },
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
      label: "Line items",
      itemLabel: "Line",
      help: "Amounts in the currency set in Apple Pay settings.",
      min: 1,
      total: true,
      newItem: () => ({ label: "", amount: "" }),
      fields: [
        { type: "text", key: "label", label: "Label" },
        { type: "text", key: "amount", label: "Amount", help: "e.g. 12.50" },
        { type: "select", key: "type", label: "Type", options: [["final", "Final"], ["pending", "Pending"]] },
      ],
    },
    {
      type: "group",
      key: "total",
      label: "Total",
      optional: true,
      help: "Blank: the sum of the lines, labelled with the merchant's name.",
      fields: [
        { type: "text", key: "label", label: "Label" },
        { type: "text", key: "amount", label: "Amount" },
      ],
    },
    {
      type: "multicheck",
      key: "required_shipping_contact_fields",
      label: "Ask for (shipping)",
      options: [["email", "Email"], ["phone", "Phone"], ["postalAddress", "Postal address"], ["name", "Name"]],
    },
    {
      type: "multicheck",
      key: "required_billing_contact_fields",
      label: "Ask for (billing)",
      options: [["postalAddress", "Postal address"], ["name", "Name"]],
    },
  ],
  authentication: [
    { type: "info", source: "oauth" },
    RECEIVED,
    REPLY,
    { type: "list", key: "scope", label: "Scopes", itemLabel: "Scope", help: "What to ask the provider set in Sign-in (OAuth) settings for.", min: 1, newItem: () => "", item: { type: "choice", label: "Scope" } },
  ],
  imessage_app: [
    { type: "app", label: "App", help: "One of the business's iMessage apps; it fills in the fields below." },
    RECEIVED,
    { type: "text", key: "app_name", label: "App name" },
    { type: "text", key: "app_id", label: "App Store id" },
    { type: "text", key: "team_id", label: "Team id", help: "10 characters, from the Apple developer account." },
    { type: "text", key: "extension_bundle_id", label: "Extension bundle id" },
    { type: "text", key: "url", label: "URL given to the app", help: "e.g. ?screen=start" },
  ],
  rich_link: [
    { type: "text", key: "url", label: "Link", help: "An https:// address." },
    { type: "text", key: "title", label: "Title", placeholders: true },
    { type: "image", key: "image", label: "Image", help: "Drawn across the link; cut to 789 × 450." },
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
