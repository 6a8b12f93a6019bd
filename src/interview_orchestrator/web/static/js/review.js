// The reviewer's report: the replay over the server-rendered timeline, a highlight pulse on
// cited messages, a print button, and — while the report may still change — live updates.
//
// Live updates re-render nothing here: when the event stream says something happened, the
// page is fetched again from the server and each part whose version changed
// (`data-live` / `data-version`) is swapped in. One renderer (the autoescaped server
// template), so what appears live is exactly what a reload would show; DOMParser never runs
// scripts, and no data is ever put into HTML here.

import { followEvents } from "./common.js";

const root = document.getElementById("review");
const liveStatus = document.getElementById("live-status");
/** Events of one commit arrive together: gather them into one refresh. */
const GATHER_MS = 150;

function announce(text) {
  liveStatus.textContent = text;
}

// ------------------------------------------------------------------ print

const printButton = document.getElementById("print-button");
printButton.hidden = false;
printButton.addEventListener("click", () => window.print());

// ------------------------------------------------------------------ evidence

/** The browser scrolls to the cited message and :target highlights it; a pulse draws the
 * eye, and focus moves there so that keyboard users continue from the message. */
function pulse(seq) {
  const message = document.getElementById(`message-${seq}`);
  if (!message) return;
  message.classList.remove("pulse");
  void message.offsetWidth; // restart the animation when the same message is cited again
  message.classList.add("pulse");
  message.focus({ preventScroll: true });
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a.evidence-link");
  if (link) requestAnimationFrame(() => pulse(link.dataset.seq));
});

// ------------------------------------------------------------------ replay

/** Keep `item` in view inside its scrolling `pane`, without scrolling the page. */
function scrollWithin(pane, item, { toEnd = false } = {}) {
  if (!pane || !item) return;
  const target = toEnd
    ? item.offsetTop + item.offsetHeight - pane.clientHeight + 8
    : item.offsetTop - pane.clientHeight / 2 + item.offsetHeight / 2;
  pane.scrollTop = Math.max(0, target);
}

class Replay {
  constructor(section) {
    this.slider = section.querySelector("#replay-slider");
    this.steps = [...section.querySelectorAll("#timeline > li")];
    this.timeline = section.querySelector("#timeline");
    this.position = section.querySelector("#replay-position");
    this.list = section.querySelector("#replay-messages");
    section.querySelector("#replay-controls").hidden = false;
    section.querySelector("#replay-view").hidden = false;
    // The transcript as it was: copies of the rendered messages, shown up to a step's seq.
    this.copies = [...document.querySelectorAll("#messages > li.message")].map((message) => {
      const copy = message.cloneNode(true);
      copy.removeAttribute("id");
      copy.removeAttribute("tabindex");
      for (const named of copy.querySelectorAll("[id]")) named.removeAttribute("id");
      return copy;
    });
    this.list.replaceChildren(...this.copies);
    this.slider.addEventListener("input", () => this.show(this.index));
    for (const button of section.querySelectorAll("[data-replay]")) {
      button.addEventListener("click", () => this.go(button.dataset.replay));
    }
  }

  get last() {
    return this.steps.length - 1;
  }

  get index() {
    return Number(this.slider.value);
  }

  go(where) {
    const now = this.index;
    const to = {
      first: 0,
      previous: Math.max(0, now - 1),
      next: Math.min(this.last, now + 1),
      last: this.last,
    }[where];
    this.slider.value = String(to);
    this.show(to);
  }

  show(index) {
    const step = this.steps[index];
    const seq = Number(step.dataset.seq);
    let newest = null;
    for (const copy of this.copies) {
      copy.hidden = Number(copy.dataset.seq) > seq;
      if (!copy.hidden) newest = copy;
    }
    this.steps.forEach((entry, i) => {
      if (i === index) entry.setAttribute("aria-current", "step");
      else entry.removeAttribute("aria-current");
    });
    scrollWithin(this.timeline, step);
    scrollWithin(this.list, newest, { toEnd: true });
    const label = step.querySelector(".step-label").textContent;
    const shown = this.copies.filter((copy) => !copy.hidden).length;
    const where = [
      `Step ${index + 1} of ${this.steps.length}`,
      step.dataset.elapsed,
      step.dataset.status,
      step.dataset.phase ? `phase: ${step.dataset.phase}` : null,
      `${shown} message${shown === 1 ? "" : "s"}`,
    ].filter(Boolean).join(" · ");
    this.position.textContent = `${where} — ${label}`;
    this.slider.setAttribute("aria-valuetext", `Step ${index + 1} of ${this.steps.length}: ${label}`);
  }
}

let replay = null;

/** (Re)build the replay over the current timeline; a reader in the middle of a replay keeps
 * their place, one at the end stays at the end as the timeline grows. */
function startReplay() {
  const section = document.getElementById("replay");
  const before = replay;
  replay = section && section.querySelector("#replay-slider") ? new Replay(section) : null;
  if (!replay) return;
  const stay = before && before.index < before.last ? Math.min(before.index, replay.last) : replay.last;
  replay.slider.value = String(stay);
  replay.show(stay);
}

startReplay();

// ------------------------------------------------------------------ live updates

const EVALUATION_NEWS = {
  ready: "The evaluation is ready.",
  no_evidence: "The evaluation is finished: nothing could be scored.",
  failed: "The evaluation failed.",
  running: "The evaluation is being generated.",
  pending: "The evaluation is waiting for a worker.",
};

let follower = null;
let timer = null;
let busy = false;
let again = false;

async function swapChanged() {
  const response = await fetch(location.pathname, {
    headers: { Accept: "text/html" },
    cache: "no-store",
  });
  if (response.status === 404 || response.status === 410) {
    stopFollowing("This link is no longer valid: the report shows what it held before.");
    return [];
  }
  if (!response.ok) throw new Error(`the page answered ${response.status}`);
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const changed = [];
  for (const part of document.querySelectorAll("[data-live]")) {
    const next = fresh.querySelector(`[data-live="${part.dataset.live}"]`);
    if (!next || next.dataset.version === part.dataset.version) continue;
    part.replaceWith(document.adoptNode(next));
    changed.push(part.dataset.live);
  }
  if (changed.includes("replay") || changed.includes("transcript")) startReplay();
  if (changed.includes("evaluation")) {
    const state = document.getElementById("evaluation").dataset.state;
    announce(EVALUATION_NEWS[state] || "The report was updated.");
  }
  const nextRoot = fresh.getElementById("review");
  if (nextRoot && nextRoot.dataset.follow === "false") stopFollowing();
  return changed;
}

/** Fetch and swap; changes that arrive meanwhile are fetched once more afterwards. */
async function refresh() {
  if (busy) {
    again = true;
    return [];
  }
  busy = true;
  let changed = [];
  try {
    do {
      again = false;
      changed = changed.concat(await swapChanged());
    } while (again);
  } catch {
    announce("The report could not be updated just now; it tries again with the next change.");
  } finally {
    busy = false;
  }
  return changed;
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, GATHER_MS);
}

function stopFollowing(why) {
  if (follower) follower.close();
  follower = null;
  if (why) announce(why);
}

if (root.dataset.follow === "true") {
  follower = followEvents(root.dataset.sessionId, root.dataset.token, {
    after: Number(root.dataset.cursor),
    onEvent: soon,
    onState: (state) => {
      if (state === "closed") {
        stopFollowing("Live updates stopped: this link is no longer valid.");
      }
    },
  });
}

document.addEventListener("click", async (event) => {
  const check = event.target.closest("#check-again");
  if (!check) return;
  event.preventDefault();
  const changed = await refresh();
  if (!changed.includes("evaluation")) announce("Checked: nothing new yet.");
});

window.addEventListener("pagehide", () => stopFollowing());
