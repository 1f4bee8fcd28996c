// The side panel: a node's details (drawn by the server: the same HTML as the node's own page),
// kept current while the node runs, with its stdout and stderr live; or a group's members.
import { base } from "../lib/common.js";
import { el } from "../lib/dom.js";
import { localizeTimes } from "../lib/common.js";

const LIVE_POLL_MS = 1000;

export class NodePanel {
  constructor(aside, { dispatchId, board, expand, collapse, onClose }) {
    this.aside = aside;
    this.dispatchId = dispatchId;
    this.board = board;
    this.expand = expand;
    this.collapse = collapse;
    this.onClose = onClose;
    this.ticket = 0;
    this.timer = null;
    aside.addEventListener("click", (event) => {
      if (event.target.closest("button.close")) { this.close(); return; }
      const open = event.target.closest("a[data-open-node]");
      if (open) { event.preventDefault(); this.openNode(parseInt(open.dataset.openNode, 10)); return; }
      const more = event.target.closest("button[data-expand-group]");
      if (more) this.expand(parseInt(more.dataset.expandGroup, 10));
      const less = event.target.closest("button[data-collapse-group]");
      if (less) { this.collapse(parseInt(less.dataset.collapseGroup, 10)); this.close(); }
    });
    document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !event.target.closest("input")) this.close(); });
  }

  nodeUrl(nid) {
    return base() + "/dispatches/" + encodeURIComponent(this.dispatchId) + "/nodes/" + nid;
  }

  async openNode(nid, { quiet = false } = {}) {
    const ticket = ++this.ticket;
    const response = await fetch(this.nodeUrl(nid) + "?fragment=1", { credentials: "same-origin" });
    if (ticket !== this.ticket) return; // a later click won
    const html = await response.text(); // drawn by the server, every text escaped
    const scroll = quiet ? this.aside.scrollTop : 0;
    this.aside.innerHTML = html;
    delete this.aside.dataset.group;
    this.aside.dataset.nodeId = String(nid);
    this.aside.classList.remove("hidden");
    this.aside.scrollTop = scroll;
    localizeTimes(this.aside);
    for (const button of this.aside.querySelectorAll("button.copy")) button.hidden = false;
    this.follow(nid);
  }

  /** While the node runs, its stdout and stderr are read again every second. */
  follow(nid) {
    clearTimeout(this.timer);
    const live = this.aside.querySelector("[data-live-output]");
    if (!live) return;
    const poll = async () => {
      if (this.aside.dataset.nodeId !== String(nid)) return;
      const response = await fetch(live.dataset.liveOutput, { credentials: "same-origin" });
      if (this.aside.dataset.nodeId !== String(nid)) return;
      if (response.ok) {
        const out = await response.json();
        for (const name of ["stdout", "stderr"]) {
          const pre = this.aside.querySelector("pre." + name + "[data-live]");
          if (pre && typeof out[name] === "string" && pre.textContent !== out[name]) {
            const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
            pre.textContent = out[name];
            pre.closest("section").classList.toggle("hidden", out[name] === "");
            if (atEnd) pre.scrollTop = pre.scrollHeight;
          }
        }
        if (!out.live) return; // the node ended: its status event reloads the panel
      }
      this.timer = setTimeout(poll, LIVE_POLL_MS);
    };
    this.timer = setTimeout(poll, 0);
  }

  /** An event said node `nid` changed: show its new state if it is the one open. */
  statusChanged(nid) {
    if (this.aside.dataset.nodeId === String(nid)) this.openNode(nid, { quiet: true });
    else if (this.aside.dataset.group !== undefined && this.board.memberOf.get(nid) === parseInt(this.aside.dataset.group, 10)) {
      this.openGroup(parseInt(this.aside.dataset.group, 10), this.aside.dataset.expanded === "1");
    }
  }

  output() {} // live output arrives by polling (see follow)

  openGroup(i, expanded = false) {
    this.ticket++;
    clearTimeout(this.timer);
    const group = this.board.groups[i];
    const counts = this.board.counts[i];
    this.aside.replaceChildren();
    delete this.aside.dataset.nodeId;
    this.aside.dataset.group = String(i);
    this.aside.dataset.expanded = expanded ? "1" : "0";
    this.aside.classList.remove("hidden");
    const close = el("button", { type: "button", class: "close", "aria-label": "Close", text: "×" });
    this.aside.appendChild(el("h2", {}, [el("span", { text: group.name + " ×" + group.members.length }), close]));
    this.aside.appendChild(el("p", { text: this.board.describe(counts) }));
    this.aside.appendChild(el("p", {}, [expanded
      ? el("button", { type: "button", "data-collapse-group": String(i), text: "Collapse again" })
      : el("button", { type: "button", class: "primary", "data-expand-group": String(i), text: "Expand in place" })]));
    const list = el("ul", { class: "member-list" });
    for (const nid of group.members.slice(0, 500)) {
      const st = this.board.status.get(nid) || "NEW_OBJECT";
      const link = el("a", { href: this.dispatchId ? this.nodeUrl(nid) : "#", "data-open-node": this.dispatchId ? String(nid) : null, text: "node " + nid });
      list.appendChild(el("li", {}, [link, " ", el("span", { class: "badge " + st, text: st.toLowerCase() })]));
    }
    this.aside.appendChild(list);
    if (group.members.length > 500) {
      this.aside.appendChild(el("p", { class: "muted", text: "First 500 of " + group.members.length + " shown; expand the group to see every node." }));
    }
  }

  close() {
    this.ticket++;
    clearTimeout(this.timer);
    this.aside.classList.add("hidden");
    delete this.aside.dataset.nodeId;
    delete this.aside.dataset.group;
    if (this.onClose) this.onClose();
  }
}
