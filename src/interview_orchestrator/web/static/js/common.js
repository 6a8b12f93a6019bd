// Helpers every page shares: the API with a bearer token, a live event stream that resumes
// from its cursor, and DOM building that never interprets text as HTML.

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `request failed (${status})`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** Call the service's API; JSON in, JSON out; a problem+json answer becomes an ApiError. */
export async function api(path, { method = "GET", token, body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Build an element: attributes, then children (strings become text nodes, never HTML). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Follow a session's event log live: replay after `after`, then new events as they are
 * committed. Reconnects with the last id it saw (nothing lost, nothing twice); `onEvent`
 * gets each event once and in order; `onState` hears "open", "reconnecting" and "closed".
 * A close with a 44xx code (bad or revoked token) is final.
 */
export function followEvents(sessionId, token, { after = 0, onEvent, onState = () => {} }) {
  let cursor = after;
  let socket = null;
  let stopped = false;
  let delay = 500;

  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/v1/sessions/${encodeURIComponent(sessionId)}` +
      `/events?after=${cursor}&token=${encodeURIComponent(token)}`;
    socket = new WebSocket(url);
    socket.addEventListener("open", () => { delay = 500; onState("open"); });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.id <= cursor) return;
      cursor = event.id;
      onEvent(event);
    });
    socket.addEventListener("close", (closed) => {
      if (stopped) return;
      if (closed.code >= 4400 && closed.code < 4500) {
        stopped = true;
        onState("closed", closed.code, closed.reason);
        return;
      }
      onState("reconnecting");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  connect();
  return {
    get cursor() { return cursor; },
    close() { stopped = true; if (socket) socket.close(1000); },
  };
}

/** "12:34" for a number of seconds. */
export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
}

/** A UUID for a client message id (idempotent sends). */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
