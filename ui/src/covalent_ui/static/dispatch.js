// covalent dashboard: the dispatch page.  Live status from the server-sent-events
// stream patches node colours in place (no redraw, no polling); clicking a node
// opens its panel; cancel and redispatch buttons.  Hand-written, no libraries.
"use strict";

(function () {
  const api = document.body.dataset.api;
  const base = document.body.dataset.base;
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const id = data.dispatch_id;
  const COLOURS = data.colours;
  const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];
  const graph = document.getElementById("graph");
  const svg = graph.querySelector("svg");
  const panel = document.getElementById("node-panel");
  const status = new Map(); // task node id -> status

  // ---- the drawn graph: find every box once -------------------------------------
  const nodeEls = new Map(); // full view: node id -> <g class="node">
  const groupEls = []; // collapsed view: group index -> <g class="group">
  const memberOf = new Map(); // collapsed view: node id -> group index
  const groupCounts = []; // collapsed view: per group, status -> count
  const dirty = new Set();

  if (data.mode === "full") {
    for (const g of svg.querySelectorAll("g.node")) {
      const nid = parseInt(g.dataset.nodeId, 10);
      nodeEls.set(nid, g);
      if (g.dataset.kind !== "parameter") status.set(nid, g.dataset.status || "NEW_OBJECT");
    }
  } else {
    for (const g of svg.querySelectorAll("g.group")) groupEls[parseInt(g.dataset.group, 10)] = g;
    data.groups.forEach(function (group, i) {
      groupCounts[i] = {};
      for (const nid of group.members) {
        const st = data.statuses[nid] || "NEW_OBJECT";
        memberOf.set(nid, i);
        status.set(nid, st);
        groupCounts[i][st] = (groupCounts[i][st] || 0) + 1;
      }
    });
  }

  function aggregate(counts, total) {
    if (counts.FAILED) return "FAILED";
    if (counts.RUNNING) return "RUNNING";
    if (total && counts.COMPLETED === total) return "COMPLETED";
    if (counts.CANCELLED) return "CANCELLED";
    return "NEW_OBJECT";
  }

  function repaintGroups() {
    for (const i of dirty) {
      const g = groupEls[i];
      if (!g) continue;
      const counts = groupCounts[i];
      const total = data.groups[i].members.length;
      const done = counts.COMPLETED || 0;
      const agg = aggregate(counts, total);
      g.dataset.status = agg;
      g.querySelector("rect.box").setAttribute("fill", COLOURS[agg]);
      g.querySelector("text.counts").textContent = done + "/" + total + " done";
      const bar = g.querySelector("rect.bar");
      const full = parseFloat(bar.previousElementSibling.getAttribute("width"));
      bar.setAttribute("width", (full * done / Math.max(1, total)).toFixed(1));
      const parts = Object.keys(counts).filter(function (k) { return counts[k]; }).sort()
        .map(function (k) { return counts[k] + " " + k.toLowerCase(); });
      g.querySelector("title").textContent = data.groups[i].name + ": " + total + " node(s), " + parts.join(", ");
    }
    dirty.clear();
  }

  function applyStatus(nid, st) {
    const old = status.get(nid);
    if (data.mode === "full") {
      const g = nodeEls.get(nid);
      if (!g || g.dataset.kind === "parameter") return;
      status.set(nid, st);
      if (old === st) return;
      g.dataset.status = st;
      g.querySelector("rect").setAttribute("fill", COLOURS[st] || COLOURS.NEW_OBJECT);
    } else {
      const i = memberOf.get(nid);
      if (i === undefined || old === st) return;
      status.set(nid, st);
      if (old) groupCounts[i][old] -= 1;
      groupCounts[i][st] = (groupCounts[i][st] || 0) + 1;
      dirty.add(i);
    }
    if (panel.dataset.nodeId === String(nid)) openNode(nid);
    else if (panel.dataset.group !== undefined && memberOf.get(nid) === parseInt(panel.dataset.group, 10)) openGroup(memberOf.get(nid));
  }

  const ORDER = ["NEW_OBJECT", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
  function renderCounts() {
    const box = document.getElementById("task-counts");
    if (!box) return;
    const counts = {};
    for (const st of status.values()) counts[st] = (counts[st] || 0) + 1;
    const wrap = el("span", { class: "counts" });
    for (const s of ORDER) {
      if (counts[s]) wrap.appendChild(el("span", { class: "badge " + s, title: s.toLowerCase(), text: counts[s] + " " + (s === "NEW_OBJECT" ? "new" : s.toLowerCase()) }));
    }
    box.replaceChildren(wrap);
  }

  function applyMany(pairs) {
    for (const [nid, st] of pairs) applyStatus(nid, st);
    if (dirty.size) repaintGroups();
    if (pairs.length) renderCounts();
  }

  // ---- header: status badge, progress ---------------------------------------------
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

  function message(text, isError) {
    const box = document.getElementById("action-message");
    box.textContent = text;
    box.classList.toggle("error", !!isError);
    box.classList.remove("hidden");
  }

  async function refreshSummary() {
    const response = await fetch(base + "/dispatches/" + encodeURIComponent(id) + "/summary", { credentials: "same-origin" });
    if (!response.ok) return;
    const summary = document.getElementById("summary");
    summary.innerHTML = await response.text(); // server-rendered, escaped by the template engine
    window.covalentLocalizeTimes(summary);
  }

  // ---- live updates ------------------------------------------------------------------
  let queued = null; // events that arrive while a resync is in flight, replayed after it
  let again = false;

  async function resync() {
    if (queued !== null) { again = true; return; }
    queued = [];
    try {
      const response = await fetch(base + "/dispatches/" + encodeURIComponent(id) + "/statuses", { credentials: "same-origin" });
      if (response.ok) {
        const snap = await response.json();
        applyMany(Object.entries(snap.nodes).map(function (e) { return [parseInt(e[0], 10), e[1]]; }));
        setDispatchStatus(snap.status);
      }
    } finally {
      const replay = queued;
      queued = null;
      for (const event of replay) handle(event);
      if (again) { again = false; resync(); }
    }
  }

  let source = null;

  function handle(event) {
    if (queued !== null) {
      queued.push(event);
      return;
    }
    if (event.dispatch_id !== id) return; // a sublattice's own events
    if (event.kind === "nodes") {
      applyMany(event.nodes.map(function (n) { return [n.node_id, n.status]; }));
      setProgress(event.completed, event.total);
    } else if (event.kind === "dispatch") {
      setDispatchStatus(event.status);
      setProgress(event.completed, event.total);
      if (event.snapshot) resync();
      if (TERMINAL.includes(event.status)) {
        if (source) source.close();
        document.getElementById("live").classList.add("hidden");
        if (!event.snapshot) resync().then(refreshSummary);
        else refreshSummary();
      }
    } else if (event.kind === "deleted") {
      message("This dispatch was deleted.", true);
      if (source) source.close();
    }
  }

  function connect() {
    source = new EventSource(api + "/events?dispatch_id=" + encodeURIComponent(id));
    const onEvent = function (m) { handle(JSON.parse(m.data)); };
    source.onmessage = onEvent; // the opening snapshot
    source.addEventListener("nodes", onEvent);
    source.addEventListener("dispatch", onEvent);
    source.addEventListener("deleted", onEvent);
    source.onopen = function () { document.getElementById("live").classList.remove("hidden"); };
    source.onerror = function () { document.getElementById("live").classList.add("hidden"); };
  }
  if (!data.terminal) connect();

  // ---- the node panel ---------------------------------------------------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }
  const fmtTime = function (ts) { return ts ? new Date(ts * 1000).toLocaleString() : "—"; };
  function fmtDuration(a, b) {
    if (!a) return "—";
    const s = Math.max(0, (b || Date.now() / 1000) - a);
    return (s < 60 ? s.toFixed(2) + " s" : Math.floor(s / 60) + " min " + Math.round(s % 60) + " s") + (b ? "" : " (running)");
  }
  function section(title, text, cls) {
    if (text === null || text === undefined || text === "") return null;
    return el("div", {}, [el("h3", { text: title }), el("pre", { class: cls || "", text: String(text) })]);
  }
  function select(g) {
    for (const s of svg.querySelectorAll("g.selected")) s.classList.remove("selected");
    if (g) g.classList.add("selected");
  }
  function closePanel() {
    panel.classList.add("hidden");
    delete panel.dataset.nodeId;
    delete panel.dataset.group;
    select(null);
  }
  function panelHeader(title, st) {
    const close = el("button", { type: "button", class: "close", "aria-label": "Close", text: "×" });
    close.addEventListener("click", closePanel);
    return el("h2", {}, [el("span", { text: title }), st ? el("span", { class: "badge " + st, text: st }) : null, close]);
  }

  // One row per file transfer (files=): both ends, when, how long, how many tries, why it failed.
  function transfersTable(transfers) {
    const rows = transfers.map(function (t) {
      const moved = t.status === "COMPLETED" ? t.files + " file" + (t.files === 1 ? "" : "s") + ", " + t.bytes + " B" : "";
      return el("tr", { class: "transfer " + t.status }, [
        el("td", { class: "mono", text: t.source + " → " + t.destination }),
        el("td", { text: t.order + " · " + t.strategy }),
        el("td", {}, [el("span", { class: "badge " + t.status, text: t.status })]),
        el("td", { text: fmtDuration(t.start_time, t.end_time || t.start_time) + (t.attempts > 1 ? " · " + t.attempts + " attempts" : "") }),
        el("td", { class: t.error ? "mono error" : "", text: t.error || moved }),
      ]);
    });
    return el("div", {}, [el("h3", { text: "File transfers" }), el("table", { class: "inputs transfers" }, [el("tbody", {}, rows)])]);
  }

  let panelRequest = 0;
  async function openNode(nid) {
    const ticket = ++panelRequest;
    const url = api + "/dispatches/" + encodeURIComponent(id) + "/nodes/" + nid;
    const [nodeResponse, inputsResponse] = await Promise.all([
      fetch(url, { credentials: "same-origin" }),
      fetch(base + "/dispatches/" + encodeURIComponent(id) + "/nodes/" + nid + "/inputs", { credentials: "same-origin" }),
    ]);
    if (ticket !== panelRequest) return; // a later click won
    panel.replaceChildren();
    delete panel.dataset.group;
    panel.dataset.nodeId = String(nid);
    panel.classList.remove("hidden");
    select(nodeEls.get(nid) || svg.querySelector('g[data-node-id="' + nid + '"]'));
    if (!nodeResponse.ok) {
      panel.appendChild(panelHeader("Node " + nid));
      panel.appendChild(el("p", { class: "notice error", text: await window.covalentErrorText(nodeResponse) }));
      return;
    }
    const node = await nodeResponse.json();
    const inputs = inputsResponse.ok ? await inputsResponse.json() : { inputs: [], total: 0 };
    const facts = el("dl", { class: "facts" });
    const add = function (k, v) { facts.appendChild(el("dt", { text: k })); facts.appendChild(el("dd", { text: v })); };
    add("Node id", String(node.node_id));
    add("Kind", node.kind);
    add("Executor", node.executor || "—");
    add("Status", node.status);
    add("Started", fmtTime(node.start_time));
    add("Ended", fmtTime(node.end_time));
    add("Duration", fmtDuration(node.start_time, node.end_time));
    if (node.attempts) add("Attempts", String(node.attempts));
    panel.appendChild(panelHeader(node.name, node.status));
    panel.appendChild(facts);
    if (node.sublattice_dispatch_id) {
      panel.appendChild(el("p", {}, [el("a", { class: "sublattice-link", href: base + "/dispatches/" + node.sublattice_dispatch_id, text: "Open the sublattice's graph →" })]));
    }
    if (inputs.inputs.length) {
      const rows = inputs.inputs.map(function (i) {
        const label = i.param || (i.arg_index !== null && i.arg_index !== undefined ? "arg[" + i.arg_index + "]" : "") || (i.wait ? "(waits for)" : "");
        return el("tr", {}, [
          el("td", { class: "mono", text: label }),
          el("td", { text: i.name + " (" + i.source + ")" }),
          el("td", { class: "mono", text: i.preview !== null ? i.preview : i.status.toLowerCase() }),
        ]);
      });
      panel.appendChild(el("h3", { text: "Inputs" + (inputs.total > inputs.inputs.length ? " (first " + inputs.inputs.length + " of " + inputs.total + ")" : "") }));
      panel.appendChild(el("table", { class: "inputs" }, [el("tbody", {}, rows)]));
    }
    if (node.transfers && node.transfers.length) panel.appendChild(transfersTable(node.transfers));
    const extra = [
      node.status === "COMPLETED" ? section("Output", node.output_preview !== undefined ? node.output_preview : "(no output)", "output") : null,
      section("Stdout", node.stdout, "stdout"),
      section("Stderr", node.stderr, "stderr"),
      section(node.status === "FAILED" ? "Traceback" : "Error", node.error, "error traceback"),
    ];
    for (const part of extra) if (part) panel.appendChild(part);
  }

  function openGroup(i) {
    panelRequest++;
    const group = data.groups[i];
    panel.replaceChildren();
    delete panel.dataset.nodeId;
    panel.dataset.group = String(i);
    panel.classList.remove("hidden");
    select(groupEls[i]);
    panel.appendChild(panelHeader(group.name + " ×" + group.members.length, null));
    const counts = groupCounts[i];
    panel.appendChild(el("p", { text: Object.keys(counts).filter(function (k) { return counts[k]; }).sort().map(function (k) { return counts[k] + " " + k.toLowerCase(); }).join(", ") }));
    const list = el("ul", { class: "member-list" });
    for (const nid of group.members.slice(0, 500)) {
      const st = status.get(nid) || "NEW_OBJECT";
      const link = el("a", { href: "#node-" + nid, "data-open-node": String(nid), text: "node " + nid });
      list.appendChild(el("li", {}, [link, document.createTextNode(" "), el("span", { class: "badge " + st, text: st.toLowerCase() })]));
    }
    panel.appendChild(list);
    if (group.members.length > 500) panel.appendChild(el("p", { class: "muted", text: "First 500 of " + group.members.length + " shown; the full view shows every node." }));
  }

  svg && svg.addEventListener("click", function (event) {
    const g = event.target.closest("g.node, g.group");
    if (!g) return;
    if (g.dataset.nodeId !== undefined) openNode(parseInt(g.dataset.nodeId, 10));
    else openGroup(parseInt(g.dataset.group, 10));
  });
  panel.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-open-node]");
    if (!link) return;
    event.preventDefault();
    openNode(parseInt(link.dataset.openNode, 10));
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closePanel(); });

  // ---- buttons ---------------------------------------------------------------------
  document.getElementById("cancel-button").addEventListener("click", async function () {
    if (!window.confirm("Cancel this dispatch? Running tasks are stopped.")) return;
    this.disabled = true;
    const response = await window.covalentPost(api + "/dispatches/" + encodeURIComponent(id) + "/cancel");
    if (response.ok) message((await response.json()).message, false);
    else { this.disabled = false; message("Cancel failed: " + (await window.covalentErrorText(response)), true); }
  });
  document.getElementById("redispatch-button").addEventListener("click", async function () {
    this.disabled = true;
    const response = await window.covalentPost(base + "/dispatches/" + encodeURIComponent(id) + "/redispatch");
    if (response.ok) window.location.href = (await response.json()).url;
    else { this.disabled = false; message("Redispatch failed: " + (await window.covalentErrorText(response)), true); }
  });
})();
