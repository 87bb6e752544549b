// Light or dark: the system's setting unless the agent picked one here (kept
// per browser). A classic script in <head> so the page never flashes the
// wrong colours; the toggle cycles system → light → dark.
(function () {
  var KEY = "console.theme";
  var root = document.documentElement;
  function current() {
    try {
      return localStorage.getItem(KEY) || "system";
    } catch (e) {
      return "system";
    }
  }
  function apply(theme) {
    if (theme === "light" || theme === "dark") root.dataset.theme = theme;
    else delete root.dataset.theme;
  }
  apply(current());
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    function render() {
      var theme = current();
      button.textContent = button.dataset["label" + theme.charAt(0).toUpperCase() + theme.slice(1)] || theme;
      button.setAttribute("aria-pressed", String(theme !== "system"));
    }
    button.addEventListener("click", function () {
      var next = { system: "light", light: "dark", dark: "system" }[current()];
      try {
        localStorage.setItem(KEY, next);
      } catch (e) {
        // private mode: the choice lasts for this page only
      }
      apply(next);
      render();
    });
    render();
  });
})();
