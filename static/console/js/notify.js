// Opt-in alerts for new customer messages: a browser notification when allowed,
// otherwise a short tone. Off until the agent turns it on (stored per browser).

import { gettext, interpolate, ngettext } from "./i18n.js";
import { apiAll } from "./api.js";

const KEY = "console.notifications";

export function notificationsEnabled() {
  return localStorage.getItem(KEY) === "on";
}

function render(button) {
  const on = notificationsEnabled();
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? gettext("Notifications on") : gettext("Notifications off");
}

export function setupNotifications() {
  const button = document.getElementById("notify-toggle");
  if (!button) return;
  render(button);
  button.addEventListener("click", async () => {
    if (notificationsEnabled()) {
      localStorage.setItem(KEY, "off");
    } else {
      localStorage.setItem(KEY, "on");
      if ("Notification" in window && Notification.permission === "default") {
        try {
          await Notification.requestPermission();
        } catch {
          // older browsers: the tone still works
        }
      }
    }
    render(button);
  });
}

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
    osc.onended = () => ctx.close();
  } catch {
    // audio unavailable (autoplay policy): stay silent
  }
}

// New conversations routed to one of my teams: alerted once each.
let myTeams = null;
const alerted = new Set();

export async function loadMyTeams() {
  try {
    const teams = await apiAll("/api/v1/me/teams/?limit=500");
    myTeams = new Set(teams.map((t) => `${t.business}:${t.name}`));
  } catch {
    myTeams = new Set();
  }
}

export function notifyConversation(conversation) {
  const team = conversation.route?.team;
  if (!team || !myTeams || alerted.has(conversation.id)) return false;
  if (!myTeams.has(`${conversation.business?.id}:${team}`)) return false;
  alerted.add(conversation.id);
  if (!notificationsEnabled()) return true;
  const who = conversation.customer?.display_name || gettext("A customer");
  if ("Notification" in window && Notification.permission === "granted") {
    const n = new Notification(interpolate(gettext("New conversation for %(team)s"), { team }), {
      body: who,
      tag: `conversation-${conversation.id}`,
    });
    n.onclick = () => {
      window.focus();
      location.assign(`/console/c/${conversation.id}/`);
    };
  } else {
    beep();
  }
  return true;
}

export function notifyMessage(message, conversationUrl) {
  if (!notificationsEnabled()) return;
  if ("Notification" in window && Notification.permission === "granted") {
    const n = new Notification(gettext("New customer message"), {
      body: (message.preview || message.text || "").slice(0, 140),
      tag: `conversation-${message.conversation}`,
    });
    n.onclick = () => {
      window.focus();
      location.assign(conversationUrl);
    };
  } else {
    beep();
  }
}
