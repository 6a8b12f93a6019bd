// The candidate's interview page (/i/{token}).
//
// The transcript is the session's event log, replayed from the start over the WebSocket on
// every load: a reload, a dropped connection or a second tab all show the same conversation,
// each message once (keyed by seq). A send carries a client_message_id and is kept in
// sessionStorage until its reply is known, so a reload in the middle of a send sends it again
// under the same id (the service answers with the same turn) instead of losing or doubling it.
// The time left is the service's remaining_seconds, counted down locally while ACTIVE and read
// again on every status change. The page never asks for the evaluation.

import { api, ApiError, clock, el, followEvents, newId } from "./common.js";

const root = document.getElementById("interview");
const token = root.dataset.token;
const sessionId = root.dataset.sessionId;
const base = `/sessions/${encodeURIComponent(sessionId)}`;
const PENDING_KEY = `interview-pending:${sessionId}`;
/** While a reply this tab did not ask for is awaited, how often to check it is still coming. */
const AWAIT_POLL_MS = 4000;
const BOARD_LINE_WIDTH = 3;

const $ = (id) => document.getElementById(id);
const ui = {
  badge: $("status-badge"),
  timeLeft: $("time-left"),
  timer: $("timer"),
  timerNote: $("timer-note"),
  controls: $("controls"),
  pause: $("pause"),
  resume: $("resume"),
  end: $("end"),
  announcer: $("announcer"),
  connection: $("connection"),
  loading: $("loading"),
  intro: $("intro"),
  introDuration: $("intro-duration"),
  start: $("start"),
  closing: $("closing"),
  closingTitle: $("closing-title"),
  closingText: $("closing-text"),
  workspace: $("workspace"),
  transcript: $("transcript"),
  thinking: $("thinking"),
  problem: $("problem"),
  problemText: $("problem-text"),
  problemAction: $("problem-action"),
  pausedNote: $("paused-note"),
  composer: $("composer"),
  answer: $("answer"),
  send: $("send"),
  whiteboard: $("whiteboard"),
  boardText: $("board-text"),
  canvas: $("board-canvas"),
  boardClear: $("board-clear"),
  boardSend: $("board-send"),
  endDialog: $("end-dialog"),
};

const STATUS_LABEL = {
  created: "Not started",
  active: "In progress",
  paused: "Paused",
  completed: "Ended",
};
const ROLE_LABEL = { candidate: "You", interviewer: "Interviewer", system: "Note" };
const STATUS_EVENTS = new Set([
  "session.started", "session.paused", "session.resumed", "session.completed",
]);

const state = {
  status: null,
  session: null,          // the newest snapshot read from the service
  newestStatusEvent: 0,   // the id of the newest status change applied
  cursor: 0,              // the id of the newest event seen
  catchUpTo: 0,           // the event count at load: replayed up to here, the page is current
  caughtUp: false,
  messages: new Map(),    // seq -> message
  nodes: new Map(),       // seq -> element
  pending: null,          // { id, content, mode } of a send not known to be answered
  pendingNode: null,
  stalled: false,         // the pending send failed; it goes again when the candidate says so
  busy: null,             // "start" | "send" | "retry" | "pause" | "resume" | "end" | null
  failedSeq: null,        // a candidate message whose reply the interviewer failed to give
  problem: null,          // { text, label?, action? }
  timer: { remaining: null, at: 0, running: false },
  warned: new Set(),
  focusClosing: false,    // the session ended while the page was open: show where it went
  linkDead: false,
};

// ---------------------------------------------------------------- announcements

function announce(text) {
  // Cleared first so that the same words twice are read twice.
  ui.announcer.textContent = "";
  window.setTimeout(() => { ui.announcer.textContent = text; }, 50);
}

function showProblem(text, label, action) {
  state.problem = { text, label, action };
  render();
}

function clearProblem() {
  state.problem = null;
}

/** What to tell the candidate when a request failed: never a status code or a stack. */
function describe(error, doing) {
  if (!(error instanceof ApiError)) {
    return `We could not reach the interview service while ${doing}. Check your connection ` +
      "and try again.";
  }
  const kind = String(error.problem.type || "").split("/").pop();
  switch (error.status) {
    case 401:
    case 403:
    case 404:
      state.linkDead = true;
      return "This link can no longer be used. Please ask the person who sent it to you " +
        "for a new one.";
    case 409:
      if (kind === "turn-in-progress") {
        return "The interviewer is still answering your previous message. Please wait for " +
          "the reply, then send again.";
      }
      return "That is not possible at this point of the interview.";
    case 429: {
      const wait = Number(error.problem.retry_after) || 10;
      return `You are going a little fast. Please wait ${wait} seconds and try again.`;
    }
    case 422:
      return `That could not be sent: ${error.problem.detail || "the message is not valid"}.`;
    default:
      return `Something went wrong on our side while ${doing}. Please try again in a moment.`;
  }
}

// ---------------------------------------------------------------- time left

function remainingNow() {
  const { remaining, at, running } = state.timer;
  if (remaining === null) return null;
  return running ? Math.max(0, remaining - (performance.now() - at) / 1000) : remaining;
}

/** Keep the time shown, and set whether it runs (the service's word comes with the next read). */
function rebaseTimer(running) {
  const now = remainingNow();
  if (now === null) return;
  state.timer = { remaining: now, at: performance.now(), running };
}

function renderTimer() {
  const left = remainingNow();
  if (left === null) return;
  const text = clock(Math.ceil(left));
  if (ui.timer.textContent !== text) ui.timer.textContent = text;
  const note = state.status === "paused" ? "(stopped while paused)" : "";
  if (ui.timerNote.textContent !== note) ui.timerNote.textContent = note;
  ui.timeLeft.classList.toggle("low", state.status === "active" && left <= 300);
  if (state.status !== "active") return;
  for (const minutes of [5, 1]) {
    if (left <= minutes * 60 && left > minutes * 60 - 30 && !state.warned.has(minutes)) {
      state.warned.add(minutes);
      announce(minutes === 1 ? "One minute left." : `${minutes} minutes left.`);
    }
  }
  if (left <= 0 && !state.warned.has(0)) {
    state.warned.add(0);
    announce("The time is up.");
    requestSync();
  }
}

// ---------------------------------------------------------------- the session's state

/** Apply a snapshot of the session, unless a newer status change was already applied. */
function applySession(session) {
  if (session.event_count < state.newestStatusEvent) return;
  state.newestStatusEvent = session.event_count;
  state.session = session;
  state.timer = {
    remaining: session.remaining_seconds,
    at: performance.now(),
    running: session.status === "active",
  };
  setStatus(session.status);
  judgeUnanswered();
  render();
}

function setStatus(status, reason) {
  const previous = state.status;
  state.status = status;
  if (previous === null || previous === status) return;
  if (status === "active" && previous === "created") announce("The interview has started.");
  else if (status === "active") announce("The interview has resumed.");
  else if (status === "paused") announce("The interview is paused. The time has stopped.");
  else if (status === "completed") {
    const byTime = reason === "time_limit";
    ui.closingText.textContent = byTime
      ? "The time for the interview is up, and your answers have been saved. Thank you for " +
        "your time; you can close this page now."
      : "The interview has ended and your answers have been saved. You can close this page now.";
    announce(byTime ? "The time is up: the interview has ended." : "The interview has ended.");
    state.focusClosing = true;
    if (ui.endDialog.open) ui.endDialog.close("cancel");
  }
}

let syncing = false;
let syncAgain = false;

/** Read the session again (one read at a time; asks made meanwhile make one more). */
function requestSync() {
  if (syncing) { syncAgain = true; return; }
  syncing = true;
  api(base, { token })
    .then(applySession)
    .catch((error) => { if (error instanceof ApiError) showProblem(describe(error, "updating")); })
    .finally(() => {
      syncing = false;
      if (syncAgain) { syncAgain = false; requestSync(); }
    });
}

// ---------------------------------------------------------------- transcript

function lastMessage() {
  let last = null;
  for (const message of state.messages.values()) if (!last || message.seq > last.seq) last = message;
  return last;
}

/** A candidate message still waiting for its reply, if the transcript ends with one. */
function unanswered() {
  const last = lastMessage();
  return last && last.role === "candidate" ? last : null;
}

function storedPending() {
  if (!state.pending) return null;
  for (const message of state.messages.values()) {
    if (message.role === "candidate" && message.client_message_id === state.pending.id) return message;
  }
  return null;
}

function answered(candidate) {
  for (const message of state.messages.values()) {
    if (message.seq > candidate.seq && message.role !== "candidate") return true;
  }
  return false;
}

function parseBoard(content) {
  try {
    const board = JSON.parse(content);
    if (board && typeof board === "object" && !Array.isArray(board)) {
      return {
        text: typeof board.text === "string" ? board.text : "",
        strokes: Array.isArray(board.strokes) ? board.strokes : [],
        width: Number(board.width) || ui.canvas.width,
        height: Number(board.height) || ui.canvas.height,
      };
    }
  } catch (_) {
    // Not an export of this page: shown as the text it is.
  }
  return null;
}

function drawStrokes(canvas, strokes, width, height) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.save();
  context.scale(canvas.width / width, canvas.height / height);
  context.lineWidth = BOARD_LINE_WIDTH;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#1b1f24";
  for (const stroke of strokes) {
    if (!Array.isArray(stroke) || stroke.length === 0) continue;
    context.beginPath();
    const points = stroke.filter((p) => Array.isArray(p) && p.length >= 2);
    points.forEach(([x, y], i) => (i === 0 ? context.moveTo(x, y) : context.lineTo(x, y)));
    if (points.length === 1) context.lineTo(points[0][0] + 0.1, points[0][1]);
    context.stroke();
  }
  context.restore();
}

function messageBody(message) {
  if (message.mode === "whiteboard") {
    const board = parseBoard(message.content);
    if (board) {
      const parts = [el("p", { class: "content" }, board.text || "(drawing only)")];
      if (board.strokes.length) {
        const canvas = el("canvas", {
          width: board.width, height: board.height, role: "img",
          "aria-label": `Drawing with ${board.strokes.length} ` +
            `stroke${board.strokes.length === 1 ? "" : "s"}`,
        });
        drawStrokes(canvas, board.strokes, board.width, board.height);
        parts.push(canvas);
      }
      return parts;
    }
  }
  return [el("p", { class: "content" }, message.content)];
}

function messageNode(message, { pending = false } = {}) {
  const label = ROLE_LABEL[message.role] || message.role;
  const channel = message.mode === "whiteboard" ? " (whiteboard)" : "";
  return el(
    "div",
    {
      class: `message ${message.role}${pending ? " pending" : ""}`,
      dataset: pending ? { pending: "yes" } : { seq: String(message.seq), role: message.role },
    },
    el("span", { class: "who" }, `${label}${channel}`, el("span", { class: "visually-hidden" }, ":")),
    ...messageBody(message),
    message.late && message.role === "interviewer"
      ? el("p", { class: "late" }, "This reply arrived after the interview was paused or ended.")
      : null,
  );
}

function scrollToEnd() {
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

/** Add a message to the transcript once, in seq order, whatever brought it. */
function addMessage(message) {
  if (!message || state.messages.has(message.seq)) return;
  state.messages.set(message.seq, message);
  const node = messageNode(message);
  state.nodes.set(message.seq, node);
  let before = null;
  for (const [seq, other] of state.nodes) {
    if (seq > message.seq && (!before || seq < Number(before.dataset.seq))) before = other;
  }
  ui.transcript.insertBefore(node, before || state.pendingNode);
  const mine = storedPending();
  if (mine && state.pendingNode) { state.pendingNode.remove(); state.pendingNode = null; }
  if (mine && answered(mine)) forgetPending();
  if (state.failedSeq !== null && !unanswered()) state.failedSeq = null;
  scrollToEnd();
}

// ---------------------------------------------------------------- the send in flight

function savePending(pending) {
  state.pending = pending;
  try {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  } catch (_) {
    // Storage refused (private mode, quota): the send still goes; only a reload could lose it.
  }
}

function loadPending() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
    if (saved && typeof saved.id === "string" && typeof saved.content === "string") return saved;
  } catch (_) {
    // Unreadable: nothing to resume.
  }
  return null;
}

function forgetPending() {
  state.pending = null;
  state.stalled = false;
  if (state.pendingNode) { state.pendingNode.remove(); state.pendingNode = null; }
  try { sessionStorage.removeItem(PENDING_KEY); } catch (_) { /* nothing kept */ }
}

function showPendingBubble() {
  if (!state.pending || state.pendingNode || storedPending()) return;
  state.pendingNode = messageNode(
    { role: "candidate", mode: state.pending.mode, content: state.pending.content, seq: 0 },
    { pending: true },
  );
  ui.transcript.append(state.pendingNode);
  scrollToEnd();
}

/** Give back a refused message so the candidate does not have to type it again. */
function giveBack(pending) {
  if (pending.mode === "text" && !ui.answer.value.trim()) ui.answer.value = pending.content;
}

async function deliver(pending) {
  state.busy = "send";
  state.stalled = false;
  clearProblem();
  showPendingBubble();
  render();
  try {
    const turn = await api(`${base}/messages`, {
      method: "POST",
      token,
      body: { content: pending.content, mode: pending.mode, client_message_id: pending.id },
    });
    addMessage(turn.candidate);
    addMessage(turn.reply);
    forgetPending();
  } catch (error) {
    sendFailed(error, pending);
  } finally {
    state.busy = null;
    render();
  }
}

function sendFailed(error, pending) {
  const kind = error instanceof ApiError ? String(error.problem.type || "").split("/").pop() : "";
  if (error instanceof ApiError && error.status === 502) {
    if (error.problem.message_kept) {
      forgetPending();
      state.failedSeq = error.problem.candidate_message_seq ?? null;
      requestSync();
      return; // render() shows the saved-message notice and its retry.
    }
    state.stalled = true;
    showProblem("The interviewer could not answer, and your message has not been saved yet.",
      "Send again", () => deliver(pending));
    return;
  }
  if (!(error instanceof ApiError) || error.status >= 500) {
    // The message may or may not have arrived: sending again under the same id is safe.
    state.stalled = true;
    showProblem(describe(error, "sending your message"), "Send again", () => deliver(pending));
    return;
  }
  if (error.status === 409 && kind === "turn-in-progress" && storedPending()) {
    return; // Ours, already being answered (sent before a reload): its reply is on its way.
  }
  forgetPending();
  giveBack(pending);
  showProblem(describe(error, "sending your message"));
  if (error.status === 409) requestSync();
}

function sendNew(content, mode) {
  const pending = { id: newId(), content, mode };
  savePending(pending);
  deliver(pending);
}

async function retryReply() {
  state.busy = "retry";
  clearProblem();
  render();
  try {
    addMessage(await api(`${base}/messages/retry`, { method: "POST", token }));
    state.failedSeq = null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 502) {
      showProblem("The interviewer still could not answer: your message is saved. Please try " +
        "again in a moment.", "Ask the interviewer again", retryReply);
    } else {
      state.failedSeq = null;
      showProblem(describe(error, "asking the interviewer again"));
      requestSync();
    }
  } finally {
    state.busy = null;
    render();
  }
}

/** After the replay at load: finish a send that a reload interrupted, under its own id. */
function resumePending() {
  if (!state.pending) return;
  const stored = storedPending();
  if (stored && answered(stored)) { forgetPending(); return; }
  if (state.status !== "active") {
    // No longer answerable: a stored message stays in the transcript (a late reply may still
    // come); one that never arrived goes back into the answer box.
    const pending = state.pending;
    forgetPending();
    if (!stored) giveBack(pending);
    return;
  }
  if (stored && state.session && state.session.turn_in_progress) return; // Its reply is coming.
  deliver(state.pending);
}

/**
 * Whether the last candidate message's reply is still coming. Judged only on a snapshot as
 * new as the transcript: if no turn is in progress, the reply was given up on — asked again
 * under the message's own id if this tab sent it, offered as a retry otherwise.
 */
function judgeUnanswered() {
  const waiting = unanswered();
  if (!waiting || state.busy || !state.session || !state.caughtUp) return;
  if (state.session.event_count !== state.cursor || state.session.turn_in_progress) return;
  const mine = storedPending();
  if (mine && mine.seq === waiting.seq && !state.stalled) {
    deliver(state.pending);
    return;
  }
  state.failedSeq = waiting.seq;
}

/** The interviewer gave up on the last candidate message (a retry is offered). */
function replyFailed() {
  const waiting = unanswered();
  return Boolean(waiting) && !state.busy && state.failedSeq === waiting.seq;
}

/** A reply is on its way: no other message may be sent meanwhile (the service refuses it). */
function awaitingReply() {
  if (state.busy === "send" || state.busy === "retry") return true;
  if (state.pending) return !state.stalled;
  return Boolean(unanswered()) && !replyFailed();
}

function canSend() {
  return state.status === "active" && !state.busy && !state.pending && !awaitingReply();
}

let awaitTimer = null;

function watchOthersTurn(watching) {
  if (watching && awaitTimer === null) {
    awaitTimer = window.setInterval(requestSync, AWAIT_POLL_MS);
  } else if (!watching && awaitTimer !== null) {
    window.clearInterval(awaitTimer);
    awaitTimer = null;
  }
}

// ---------------------------------------------------------------- rendering

function render() {
  const status = state.status;
  root.dataset.status = status || "loading";
  ui.loading.hidden = status !== null;
  ui.badge.textContent = STATUS_LABEL[status] || "Loading";
  ui.badge.className = `badge ${status || ""}`;

  const running = status === "active" || status === "paused";
  const whiteboard = Boolean(state.session &&
    state.session.config.enabled_modes.includes("whiteboard"));
  root.dataset.whiteboard = whiteboard && running ? "on" : "off";
  ui.intro.hidden = status !== "created";
  ui.workspace.hidden = !(running || status === "completed");
  ui.closing.hidden = status !== "completed";
  ui.timeLeft.hidden = !(running || status === "created");
  ui.controls.hidden = !running;
  ui.pause.hidden = status !== "active";
  ui.resume.hidden = status !== "paused";
  ui.composer.hidden = !running;
  ui.whiteboard.hidden = !(running && whiteboard);
  ui.pausedNote.hidden = status !== "paused";

  const waiting = unanswered();
  const failed = replyFailed();
  const sending = state.busy === "send" || state.busy === "retry";
  const awaiting = awaitingReply();
  const thinking = running && awaiting;
  const text = thinking ? "The interviewer is thinking…" : "";
  if (ui.thinking.textContent !== text) ui.thinking.textContent = text;
  watchOthersTurn(running && Boolean(waiting) && !sending && !failed);

  const busy = state.busy !== null;
  ui.start.disabled = busy || status !== "created";
  ui.pause.disabled = busy && state.busy !== "send" && state.busy !== "retry";
  ui.resume.disabled = busy;
  ui.end.disabled = state.busy === "end";
  ui.answer.disabled = status !== "active";
  ui.send.disabled = !canSend();
  ui.boardText.disabled = status !== "active";
  ui.boardSend.disabled = !canSend();
  ui.boardClear.disabled = status !== "active";

  let problem = status === "completed" ? null : state.problem;
  if (!problem && failed && running) {
    problem = {
      text: "The interviewer could not answer: your message is saved.",
      label: "Ask the interviewer again",
      action: retryReply,
    };
  }
  ui.problem.dataset.shown = problem ? "yes" : "no";
  if (ui.problemText.textContent !== (problem ? problem.text : "")) {
    ui.problemText.textContent = problem ? problem.text : "";
  }
  const action = problem && problem.action && !state.linkDead && status !== "completed";
  ui.problemAction.hidden = !action;
  ui.problemAction.textContent = action ? problem.label : "Try again";
  ui.problemAction.disabled = busy;
  if (status === "completed" && state.focusClosing) {
    // The controls that had the focus are gone; the closing message takes it.
    state.focusClosing = false;
    const focused = document.activeElement;
    if (!focused || focused === document.body || focused.closest("[hidden]")) {
      ui.closingTitle.focus();
    }
  }
  renderTimer();
}

// ---------------------------------------------------------------- lifecycle actions

async function act(name, path, doing, then) {
  state.busy = name;
  clearProblem();
  render();
  let done = false;
  try {
    const answer = await api(`${base}/${path}`, { method: "POST", token });
    // /end answers with the session and the evaluation's status: only the session is read.
    applySession(answer.session || answer);
    done = true;
  } catch (error) {
    showProblem(describe(error, doing));
    requestSync();
  } finally {
    state.busy = null;
    render();
  }
  if (done && then) then(); // Once the controls it may focus are enabled again.
}

ui.start.addEventListener("click", () => {
  act("start", "start", "starting the interview", () => ui.answer.focus());
});
ui.pause.addEventListener("click", () => {
  rebaseTimer(false);
  act("pause", "pause", "pausing", () => ui.resume.focus());
});
ui.resume.addEventListener("click", () => {
  act("resume", "resume", "resuming", () => ui.answer.focus());
});
ui.end.addEventListener("click", () => {
  ui.endDialog.returnValue = "";
  ui.endDialog.showModal();
});
ui.endDialog.addEventListener("close", () => {
  if (ui.endDialog.returnValue !== "end") { ui.end.focus(); return; }
  act("end", "end", "ending the interview", () => ui.closingTitle.focus());
});
ui.problemAction.addEventListener("click", () => {
  const problem = state.problem;
  if (problem && problem.action) { clearProblem(); problem.action(); return; }
  if (!problem) retryReply();
});

// ---------------------------------------------------------------- composing

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const content = ui.answer.value;
  if (!content.trim() || !canSend()) return;
  ui.answer.value = "";
  ui.answer.focus();
  sendNew(content, "text");
});

ui.answer.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  ui.composer.requestSubmit();
});

// ---------------------------------------------------------------- whiteboard

const board = { strokes: [], drawing: null };

function boardPoint(event) {
  const box = ui.canvas.getBoundingClientRect();
  return [
    Math.round(((event.clientX - box.left) * ui.canvas.width) / box.width),
    Math.round(((event.clientY - box.top) * ui.canvas.height) / box.height),
  ];
}

function redrawBoard() {
  drawStrokes(ui.canvas, board.strokes, ui.canvas.width, ui.canvas.height);
}

ui.canvas.addEventListener("pointerdown", (event) => {
  if (ui.boardText.disabled) return;
  event.preventDefault();
  ui.canvas.setPointerCapture(event.pointerId);
  board.drawing = [boardPoint(event)];
  board.strokes.push(board.drawing);
  redrawBoard();
});
ui.canvas.addEventListener("pointermove", (event) => {
  if (!board.drawing) return;
  const point = boardPoint(event);
  const last = board.drawing[board.drawing.length - 1];
  if (point[0] === last[0] && point[1] === last[1]) return;
  board.drawing.push(point);
  redrawBoard();
});
for (const type of ["pointerup", "pointercancel"]) {
  ui.canvas.addEventListener(type, () => { board.drawing = null; });
}
ui.boardClear.addEventListener("click", () => {
  board.strokes = [];
  board.drawing = null;
  redrawBoard();
  announce("The drawing is cleared.");
});
ui.boardSend.addEventListener("click", () => {
  if (!canSend()) return;
  const text = ui.boardText.value;
  if (!text.trim() && board.strokes.length === 0) {
    showProblem("The whiteboard is empty: write or draw something first.");
    return;
  }
  const content = JSON.stringify({
    text,
    strokes: board.strokes,
    width: ui.canvas.width,
    height: ui.canvas.height,
  });
  sendNew(content, "whiteboard");
});

// ---------------------------------------------------------------- live

function onEvent(event) {
  state.cursor = event.id;
  if (event.type === "message.created" && event.data.message) {
    addMessage(event.data.message);
  } else if (STATUS_EVENTS.has(event.type) && event.id > state.newestStatusEvent) {
    // Live news of a status change: shown at once, the time left read again.
    state.newestStatusEvent = event.id;
    rebaseTimer(event.data.status === "active");
    setStatus(event.data.status, event.data.end_reason || event.data.reason);
    requestSync();
  }
  // phase.changed and evaluation.updated are not the candidate's to see.
  if (!state.caughtUp && state.cursor >= state.catchUpTo) caughtUp();
  else render();
}

function caughtUp() {
  state.caughtUp = true;
  ui.transcript.setAttribute("aria-busy", "false"); // From here on, new messages are read out.
  resumePending();
  judgeUnanswered();
  render();
}

function onConnection(what) {
  if (what === "open") {
    if (ui.connection.textContent) {
      ui.connection.textContent = "";
      announce("Connection restored.");
      requestSync();
    }
  } else if (what === "reconnecting") {
    ui.connection.textContent = "The connection was lost. Reconnecting… Nothing you sent " +
      "is lost.";
  } else if (what === "closed") {
    state.linkDead = true;
    ui.connection.textContent = "This link can no longer be used. Please ask the person who " +
      "sent it to you for a new one.";
    render();
  }
}

async function main() {
  state.pending = loadPending();
  let session;
  try {
    session = await api(base, { token });
  } catch (error) {
    state.status = null;
    ui.loading.textContent = describe(error, "loading the interview");
    return;
  }
  ui.introDuration.textContent =
    `It lasts up to ${session.config.duration_minutes} minutes.`;
  state.catchUpTo = session.event_count;
  applySession(session);
  window.setInterval(renderTimer, 250);
  followEvents(sessionId, token, { after: 0, onEvent, onState: onConnection });
  if (state.catchUpTo === 0) caughtUp();
}

main();
