// The dashboard's script: keeps the sessions shown up to date (a same-origin JSON endpoint of
// the dashboard's, read every few seconds with the sign-in cookie), and copies a new link.
// Everything it writes is text (textContent): nothing from the server is read as HTML.

const REFRESH_MS = 5000;
const SLOWER_MS = 30000;

/** Sessions shown on the page (table rows, or the session's heading), by id. */
function liveElements() {
  const byId = new Map();
  for (const element of document.querySelectorAll("[data-live-session]")) {
    const id = element.dataset.liveSession;
    if (!byId.has(id)) byId.set(id, []);
    byId.get(id).push(element);
  }
  return byId;
}

function update(element, item, announce) {
  let statusChanged = false;
  for (const field of element.querySelectorAll("[data-field]")) {
    const name = field.dataset.field;
    if (!(name in item)) continue;
    const value = String(item[name]);
    if (field.textContent === value) continue;
    field.textContent = value;
    if (name === "status") {
      field.className = `badge ${item.status}`;
      statusChanged = true;
    }
  }
  if (!statusChanged) return;
  announce(`Session ${item.id.slice(0, 8)} is now ${item.status}.`);
  if (element.hasAttribute("data-reload-on-change")) {
    const notice = element.querySelector("[data-changed-notice]");
    if (notice) notice.hidden = false;
  }
}

function followSessions() {
  const shown = liveElements();
  if (shown.size === 0) return;
  const status = document.getElementById("live-status");
  const announce = (words) => { if (status) status.textContent = words; };
  // The list page's own filters and cursor come along: its rows are read again in one query.
  const query = new URLSearchParams(location.pathname === "/" ? location.search : "");
  query.delete("id");
  for (const id of shown.keys()) query.append("id", id);

  const refresh = async () => {
    if (document.hidden) return schedule(REFRESH_MS);
    let response;
    try {
      response = await fetch(`/dashboard/sessions.json?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      return schedule(SLOWER_MS); // the service is away for now: ask again later
    }
    if (response.status === 401) {
      announce("Your sign-in has ended: reload the page to sign in again.");
      return undefined; // stop: nothing more will be answered
    }
    if (!response.ok) return schedule(SLOWER_MS);
    const data = await response.json();
    for (const item of data.items) {
      for (const element of shown.get(item.id) || []) update(element, item, announce);
    }
    return schedule(REFRESH_MS);
  };
  const schedule = (delay) => { setTimeout(refresh, delay); };
  schedule(REFRESH_MS);
}

/** "Copy link" buttons: shown only where the clipboard can be written. */
function copyButtons() {
  for (const button of document.querySelectorAll("[data-copy-from]")) {
    const source = document.getElementById(button.dataset.copyFrom);
    const status = document.getElementById("copy-status");
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.value);
        if (status) status.textContent = "Link copied to the clipboard.";
      } catch {
        source.focus();
        source.select();
        if (status) status.textContent = "Could not copy: the link is selected, press Ctrl+C (⌘C) to copy it.";
      }
    });
  }
}

followSessions();
copyButtons();
