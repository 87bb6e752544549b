// The form editor: renders a kind's schema (schema.js) over the spec object and
// writes every edit straight into it, touching only the keys the admin changed,
// so the JSON tab shows exactly what the form did. Fields carry the builders'
// path of what they edit (data-path) so the builders' errors land beside them.

import { gettext, interpolate } from "../../console/js/i18n.js";
import { el } from "./bubble.js";
import { formatStart, offsetOf, toIso } from "./schema.js";

let uid = 0;

// A translated sentence with a link inside ("Set it up in %(link)s."): the text
// around the link, with the link node where the placeholder was.
function linked(format, values, link) {
  const [before, after = ""] = interpolate(format, { ...values, link: "%(link)s" }).split("%(link)s");
  return [before, link, after].filter((part) => part !== "");
}

function join(path, key) {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

// "sections[0].items" → "sections[0]" → "sections" → "".
function parentOf(path) {
  const up = path.replace(/(\[\d+\]|\.[^.[\]]+)$/, "");
  return up === path ? "" : up;
}

function put(holder, key, value) {
  if (value === undefined || value === "") delete holder()[key];
  else holder()[key] = value;
}

export class FormEditor {
  constructor({ container, schema, spec, images, onChange, onUpload, channel }) {
    this.container = container;
    this.channel = channel || {}; // what the channel settings say (merchant, apps, zone)
    this.schema = schema;
    this.spec = spec;
    this.images = images; // library images: [{id, name, url}]
    this.onChange = onChange;
    this.onUpload = onUpload;
  }

  setSpec(spec) {
    this.spec = spec;
    this.render();
  }

  changed() {
    this.refreshComputed();
    this.onChange();
  }

  // Structure changed (added, removed, moved, or a field that shows others):
  // draw again and put the focus back where the admin was.
  restructure(focusKey) {
    this.render(focusKey);
    this.onChange();
  }

  render(focusKey) {
    const nodes = this.fields(this.schema, () => this.spec, this.spec, "");
    this.container.replaceChildren(...nodes);
    this.refreshComputed();
    if (focusKey) {
      const target = this.container.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
      (target || this.container.querySelector("input, select, textarea, button"))?.focus();
    }
  }

  fields(schema, holder, value, path) {
    return schema
      .filter((field) => !field.when || field.when(value || {}))
      .map((field) => this.field(field, holder, value || {}, path));
  }

  wrap(field, path, control, id) {
    const box = el("div", `sf-field sf-${field.type}`);
    box.dataset.path = path;
    const helpId = `${id}-help`;
    if (control) {
      const label = el("label", "sf-label", field.label);
      label.htmlFor = id;
      box.append(label, control);
    }
    if (field.help) {
      const help = el("small", "sf-help", field.help);
      help.id = helpId;
      box.append(help);
      control?.setAttribute("aria-describedby", `${helpId} ${id}-error`);
    } else {
      control?.setAttribute("aria-describedby", `${id}-error`);
    }
    const error = el("div", "sf-error");
    error.id = `${id}-error`;
    error.hidden = true;
    box.append(error);
    return box;
  }

  field(field, holder, value, parentPath) {
    const path = join(parentPath, field.key);
    const id = `sf-${++uid}`;
    const current = value[field.key];
    switch (field.type) {
      case "text":
      case "textarea": {
        const input = el(field.type === "textarea" ? "textarea" : "input", "sf-input");
        if (field.type === "text") input.type = "text";
        input.id = id;
        input.value = current === undefined || current === null ? "" : String(current);
        input.dataset.focus = path;
        if (field.placeholders) input.dataset.placeholders = "true";
        input.addEventListener("input", () => {
          put(holder, field.key, input.value);
          this.changed();
        });
        return this.wrap(field, path, input, id);
      }
      case "time": {
        const input = el("input", "sf-input");
        input.type = "time";
        input.id = id;
        input.value = typeof current === "string" ? current : "";
        input.dataset.focus = path;
        input.addEventListener("input", () => {
          put(holder, field.key, input.value.slice(0, 5) || undefined);
          this.changed();
        });
        return this.wrap(field, path, input, id);
      }
      case "info":
        return this.info(field);
      case "app":
        return this.app(field, holder, path, id);
      case "number": {
        const input = el("input", "sf-input");
        input.type = "number";
        input.step = field.step || "1";
        if (field.min !== undefined) input.min = String(field.min);
        if (field.max !== undefined) input.max = String(field.max);
        input.id = id;
        input.value = typeof current === "number" ? String(current) : "";
        input.dataset.focus = path;
        input.addEventListener("input", () => {
          put(holder, field.key, input.value === "" ? undefined : Number(input.value));
          this.changed();
        });
        return this.wrap(field, path, input, id);
      }
      case "checkbox": {
        const input = el("input");
        input.type = "checkbox";
        input.id = id;
        input.checked = current === undefined ? Boolean(field.default) : Boolean(current);
        input.dataset.focus = path;
        input.addEventListener("change", () => {
          holder()[field.key] = input.checked;
          this.changed();
        });
        const box = this.wrap({ ...field, label: "" }, path, null, id);
        const label = el("label", "sf-check");
        label.append(input, document.createTextNode(` ${field.label}`));
        box.prepend(label);
        return box;
      }
      case "select":
      case "pageref": {
        const select = el("select", "sf-input");
        select.id = id;
        select.dataset.focus = path;
        let options = field.options || [];
        if (field.type === "pageref") {
          options = [["", gettext("(none)")], ...(this.spec.pages || []).map((p, i) => [String(p?.id ?? i + 1), `${p?.id ?? i + 1}: ${p?.title || gettext("untitled")}`])];
        }
        const wanted = current === undefined || current === null ? "" : String(current);
        if (!options.some(([v]) => v === wanted)) options = [...options, [wanted, wanted || gettext("(none)")]];
        for (const [optionValue, optionLabel] of options) {
          const option = el("option", "", optionLabel);
          option.value = optionValue;
          option.selected = optionValue === wanted;
          select.append(option);
        }
        select.addEventListener("change", () => {
          const raw = select.value;
          put(holder, field.key, raw === "" ? undefined : field.number ? Number(raw) : raw);
          // A page's kind decides which of its fields apply; zones move the slots.
          if (field.key === "type" || field.key === "timezone_offset") this.restructure(path);
          else this.changed();
        });
        return this.wrap(field, path, select, id);
      }
      case "datetime":
        return this.datetime(field, holder, current, path, id);
      case "multicheck": {
        const box = this.wrap({ ...field, label: "" }, path, null, id);
        const set = el("fieldset", "sf-multicheck");
        set.append(el("legend", "", field.label));
        const chosen = Array.isArray(current) ? current : [];
        for (const [optionValue, optionLabel] of field.options) {
          const label = el("label", "sf-check");
          const input = el("input");
          input.type = "checkbox";
          input.checked = chosen.includes(optionValue);
          input.dataset.focus = `${path}:${optionValue}`;
          input.addEventListener("change", () => {
            const now = Array.isArray(holder()[field.key]) ? [...holder()[field.key]] : [];
            const next = input.checked ? [...now, optionValue] : now.filter((v) => v !== optionValue);
            put(holder, field.key, next.length ? next : undefined);
            this.changed();
          });
          label.append(input, document.createTextNode(` ${optionLabel}`));
          set.append(label);
        }
        box.prepend(set);
        return box;
      }
      case "image":
        return this.image(field, holder, current, path, id);
      case "group":
        return this.group(field, holder, current, path);
      case "list":
        return this.list(field, holder, current, path);
      case "flow": {
        const box = el("div", "sf-flow");
        box.dataset.computed = "flow";
        box.setAttribute("aria-live", "polite");
        return box;
      }
      default:
        return el("p", "sf-help", interpolate(gettext("Edit %(key)s in the JSON tab."), { key: field.key }));
    }
  }

  datetime(field, holder, current, path, id) {
    const input = el("input", "sf-input");
    input.type = "datetime-local";
    input.id = id;
    input.dataset.focus = path;
    const zone = () => (typeof this.spec.timezone_offset === "number" ? this.spec.timezone_offset : offsetOf(current || "+0000"));
    if (typeof current === "string") {
      const ms = Date.parse(toIso(current));
      input.value = Number.isNaN(ms) ? "" : formatStart(ms, zone()).slice(0, 16);
    }
    input.addEventListener("input", () => {
      if (!input.value) return put(holder, field.key, undefined), this.changed();
      const ms = Date.parse(`${input.value}:00Z`) - zone() * 60000;
      put(holder, field.key, formatStart(ms, zone()));
      this.changed();
    });
    return this.wrap(field, path, input, id);
  }

  image(field, holder, current, path, id) {
    const select = el("select", "sf-input");
    select.id = id;
    select.dataset.focus = path;
    const specImages = this.spec.images && typeof this.spec.images === "object" ? this.spec.images : {};
    const byId = new Map(this.images.map((image) => [image.id, image]));
    const options = [["", gettext("(no image)")]];
    const used = new Set();
    for (const [name, ref] of Object.entries(specImages)) {
      const libraryId = ref && typeof ref === "object" ? ref.rich_image : null;
      if (libraryId) used.add(libraryId);
      options.push([name, byId.get(libraryId)?.name || name]);
    }
    for (const image of this.images) {
      if (!used.has(image.id)) options.push([`lib:${image.id}`, interpolate(gettext("%(name)s (library)"), { name: image.name })]);
    }
    const wanted = typeof current === "string" ? current : "";
    if (!options.some(([v]) => v === wanted)) options.push([wanted, wanted]);
    for (const [value, label] of options) {
      const option = el("option", "", label);
      option.value = value;
      option.selected = value === wanted;
      select.append(option);
    }
    const choose = (value) => {
      if (value.startsWith("lib:")) {
        const libraryId = Number(value.slice(4));
        const name = `image${libraryId}`;
        this.spec.images = { ...(this.spec.images || {}), [name]: { rich_image: libraryId } };
        value = name;
      }
      put(holder, field.key, value || undefined);
      this.restructure(path);
    };
    select.addEventListener("change", () => choose(select.value));
    const box = this.wrap(field, path, select, id);
    const ref = specImages[wanted];
    const shown = ref && typeof ref === "object" ? byId.get(ref.rich_image) : null;
    if (shown) {
      const thumb = el("img", "sf-thumb");
      thumb.src = shown.url;
      thumb.alt = `${shown.name}`;
      box.insertBefore(thumb, select.nextSibling);
    }
    const upload = el("input", "sf-upload");
    upload.type = "file";
    upload.accept = "image/png,image/jpeg,image/gif";
    upload.id = `${id}-upload`;
    const uploadLabel = el("label", "sf-upload-label", gettext("Upload a new image"));
    uploadLabel.htmlFor = upload.id;
    upload.addEventListener("change", async () => {
      const file = upload.files?.[0];
      if (!file) return;
      const image = await this.onUpload(file);
      if (image) choose(`lib:${image.id}`);
    });
    box.insertBefore(uploadLabel, box.querySelector(".sf-error"));
    box.insertBefore(upload, box.querySelector(".sf-error"));
    return box;
  }

  // Read-only facts from the channel settings, with where to change them.
  info(field) {
    const box = el("p", "sf-info");
    box.dataset.info = field.source;
    const link = (href, text) => {
      const a = el("a", "", text);
      a.href = href;
      return a;
    };
    const facts = this.channel;
    if (field.source === "timeZone") {
      box.textContent = interpolate(gettext("Times are in the business's time zone: %(zone)s."), { zone: facts.timeZone || "UTC" });
    } else if (field.source === "merchant") {
      const merchant = facts.merchant;
      const settings = facts.merchantUrl ? link(facts.merchantUrl, gettext("Apple Pay settings")) : gettext("Apple Pay settings");
      if (merchant) {
        box.append(...linked(gettext("Paid to %(name)s (%(identifier)s), in %(currency)s, as set in %(link)s."), merchant, settings));
      } else {
        box.classList.add("sf-warning");
        box.append(...linked(gettext("Apple Pay is not set up for this business: it cannot be sent until it is. Set it up in %(link)s."), {}, settings));
      }
    } else if (field.source === "oauth") {
      const oauth = facts.oauth;
      const settings = facts.oauthUrl ? link(facts.oauthUrl, gettext("sign-in settings")) : gettext("sign-in settings");
      if (oauth && oauth.scope.length) {
        box.append(...linked(gettext("Customers sign in with %(title)s; it usually asks for: %(scope)s. Change it in %(link)s."), { title: oauth.title, scope: oauth.scope.join(" ") }, settings));
      } else if (oauth) {
        box.append(...linked(gettext("Customers sign in with %(title)s. Change it in %(link)s."), { title: oauth.title }, settings));
      } else {
        box.classList.add("sf-warning");
        box.append(...linked(gettext("No sign-in provider is set up for this business: it cannot be sent until one is. Set it up in %(link)s."), {}, settings));
      }
    }
    return box;
  }

  // Pick one of the business's iMessage apps: fills in the keys that name it.
  app(field, holder, path, id) {
    const apps = this.channel.apps || [];
    if (!apps.length) {
      const box = el("p", "sf-info sf-warning");
      box.dataset.info = "apps";
      const a = el("a", "", gettext("channel settings"));
      a.href = this.channel.appsUrl || "#";
      box.append(...linked(gettext("This business has no iMessage app yet. Add one in %(link)s, then come back; or fill in the fields below by hand."), {}, a));
      return box;
    }
    const select = el("select", "sf-input");
    select.id = id;
    select.dataset.focus = `${path}:app`;
    const spec = holder();
    const current = apps.findIndex((app) => app.app_id === spec.app_id && app.extension_bundle_id === spec.extension_bundle_id);
    const options = [["", current === -1 ? gettext("(another app, typed below)") : gettext("(choose)")], ...apps.map((app, i) => [String(i), `${app.app_name} (${app.app_id})`])];
    for (const [value, label] of options) {
      const option = el("option", "", label);
      option.value = value;
      option.selected = value === (current === -1 ? "" : String(current));
      select.append(option);
    }
    select.addEventListener("change", () => {
      const app = apps[Number(select.value)];
      if (!select.value || !app) return;
      const target = holder();
      for (const key of ["app_name", "app_id", "team_id", "extension_bundle_id", "url"]) target[key] = app[key];
      this.restructure(`${path}:app`);
    });
    const box = this.wrap(field, "app", select, id);
    return box;
  }

  group(field, holder, current, path) {
    const set = el("fieldset", "sf-group");
    set.dataset.path = path;
    set.append(el("legend", "", field.label));
    if (field.help) set.append(el("small", "sf-help", field.help));
    const error = el("div", "sf-error");
    error.hidden = true;
    set.append(error);
    const present = current && typeof current === "object";
    if (field.optional && !present) {
      const add = el("button", "sf-add", interpolate(gettext("Add %(what)s"), { what: field.label.toLowerCase() }));
      add.type = "button";
      add.dataset.focus = `${path}:add`;
      add.addEventListener("click", () => {
        holder()[field.key] = field.newValue ? field.newValue() : {};
        this.restructure(`${path}:remove`);
      });
      set.append(add);
      return set;
    }
    const inner = () => {
      const parent = holder();
      if (!parent[field.key] || typeof parent[field.key] !== "object") parent[field.key] = {};
      return parent[field.key];
    };
    set.append(...this.fields(field.fields, inner, present ? current : {}, path));
    if (field.optional) {
      const remove = el("button", "sf-remove", interpolate(gettext("Remove %(what)s"), { what: field.label.toLowerCase() }));
      remove.type = "button";
      remove.dataset.focus = `${path}:remove`;
      remove.addEventListener("click", () => {
        delete holder()[field.key];
        this.restructure(`${path}:add`);
      });
      set.append(remove);
    }
    return set;
  }

  list(field, holder, current, path) {
    const items = Array.isArray(current) ? current : [];
    const set = el("fieldset", "sf-list");
    set.dataset.path = path;
    set.append(el("legend", "", field.label));
    if (field.help) set.append(el("small", "sf-help", field.help));
    const error = el("div", "sf-error");
    error.hidden = true;
    set.append(error);
    if (field.total) {
      const total = el("p", "sf-total");
      total.dataset.computed = "total";
      total.dataset.list = path;
      total.setAttribute("aria-live", "polite");
      set.append(total);
    }
    const list = () => {
      const parent = holder();
      if (!Array.isArray(parent[field.key])) parent[field.key] = [];
      return parent[field.key];
    };
    const ol = el("ol", "sf-items");
    items.forEach((item, index) => {
      const itemPath = join(path, index);
      const li = el("li", "sf-item");
      li.dataset.path = itemPath;
      const name = `${field.itemLabel} ${index + 1}`;
      const head = el("div", "sf-item-head");
      head.append(el("span", "sf-item-title", name));
      const move = (to, key) => {
        const all = list();
        const [moved] = all.splice(index, 1);
        all.splice(to, 0, moved);
        this.restructure(`${join(path, to)}:${key}`);
      };
      const button = (label, key, disabled, action) => {
        const b = el("button", `sf-${key}`, label);
        b.type = "button";
        b.disabled = disabled;
        b.dataset.focus = `${itemPath}:${key}`;
        b.setAttribute("aria-label", `${label} ${name.toLowerCase()}`);
        b.addEventListener("click", action);
        return b;
      };
      head.append(
        button(gettext("Move up"), "up", index === 0, () => move(index - 1, "up")),
        button(gettext("Move down"), "down", index === items.length - 1, () => move(index + 1, "down")),
        button(gettext("Remove"), "remove", false, () => {
          list().splice(index, 1);
          this.restructure(items.length > 1 ? `${join(path, Math.max(0, index - 1))}:remove` : `${path}:add`);
        }),
      );
      // Alt+↑ / Alt+↓ anywhere in an item moves it.
      li.addEventListener("keydown", (event) => {
        if (!event.altKey || event.target.closest(".sf-item") !== li) return;
        if (event.key === "ArrowUp" && index > 0) {
          event.preventDefault();
          move(index - 1, "up");
        } else if (event.key === "ArrowDown" && index < items.length - 1) {
          event.preventDefault();
          move(index + 1, "down");
        }
      });
      li.append(head);
      if (field.item?.type === "choice") {
        li.append(this.choice(field.item, list, index, itemPath));
      } else {
        const inner = () => {
          const all = list();
          if (!all[index] || typeof all[index] !== "object") all[index] = {};
          return all[index];
        };
        li.append(...this.fields(field.fields, inner, item, itemPath));
      }
      ol.append(li);
    });
    set.append(ol);
    const add = el("button", "sf-add", interpolate(gettext("Add %(what)s"), { what: field.itemLabel.toLowerCase() }));
    add.type = "button";
    add.dataset.focus = `${path}:add`;
    add.disabled = field.max !== undefined && items.length >= field.max;
    add.addEventListener("click", () => {
      const all = list();
      all.push(field.newItem(all));
      this.restructure(join(path, all.length - 1) + (field.item?.type === "choice" ? "" : `.${field.fields[0].key}`));
    });
    set.append(add);
    return set;
  }

  // A list entry that is either plain text or {"title": …} (quick replies, scopes).
  choice(field, list, index, path) {
    const id = `sf-${++uid}`;
    const value = list()[index];
    const input = el("input", "sf-input");
    input.type = "text";
    input.id = id;
    input.dataset.focus = path;
    if (field.placeholders) input.dataset.placeholders = "true";
    input.value = typeof value === "string" ? value : String(value?.title ?? "");
    input.addEventListener("input", () => {
      const all = list();
      if (all[index] && typeof all[index] === "object") all[index].title = input.value;
      else all[index] = input.value;
      this.changed();
    });
    const box = this.wrap(field, `${path}.title`, input, id);
    return box;
  }

  refreshComputed() {
    for (const node of this.container.querySelectorAll("[data-computed=total]")) {
      const lines = Array.isArray(this.spec.line_items) ? this.spec.line_items : [];
      let cents = 0;
      let unreadable = false;
      for (const line of lines) {
        const amount = Number(line?.amount);
        if (Number.isNaN(amount) || line?.amount === "") unreadable = true;
        else cents += Math.round(amount * 100);
      }
      const total = (cents / 100).toFixed(2);
      node.textContent = unreadable
        ? interpolate(gettext("Running total: %(total)s (some amounts are not numbers)"), { total })
        : interpolate(gettext("Running total: %(total)s"), { total });
    }
    for (const node of this.container.querySelectorAll("[data-computed=flow]")) {
      node.replaceChildren(...flowLines(this.spec));
    }
  }

  // Put each broken rule beside its field (or the nearest enclosing one);
  // return those with nowhere to go.
  showErrors(fields) {
    for (const box of this.container.querySelectorAll(".sf-error")) {
      box.hidden = true;
      box.textContent = "";
    }
    for (const control of this.container.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    const unplaced = {};
    for (const [path, rules] of Object.entries(fields || {})) {
      let target = null;
      let at = path;
      while (at) {
        target = this.container.querySelector(`[data-path="${CSS.escape(at)}"]`);
        if (target) break;
        at = parentOf(at);
      }
      if (!target) {
        unplaced[path] = rules;
        continue;
      }
      const box = target.querySelector(":scope > .sf-error");
      const prefix = at === path ? "" : `${path.slice(at.length).replace(/^\./, "")}: `;
      box.textContent = [box.textContent, ...rules.map((rule) => `${prefix}${rule}`)].filter(Boolean).join(" · ");
      box.hidden = false;
      target.querySelector(":scope > .sf-input, :scope > select, :scope > input")?.setAttribute("aria-invalid", "true");
    }
    return unplaced;
  }
}

// The form's page graph in words: where it starts, where each page goes.
function flowLines(spec) {
  const pages = Array.isArray(spec.pages) ? spec.pages : [];
  const title = el("strong", "", gettext("Page flow"));
  if (!pages.length) return [title, el("p", "sf-help", gettext("No pages yet."))];
  const ids = pages.map((page, i) => String(page?.id ?? i + 1));
  const start = spec.start ? String(spec.start) : ids[0];
  const list = el("ol", "sf-flow-list");
  pages.forEach((page, i) => {
    const id = ids[i];
    const branches = (Array.isArray(page?.items) ? page.items : []).filter((item) => item?.next);
    let where;
    if (branches.length) where = branches.map((item) => `“${item.title}” → ${item.next}`).join(", ");
    else if (page?.next && ids.includes(String(page.next))) where = `→ ${page.next}`;
    else if (page?.next) where = interpolate(gettext("→ %(page)s (no such page!)"), { page: page.next });
    else where = gettext("→ submits the form");
    const line = `${id} (${page?.type || "?"}) ${where}`;
    list.append(el("li", "", id === start ? interpolate(gettext("Start: %(line)s"), { line }) : line));
  });
  return [title, list];
}
