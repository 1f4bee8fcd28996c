// The dispatch page (and the preview page): the graph viewer, live status colours from the
// event stream, the node panel, groups expanded in place, cancel and redispatch.
import { startPage, localizeTimes, errorText, post, api, base } from "../lib/common.js";
import { el, perFrame } from "../lib/dom.js";
import { LiveStream } from "../lib/stream.js";
import { GraphViewer } from "../graph/viewer.js";
import { StatusBoard, TERMINAL } from "../graph/status.js";
import { NodePanel } from "../graph/panel.js";

startPage();

const data = JSON.parse(document.getElementById("graph-data").textContent);
const id = data.dispatch_id || null; // null on a preview page
const container = document.getElementById("graph");
const board = new StatusBoard(data.colours, data.statuses, data.groups, data.aggregate);
let options = data.options;

const panel = new NodePanel(document.getElementById("node-panel"), {
  dispatchId: id,
  board,
  expand: (i) => expandGroup(i),
  collapse: (i) => collapseGroup(i),
  onClose: () => viewer.select(null, false),
});

const viewer = new GraphViewer(container, {
  onOpen: (box) => {
    if (box.el.dataset.nodeId !== undefined && id) panel.openNode(parseInt(box.el.dataset.nodeId, 10));
    else if (box.key[0] === "g" || box.key[0] === "b") panel.openGroup(parseInt(box.key.slice(1), 10), box.key[0] === "b");
  },
  onEscape: () => panel.close(),
  onCollapse: (i) => collapseGroup(i),
});
viewer.attach(container.querySelector("svg"));
board.paintAll(viewer.boxes);

// -- toolbar: zoom buttons, search, view options ------------------------------------------
document.getElementById("graph-tools").classList.remove("hidden");
document.getElementById("zoom-in").addEventListener("click", () => viewer.zoomBy(1.4));
document.getElementById("zoom-out").addEventListener("click", () => viewer.zoomBy(1 / 1.4));
document.getElementById("zoom-fit").addEventListener("click", () => viewer.fit());
document.getElementById("zoom-actual").addEventListener("click", () => viewer.actualSize());

const search = document.getElementById("graph-search");
const found = document.getElementById("search-count");
function runSearch() {
  const n = viewer.search(search.value, (nid) => board.memberOf.get(nid));
  found.textContent = search.value.trim() ? (n ? n + " found" : "none found") : "";
  return n;
}
search.addEventListener("input", runSearch);
search.addEventListener("keydown", async (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    if (viewer.hidden && viewer.matches[0] === "g" + viewer.hidden.group && !event.shiftKey) {
      const { node, group } = viewer.hidden; // the node is inside a collapsed group: open the group
      await expandGroup(group, "n" + node);
      runSearch();
      viewer.select("n" + node);
      found.textContent = "node " + node;
      return;
    }
    const at = viewer.nextMatch(event.shiftKey);
    if (at) found.textContent = at + " of " + viewer.matches.length;
  } else if (event.key === "Escape") {
    search.value = "";
    runSearch();
    container.focus();
  }
});

async function redraw(query, focusKey) {
  const url = (id ? base() + "/dispatches/" + encodeURIComponent(id) : location.pathname) + "/graph" + query;
  const before = focusKey ? null : viewer.selected && viewer.onScreen(viewer.selected);
  const anchorKey = viewer.selected;
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    message("Could not redraw the graph: " + (await errorText(response)), true);
    return;
  }
  const drawing = await response.json();
  const keepView =
    drawing.options.direction === options.direction &&
    drawing.options.mode === options.mode &&
    drawing.options.parameters === options.parameters;
  options = drawing.options;
  container.innerHTML = drawing.svg; // drawn by the server, every text escaped
  if (drawing.groups) board.setGroups(drawing.groups);
  viewer.attach(container.querySelector("svg"), { fit: !keepView });
  board.paintAll(viewer.boxes);
  if (search.value.trim()) runSearch();
  history.replaceState(null, "", query);
  updateOptionLinks(drawing);
  if (focusKey && keepView) viewer.reveal(focusKey, 0);
  else if (keepView && before && viewer.boxes.has(anchorKey)) {
    const box = viewer.boxes.get(anchorKey); // keep the selected box where it was on the screen
    const k = viewer.transform.k;
    const { width, height } = viewer.size();
    viewer.centreOn(box.x + (width / 2 - before[0]) / k, box.y + (height / 2 - before[1]) / k, k, 0);
  }
}

/** Expand group `i` in place: its members drawn where the group was, the view kept on them. */
async function expandGroup(i, focusKey) {
  const anchor = viewer.onScreen("g" + i);
  const expanded = new Set(options.expanded);
  expanded.add(i);
  await redraw(queryOf({ expanded: [...expanded] }), focusKey || null);
  if (anchor && !focusKey) {
    // what the group became: one box holding its members, or the members themselves
    const block = viewer.boxes.get("b" + i);
    const parts = block ? [block] : board.groups[i].members.map((nid) => viewer.boxes.get("n" + nid)).filter(Boolean);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const box of parts) {
      x0 = Math.min(x0, box.x - box.w / 2); x1 = Math.max(x1, box.x + box.w / 2);
      y0 = Math.min(y0, box.y - box.h / 2); y1 = Math.max(y1, box.y + box.h / 2);
    }
    if (x0 < x1) {
      const { width, height } = viewer.size();
      const fits = Math.min(0.9 * width / (x1 - x0), 0.9 * height / Math.max(1, y1 - y0));
      const k = Math.max(Math.min(viewer.transform.k, fits), 0.3);
      // the members' centre goes where the group's centre was on the screen
      const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
      viewer.centreOn(cx + (width / 2 - anchor[0]) / k, cy + (height / 2 - anchor[1]) / k, k, 0);
    }
  }
}

function collapseGroup(i) {
  const expanded = options.expanded.filter((g) => g !== i);
  return redraw(queryOf({ expanded }));
}

function queryOf(changes) {
  const o = Object.assign({}, options, changes);
  const q = new URLSearchParams({ view: o.mode, dir: o.direction });
  if (!o.parameters) q.set("params", "0");
  if (o.mode === "collapsed" && o.expanded && o.expanded.length) q.set("expand", o.expanded.slice().sort((a, b) => a - b).join(","));
  return "?" + q.toString();
}

document.getElementById("graph-options").addEventListener("click", (event) => {
  const link = event.target.closest("a[data-graph-query]");
  if (!link) return;
  event.preventDefault();
  redraw(link.getAttribute("href"));
});

function updateOptionLinks(drawing) {
  const box = document.getElementById("graph-options");
  box.innerHTML = drawing.options_html; // server-rendered links for the new options
  const chips = document.getElementById("expanded-groups");
  chips.replaceChildren();
  for (const i of options.expanded) {
    const group = board.groups[i];
    if (!group) continue;
    const button = el("button", { type: "button", class: "chip", title: "Collapse this group again", text: group.name + " ×" + group.members.length + " ✕" });
    button.addEventListener("click", () => collapseGroup(i));
    chips.appendChild(button);
  }
  document.getElementById("node-count").textContent = drawing.caption;
}
updateOptionLinks({ options_html: document.getElementById("graph-options").innerHTML, caption: document.getElementById("node-count").textContent });

// -- header: status badge, progress, messages ------------------------------------------
function message(text, isError) {
  const box = document.getElementById("action-message");
  if (!box) return;
  box.textContent = text;
  box.classList.toggle("error", !!isError);
  box.classList.remove("hidden");
}

const repaint = perFrame(() => {
  if (board.paint(viewer.boxes)) viewer.minimap.draw();
  renderCounts();
});

function renderCounts() {
  const box = document.getElementById("task-counts");
  if (!box) return;
  const wrap = el("span", { class: "counts" });
  for (const [s, n] of board.totals()) {
    wrap.appendChild(el("span", { class: "badge " + s, title: s.toLowerCase(), text: n + " " + (s === "NEW_OBJECT" ? "new" : s.toLowerCase()) }));
  }
  box.replaceChildren(wrap);
}

function setDispatchStatus(st) {
  const badge = document.getElementById("dispatch-status");
  badge.textContent = st;
  badge.className = "badge " + st;
  document.getElementById("cancel-button").disabled = TERMINAL.includes(st);
}

function setProgress(completed, total) {
  if (typeof completed !== "number" || typeof total !== "number") return;
  document.getElementById("progress-text").textContent = completed + "/" + total + " tasks done";
  document.getElementById("progress-bar").style.width = (total ? (100 * completed / total) : 0) + "%";
}

function applyMany(pairs) {
  let any = false;
  for (const [nid, st] of pairs) {
    if (board.set(nid, st)) {
      any = true;
      panel.statusChanged(nid, st);
    }
  }
  if (any) repaint();
}

async function refreshSummary() {
  const response = await fetch(base() + "/dispatches/" + encodeURIComponent(id) + "/summary", { credentials: "same-origin" });
  if (!response.ok) return;
  const summary = document.getElementById("summary");
  summary.innerHTML = await response.text(); // server-rendered, escaped by the template engine
  localizeTimes(summary);
}

// -- live updates ------------------------------------------------------------------------
if (id) {
  const stream = new LiveStream(
    api() + "/events?dispatch_id=" + encodeURIComponent(id),
    async function resync() {
      const response = await fetch(base() + "/dispatches/" + encodeURIComponent(id) + "/statuses", { credentials: "same-origin" });
      if (!response.ok) return;
      const snap = await response.json();
      applyMany(Object.entries(snap.nodes).map(function (e) { return [parseInt(e[0], 10), e[1]]; }));
      setDispatchStatus(snap.status);
    },
    function handle(event) {
      if (event.dispatch_id !== id) return; // a sublattice's own events
      if (event.kind === "nodes") {
        applyMany(event.nodes.map(function (n) { return [n.node_id, n.status]; }));
        setProgress(event.completed, event.total);
      } else if (event.kind === "output") {
        panel.output(event);
      } else if (event.kind === "dispatch") {
        setDispatchStatus(event.status);
        setProgress(event.completed, event.total);
        if (TERMINAL.includes(event.status)) {
          stream.close();
          if (!event.snapshot) stream.resyncFn().then(refreshSummary);
          else refreshSummary();
        }
      } else if (event.kind === "deleted") {
        message("This dispatch was deleted.", true);
        stream.close();
      }
    },
    document.getElementById("live"),
  );
  if (!data.terminal) stream.open();

  // -- buttons ------------------------------------------------------------------------
  document.getElementById("cancel-button").addEventListener("click", async function () {
    if (!window.confirm("Cancel this dispatch? Running tasks are stopped.")) return;
    this.disabled = true;
    const response = await post(api() + "/dispatches/" + encodeURIComponent(id) + "/cancel");
    if (response.ok) message((await response.json()).message, false);
    else { this.disabled = false; message("Cancel failed: " + (await errorText(response)), true); }
  });
  document.getElementById("redispatch-button").addEventListener("click", async function () {
    this.disabled = true;
    const response = await post(base() + "/dispatches/" + encodeURIComponent(id) + "/redispatch");
    if (response.ok) window.location.href = (await response.json()).url;
    else { this.disabled = false; message("Redispatch failed: " + (await errorText(response)), true); }
  });
}

// A link to a node (#node-12, or ?node=12) opens its panel.
const wanted = new URLSearchParams(location.search).get("node");
if (wanted && id && viewer.boxes.has("n" + wanted)) {
  viewer.select("n" + wanted);
  panel.openNode(parseInt(wanted, 10));
}
window.covalentGraph = viewer; // for tests and the curious
