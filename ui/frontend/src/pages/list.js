// The dispatch list, kept live: new dispatches, status changes and node counts arrive through
// the event stream (rows redrawn by the server, a few at a time); overview counts; delete one
// or a selection of dispatches.
import { startPage, localizeTimes, errorText, post, api, base } from "../lib/common.js";
import { LiveStream } from "../lib/stream.js";

startPage();

const table = document.getElementById("dispatches");
const body = table.tBodies[0];
const newestFirst = table.dataset.newestFirst === "true";
const FLUSH_MS = 300;
const OVERVIEW_MS = 1000; // the overview's counts are read again at most this often, and once after the last change

function show(message, isError) {
  const box = document.getElementById("list-message");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("error", !!isError);
  box.classList.remove("hidden");
}

function rowOf(id) {
  return body.querySelector('tr[data-dispatch-id="' + CSS.escape(id) + '"]');
}

function setTotal(n) {
  document.getElementById("total").textContent = "(" + n + ")";
}

function setOverview(html) {
  const old = document.getElementById("overview");
  const holder = document.createElement("div");
  holder.innerHTML = html; // drawn by the server, every text escaped
  if (old && holder.firstElementChild) old.replaceWith(holder.firstElementChild);
}

function place(row) {
  localizeTimes(row);
  for (const b of row.querySelectorAll("button.copy")) b.hidden = false;
  for (const c of row.querySelectorAll("input.pick")) { c.hidden = false; c.checked = picked.has(c.value); }
}

// -- live: which rows to redraw, flushed together ------------------------------------------
const pending = new Set();
let timer = null;
let overviewAt = 0;
let overviewTimer = null;
function refresh(id) {
  pending.add(id);
  if (!timer) timer = setTimeout(flush, FLUSH_MS);
}

async function flush() {
  timer = null;
  const ids = [...pending].slice(0, 200);
  for (const id of ids) pending.delete(id);
  const query = new URLSearchParams(location.search);
  query.set("ids", ids.join(","));
  const now = Date.now();
  if (now - overviewAt >= OVERVIEW_MS) {
    overviewAt = now;
    query.set("overview", "1");
  } else if (!overviewTimer) {
    overviewTimer = setTimeout(() => { overviewTimer = null; flush(); }, OVERVIEW_MS); // the counts after the last change
  }
  if (!ids.length && !query.has("overview")) return;
  const response = await fetch(base() + "/rows?" + query.toString(), { credentials: "same-origin" });
  if (response.ok) {
    const answer = await response.json();
    for (const id of answer.created) { // oldest first, so the newest ends up on top
      const html = answer.rows[id];
      const old = rowOf(id);
      const holder = document.createElement("tbody");
      holder.innerHTML = html; // drawn by the server, every text escaped
      const row = holder.firstElementChild;
      place(row);
      if (old) old.replaceWith(row);
      else if (newestFirst) {
        const empty = body.querySelector("tr.empty");
        if (empty) empty.remove();
        body.insertBefore(row, body.firstElementChild);
        row.classList.add("fresh");
      }
    }
    for (const id of ids) if (answer.rows[id] === null && rowOf(id)) rowOf(id).remove(); // no longer matches
    if (answer.overview) setOverview(answer.overview);
    setTotal(answer.total);
    updateBulk();
  }
  if (pending.size && !timer) timer = setTimeout(flush, FLUSH_MS);
}

let unseen = 0;
const stream = new LiveStream(
  api() + "/events",
  async function resync() {
    const query = new URLSearchParams(location.search);
    query.set("fragment", "1");
    const response = await fetch(base() + "/?" + query.toString(), { credentials: "same-origin" });
    if (!response.ok) return;
    const answer = await response.json();
    body.innerHTML = answer.rows; // drawn by the server, every text escaped
    for (const row of body.rows) place(row);
    setOverview(answer.overview);
    setTotal(answer.total);
    updateBulk();
  },
  function handle(event) {
    const id = event.dispatch_id;
    if (!id) return;
    if (event.kind === "deleted") {
      const row = rowOf(id);
      if (row) row.remove();
      refresh(id); // the overview and total
      return;
    }
    if (rowOf(id)) { refresh(id); return; }
    if (event.kind === "dispatch" && event.root_dispatch_id === id) {
      if (newestFirst) refresh(id); // a dispatch this page has not shown: new, or from another page
      else if (event.status === "NEW_OBJECT" || event.status === "RUNNING") {
        unseen += 1; // another order or page: say so rather than move rows about
        show(unseen + " new dispatch" + (unseen === 1 ? "" : "es") + " since this page was loaded; reload to see " + (unseen === 1 ? "it" : "them") + ".", false);
      }
    }
  },
  document.getElementById("live"),
);
stream.open();

// -- delete: one, or the selected ----------------------------------------------------------
const picked = new Set();
const bulk = document.getElementById("bulk");
const pickAll = document.getElementById("pick-all");
pickAll.hidden = false;
for (const row of body.rows) place(row);

function updateBulk() {
  for (const id of [...picked]) if (!rowOf(id)) picked.delete(id);
  const boxes = [...body.querySelectorAll("input.pick")];
  bulk.classList.toggle("hidden", picked.size === 0);
  document.getElementById("bulk-count").textContent = picked.size + " selected";
  document.getElementById("bulk-delete").disabled = picked.size === 0;
  pickAll.checked = boxes.length > 0 && boxes.every((b) => b.checked);
  pickAll.indeterminate = !pickAll.checked && boxes.some((b) => b.checked);
}

body.addEventListener("change", function (event) {
  const box = event.target.closest("input.pick");
  if (!box) return;
  if (box.checked) picked.add(box.value);
  else picked.delete(box.value);
  updateBulk();
});
pickAll.addEventListener("change", function () {
  for (const box of body.querySelectorAll("input.pick")) {
    box.checked = pickAll.checked;
    if (box.checked) picked.add(box.value);
    else picked.delete(box.value);
  }
  updateBulk();
});

async function remove(id) {
  const response = await post(api() + "/dispatches/" + encodeURIComponent(id), "DELETE");
  if (response.ok || response.status === 404) {
    const row = rowOf(id);
    if (row) row.remove();
    picked.delete(id);
    return null;
  }
  return id + ": " + (await errorText(response));
}

document.getElementById("bulk-delete").addEventListener("click", async function () {
  const ids = [...picked];
  if (!ids.length || !window.confirm("Delete " + ids.length + " dispatch" + (ids.length === 1 ? "" : "es") + " and their results? This cannot be undone.")) return;
  this.disabled = true;
  const failures = [];
  for (const id of ids) { // one after another: each is a write of its own
    const failed = await remove(id);
    if (failed) failures.push(failed);
  }
  updateBulk();
  for (const id of ids) refresh(id); // the overview and total
  if (failures.length) show("Could not delete " + failures.join("; "), true);
  else show("Deleted " + ids.length + " dispatch" + (ids.length === 1 ? "" : "es") + ".", false);
});

document.addEventListener("click", async function (event) {
  const button = event.target.closest("button[data-delete]");
  if (!button) return;
  const id = button.dataset.delete;
  if (!window.confirm('Delete dispatch "' + button.dataset.name + '" (' + id + ") and its results? This cannot be undone.")) return;
  button.disabled = true;
  const failed = await remove(id);
  if (failed) {
    button.disabled = false;
    show("Could not delete " + failed, true);
  } else {
    refresh(id);
    show("Deleted " + id + ".", false);
  }
  updateBulk();
});
