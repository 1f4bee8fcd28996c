// The timeline: a Gantt chart of a dispatch, one lane per executor (and per worker), each
// attempt of each task a bar from when it was handed to its executor (queued, hatched) through
// when it ran (its status colour); earlier attempts faded, file transfers as thin bars. Zoom
// and pan the time (d3-zoom on a d3-scale), live from the event stream.
import { scaleLinear } from "d3-scale";
import { axisTop } from "d3-axis";
import { select } from "d3-selection";
import { zoom, zoomIdentity } from "d3-zoom";
import { startPage, api } from "../lib/common.js";
import { duration, perFrame } from "../lib/dom.js";
import { LiveStream } from "../lib/stream.js";
import { NodePanel } from "../graph/panel.js";
import { TERMINAL } from "../graph/status.js";

startPage();

const SVG = "http://www.w3.org/2000/svg";
const LABEL_W = 210;
const ROW_H = 20;
const BAR_H = 13;
const AXIS_H = 26;
const LANE_GAP = 6;

const data = JSON.parse(document.getElementById("timeline-data").textContent);
const id = data.dispatch_id;
const colours = data.colours;
const offset = data.now - Date.now() / 1000; // the server's clock minus ours
const serverNow = () => Date.now() / 1000 + offset;
const nodes = new Map(data.nodes.map((n) => [n.node_id, n]));
let status = data.status;
let laneMode = "worker";

const host = document.getElementById("timeline");
document.getElementById("timeline-tools").classList.remove("hidden");
const lanesSelect = document.getElementById("lanes");
lanesSelect.addEventListener("change", () => { laneMode = lanesSelect.value; draw(); });

function svgEl(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Each attempt of a node as one bar's data: when queued, when it ran, where, how it ended. */
function attempts(n) {
  const out = [];
  for (const a of n.history || []) {
    out.push({ node: n, attempt: a.attempt, status: a.status, submitted: a.submitted_at, start: a.start_time, end: a.end_time, worker: a.worker, earlier: true });
  }
  if (!n.submitted_at && !n.start_time) return out; // never handed to an executor
  const running = n.status === "RUNNING" && !n.end_time;
  out.push({
    node: n,
    attempt: n.attempts || out.length + 1,
    status: n.status,
    submitted: n.submitted_at || n.start_time,
    // while it runs, start_time is its submission: when it started where it runs is known at its end
    start: n.end_time ? n.start_time : null,
    end: n.end_time || (running ? null : n.start_time),
    worker: n.worker,
    running,
    earlier: false,
  });
  return out;
}

function laneOf(bar) {
  const executor = bar.node.executor || "executor";
  if (laneMode === "executor") return { key: executor, executor, worker: null };
  const worker = bar.worker || (bar.running ? "starting…" : "worker not known");
  return { key: executor + "\u0000" + worker, executor, worker };
}

/** Lanes in order, each with its bars packed into rows that never overlap in time. */
function layout(now) {
  const lanes = new Map();
  for (const n of nodes.values()) {
    for (const bar of attempts(n)) {
      bar.from = bar.submitted || bar.start;
      bar.to = bar.end || now;
      const lane = laneOf(bar);
      if (!lanes.has(lane.key)) lanes.set(lane.key, { ...lane, bars: [] });
      lanes.get(lane.key).bars.push(bar);
    }
  }
  const ordered = [...lanes.values()].sort((a, b) => (a.executor + (a.worker || "")).localeCompare(b.executor + (b.worker || "")));
  for (const lane of ordered) {
    lane.bars.sort((a, b) => a.from - b.from || a.node.node_id - b.node.node_id);
    const rowsEnd = [];
    for (const bar of lane.bars) {
      let row = rowsEnd.findIndex((end) => end <= bar.from);
      if (row < 0) { row = rowsEnd.length; rowsEnd.push(0); }
      rowsEnd[row] = bar.to + 1e-6;
      bar.row = row;
      for (const t of bar.earlier ? [] : bar.node.transfers || []) t.row = row;
    }
    lane.rows = Math.max(lane.worker ? 2 : 1, rowsEnd.length); // room for the executor and the worker
  }
  return ordered;
}

// -- drawing -----------------------------------------------------------------------------
const base = scaleLinear();
let x = base;
let transform = zoomIdentity;
const zoomer = zoom().scaleExtent([1, 20000]).on("zoom", (event) => {
  transform = event.transform;
  x = transform.rescaleX(base);
  place();
});
let svg = null;

function domain(now) {
  let t0 = data.started_at || data.created_at || now;
  let t1 = data.ended_at || (TERMINAL.includes(status) ? t0 : now);
  for (const n of nodes.values()) {
    for (const bar of attempts(n)) {
      if (bar.submitted) t0 = Math.min(t0, bar.submitted);
      t1 = Math.max(t1, bar.end || now);
    }
  }
  if (t1 - t0 < 1) t1 = t0 + 1;
  return [t0, t1 + (t1 - t0) * 0.02];
}

function draw() {
  const now = TERMINAL.includes(status) ? data.ended_at || serverNow() : serverNow();
  const lanes = layout(now);
  const width = Math.max(600, host.clientWidth - 2);
  const [t0, t1] = domain(now);
  base.domain([t0, t1]).range([LABEL_W, width - 16]);
  x = transform.rescaleX(base);
  let y = AXIS_H;
  for (const lane of lanes) { lane.y = y; y += lane.rows * ROW_H + LANE_GAP; }
  const height = Math.max(y + 8, 80);
  svg = svgEl("svg", { width, height, class: "gantt", "data-lanes": lanes.length });
  svg.appendChild(defs());
  const chart = svgEl("g", { class: "chart" });
  lanes.forEach((lane, i) => {
    chart.appendChild(svgEl("rect", { class: "lane-bg" + (i % 2 ? " odd" : ""), x: 0, y: lane.y - 2, width, height: lane.rows * ROW_H + 4 }));
  });
  const bars = svgEl("g", { class: "bars" });
  for (const lane of lanes) {
    const laneGroup = svgEl("g", { class: "lane", "data-executor": lane.executor, "data-worker": lane.worker || "" });
    for (const bar of lane.bars) laneGroup.appendChild(barGroup(bar, lane));
    bars.appendChild(laneGroup);
  }
  chart.appendChild(bars);
  const labels = svgEl("g", { class: "labels" });
  for (const lane of lanes) {
    labels.appendChild(svgEl("rect", { x: 0, y: lane.y - 2, width: LABEL_W - 8, height: lane.rows * ROW_H + 4, fill: "#fff", opacity: 0.92 }));
    labels.appendChild(svgEl("text", { class: "lane-label", x: 8, y: lane.y + 13 }, lane.executor));
    if (lane.worker) labels.appendChild(svgEl("text", { class: "lane-label worker", x: 8, y: lane.y + 28 }, lane.worker));
  }
  svg.appendChild(chart);
  svg.appendChild(svgEl("line", { class: "now", y1: AXIS_H, y2: height }));
  svg.appendChild(labels);
  svg.appendChild(svgEl("g", { class: "axis", transform: "translate(0," + (AXIS_H - 4) + ")" }));
  host.replaceChildren(svg);
  select(svg).call(zoomer).on("dblclick.zoom", null);
  select(svg).call(zoomer.transform, transform);
  place();
  summary(lanes, now);
}

function defs() {
  const d = svgEl("defs");
  const hatch = svgEl("pattern", { id: "queued-hatch", width: 5, height: 5, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  hatch.appendChild(svgEl("rect", { width: 5, height: 5, fill: "#f0f4f8" }));
  hatch.appendChild(svgEl("line", { x1: 0, y1: 0, x2: 0, y2: 5, stroke: "#9fb3c8", "stroke-width": 1.5 }));
  d.appendChild(hatch);
  return d;
}

function barGroup(bar, lane) {
  const n = bar.node;
  const top = lane.y + bar.row * ROW_H;
  const g = svgEl("g", { class: "attempt", "data-node-id": n.node_id, "data-attempt": bar.attempt, "data-status": bar.status });
  const ranFrom = bar.start || bar.from;
  const tip = n.name + " (node " + n.node_id + "), attempt " + bar.attempt + ": " + bar.status.toLowerCase()
    + (bar.start && bar.submitted ? ", queued " + duration(bar.start - bar.submitted) : "")
    + (bar.start && bar.end ? ", ran " + duration(bar.end - bar.start) : bar.running ? ", running for " + duration(serverNow() - bar.from) : "")
    + (bar.worker ? ", on " + bar.worker : "");
  g.appendChild(svgEl("title", {}, tip));
  if (bar.start && bar.submitted && bar.start > bar.submitted) {
    g.appendChild(svgEl("rect", { class: "bar queued", "data-from": bar.submitted, "data-to": bar.start, y: top + 3, height: BAR_H - 2, rx: 2 }));
  }
  const cls = "bar ran" + (bar.earlier ? " retry" : "") + (bar.running ? " running" : "");
  g.appendChild(svgEl("rect", {
    class: cls, "data-from": ranFrom, "data-to": bar.end || "now", y: top + 2, height: BAR_H, rx: 2,
    fill: colours[bar.status] || colours.NEW_OBJECT, stroke: bar.running ? "#8d6e0f" : null, "stroke-dasharray": bar.running ? "3 2" : null,
  }));
  if (!bar.earlier) {
    for (const t of n.transfers || []) {
      if (!t.start_time) continue;
      g.appendChild(svgEl("rect", { class: "bar transfer", "data-from": t.start_time, "data-to": t.end_time || t.start_time, y: top + BAR_H + 2, height: 3 }));
    }
  }
  const label = svgEl("text", { class: "bar-label", y: top + 12, "data-from": ranFrom }, n.name + " #" + n.node_id);
  g.appendChild(label);
  return g;
}

/** Put every bar where the current time scale says (after a zoom, or a new drawing). */
function place() {
  if (!svg) return;
  const now = serverNow();
  for (const rect of svg.querySelectorAll("rect.bar")) {
    const from = parseFloat(rect.dataset.from);
    const to = rect.dataset.to === "now" ? now : parseFloat(rect.dataset.to);
    const left = x(from);
    rect.setAttribute("x", left);
    rect.setAttribute("width", Math.max(2, x(to) - left));
  }
  for (const text of svg.querySelectorAll("text.bar-label")) {
    const rect = text.parentNode.querySelector("rect.ran");
    const w = parseFloat(rect.getAttribute("width"));
    text.setAttribute("x", parseFloat(rect.getAttribute("x")) + 4);
    text.style.display = w > 60 ? "" : "none";
  }
  const line = svg.querySelector("line.now");
  const running = !TERMINAL.includes(status);
  line.style.display = running ? "" : "none";
  if (running) { line.setAttribute("x1", x(now)); line.setAttribute("x2", x(now)); }
  const [t0] = base.domain();
  const axis = axisTop(x).ticks(Math.max(2, Math.floor((host.clientWidth - LABEL_W) / 90))).tickFormat((t) => "+" + duration(t - t0));
  select(svg.querySelector("g.axis")).call(axis);
}

function summary(lanes, now) {
  let queued = 0, ran = 0, bars = 0, waiting = 0;
  for (const n of nodes.values()) {
    const all = attempts(n);
    if (!all.length) waiting += 1;
    for (const bar of all) {
      bars += 1;
      if (bar.start && bar.submitted) queued += Math.max(0, bar.start - bar.submitted);
      if (bar.start && bar.end) ran += Math.max(0, bar.end - bar.start);
    }
  }
  document.getElementById("timeline-summary").textContent =
    bars + " run" + (bars === 1 ? "" : "s") + " in " + lanes.length + " lane" + (lanes.length === 1 ? "" : "s")
    + " · queued " + duration(queued) + " · ran " + duration(ran) + (waiting ? " · " + waiting + " not started" : "");
}

// -- zoom buttons, keys, the panel ---------------------------------------------------------
function zoomBy(k) { select(svg).transition().duration(150).call(zoomer.scaleBy, k, [LABEL_W + (host.clientWidth - LABEL_W) / 2, 0]); }
document.getElementById("time-in").addEventListener("click", () => zoomBy(1.6));
document.getElementById("time-out").addEventListener("click", () => zoomBy(1 / 1.6));
document.getElementById("time-fit").addEventListener("click", () => select(svg).transition().duration(200).call(zoomer.transform, zoomIdentity));
host.addEventListener("keydown", (event) => {
  if (event.key === "+" || event.key === "=") zoomBy(1.4);
  else if (event.key === "-") zoomBy(1 / 1.4);
  else if (event.key === "0") select(svg).call(zoomer.transform, zoomIdentity);
});

const panel = new NodePanel(document.getElementById("node-panel"), {
  dispatchId: id,
  board: { memberOf: new Map(), groups: [], counts: [], status: new Map(), describe: () => "" },
  expand: () => {},
  collapse: () => {},
  onClose: () => { for (const s of host.querySelectorAll(".selected")) s.classList.remove("selected"); },
});
host.addEventListener("click", (event) => {
  const g = event.target.closest("g.attempt");
  if (!g) return;
  for (const s of host.querySelectorAll(".selected")) s.classList.remove("selected");
  g.querySelector("rect.ran").classList.add("selected");
  panel.openNode(parseInt(g.dataset.nodeId, 10));
});

// -- live -----------------------------------------------------------------------------------
const redraw = perFrame(draw);
const pending = new Set();
let timer = null;

async function fetchNodes(ids) {
  const query = ids ? "?nodes=" + ids.join(",") : "";
  const response = await fetch(api() + "/dispatches/" + encodeURIComponent(id) + "/timeline" + query, { credentials: "same-origin" });
  if (!response.ok) return;
  const answer = await response.json();
  for (const n of answer.nodes) nodes.set(n.node_id, n);
  data.started_at = answer.started_at;
  data.ended_at = answer.ended_at;
  setStatus(answer.status);
  redraw();
}

function flush() {
  timer = null;
  const ids = [...pending];
  pending.clear();
  if (ids.length) fetchNodes(ids);
}

function setStatus(st) {
  status = st;
  const badge = document.getElementById("dispatch-status");
  badge.textContent = st;
  badge.className = "badge " + st;
}

let ticking = null;
if (!data.terminal) {
  const stream = new LiveStream(
    api() + "/events?dispatch_id=" + encodeURIComponent(id),
    () => fetchNodes(null),
    (event) => {
      if (event.dispatch_id !== id) return;
      if (event.kind === "nodes") {
        for (const n of event.nodes) {
          pending.add(n.node_id);
          panel.statusChanged(n.node_id);
        }
        if (!timer) timer = setTimeout(flush, 250);
      } else if (event.kind === "dispatch") {
        setStatus(event.status);
        if (TERMINAL.includes(event.status)) {
          stream.close();
          clearInterval(ticking);
          fetchNodes(null);
        }
      }
    },
    document.getElementById("live"),
  );
  stream.open();
  ticking = setInterval(() => { if (!TERMINAL.includes(status)) place(); }, 1000); // running bars grow
}
window.addEventListener("resize", redraw);
draw();
window.covalentTimeline = { nodes, draw }; // for tests and the curious
