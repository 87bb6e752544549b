// The console's strings in the agent's language: Django's JavaScript catalog
// (/jsi18n/, loaded before the modules) defines gettext and friends; without
// it the English source strings show.

export function gettext(text) {
  return typeof window.gettext === "function" ? window.gettext(text) : text;
}

export function ngettext(singular, plural, count) {
  if (typeof window.ngettext === "function") return window.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

// "%(name)s" placeholders, as Django's own interpolate(fmt, obj, true).
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}
