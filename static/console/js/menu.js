// Small screens: the top bar's links fold behind a menu button (console.css hides
// them under 760 px); this opens and closes them, and Escape closes them.
const button = document.getElementById("menu-toggle");
const nav = document.getElementById("console-nav");

function setOpen(open) {
  button.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
}

if (button && nav) {
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      setOpen(false);
      button.focus();
    }
  });
}
