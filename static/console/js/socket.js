// One reconnecting WebSocket per tab. The socket is only a hint: after every
// (re)connect the page resyncs over REST before applying pushes, so nothing is
// missed across a network drop.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
// The server closes with 4503 when Redis (its channel layer) is unavailable,
// e.g. restarting: it is back within seconds, so retry often, never backing off
// past this, or the console stays deaf for half a minute after Redis is back.
const LAYER_UNAVAILABLE = 4503;
const LAYER_MAX_DELAY_MS = 2000;

export class ConsoleSocket {
  /**
   * @param {object} options
   * @param {(event: object) => void} options.onEvent  applied in order, after resync
   * @param {(reconnected: boolean) => Promise<void>} options.resync  REST catch-up
   * @param {(state: string) => void} [options.onState]  "connecting" | "open" | "closed"
   * @param {() => void} [options.onOpen]  after resync (announce presence, …)
   */
  constructor({ onEvent, resync, onState = () => {}, onOpen = () => {} }) {
    this.onEvent = onEvent;
    this.resync = resync;
    this.onState = onState;
    this.onOpen = onOpen;
    this.attempt = 0;
    this.connectedOnce = false;
    this.queue = null; // events that arrive while a resync is in flight
    this.ws = null;
    this.stopped = false;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws/console/`;
  }

  start() {
    this.stopped = false;
    this.connect();
    // A laptop waking up or a tab coming back online should not wait for the backoff.
    window.addEventListener("online", () => this.kick());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.kick();
    });
    window.addEventListener("pagehide", () => this.stop());
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }

  kick() {
    if (this.stopped) return;
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) {
      clearTimeout(this.timer);
      this.attempt = 0;
      this.connect();
    }
  }

  connect() {
    this.onState("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("open", () => this.opened());
    ws.addEventListener("message", (msg) => this.received(msg));
    ws.addEventListener("close", (event) => this.closed(event));
  }

  async opened() {
    const reconnected = this.connectedOnce;
    this.connectedOnce = true;
    this.attempt = 0;
    this.queue = [];
    try {
      await this.resync(reconnected);
    } catch (err) {
      console.warn("resync failed", err);
    }
    const queued = this.queue || [];
    this.queue = null;
    this.onState("open");
    for (const event of queued) this.dispatch(event);
    this.onOpen();
  }

  received(msg) {
    let event;
    try {
      event = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (this.queue) this.queue.push(event);
    else this.dispatch(event);
  }

  dispatch(event) {
    try {
      this.onEvent(event);
    } catch (err) {
      console.warn("event handler failed", event.type, err);
    }
  }

  closed(event) {
    this.ws = null;
    this.queue = null;
    this.onState("closed");
    if (this.stopped) return;
    if (event.code === 4401) {
      // Signed out (or the session expired): reconnecting would only fail again.
      location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    // Exponential backoff with full jitter, so a server restart isn't met by
    // every tab at the same instant.
    const cap = event.code === LAYER_UNAVAILABLE ? LAYER_MAX_DELAY_MS : MAX_DELAY_MS;
    const ceiling = Math.min(cap, MIN_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), MIN_DELAY_MS + Math.random() * ceiling);
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false; // ephemeral signals are simply dropped while offline
  }
}
