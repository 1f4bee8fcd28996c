// Live status colours: every task node's status, and each group's counts, kept current from
// the event stream and painted on whatever drawing is shown (boxes of nodes and of groups).

export const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];
const ORDER = ["NEW_OBJECT", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

/**
 * The one status a box of several nodes shows, by `rules`: the server's list
 * (graphview.AGGREGATE_RULES, in the page's data as `aggregate`), the first that holds.
 * ["any", S]: some member is S; ["all", S]: every member is; ["else", S]: otherwise.
 */
export function aggregate(rules, counts, total) {
  for (const [test, st] of rules) {
    const n = counts[st] || 0;
    if (test === "else" || (n && (test === "any" || n === total))) return st;
  }
  return "NEW_OBJECT";
}

export class StatusBoard {
  constructor(colours, statuses, groups, rules) {
    this.colours = colours;
    this.rules = rules;
    this.status = new Map(); // task node id -> status
    for (const [nid, st] of Object.entries(statuses || {})) this.status.set(parseInt(nid, 10), st);
    this.setGroups(groups || []);
    this.dirtyGroups = new Set();
    this.changed = new Set();
  }

  setGroups(groups) {
    this.groups = groups;
    this.memberOf = new Map();
    this.counts = groups.map(() => ({}));
    groups.forEach((group, i) => {
      for (const nid of group.members) {
        this.memberOf.set(nid, i);
        const st = this.status.get(nid) || "NEW_OBJECT";
        this.counts[i][st] = (this.counts[i][st] || 0) + 1;
      }
    });
  }

  /** Note a node's new status; returns true if it changed. */
  set(nid, st) {
    const old = this.status.get(nid);
    if (old === st) return false;
    this.status.set(nid, st);
    const i = this.memberOf.get(nid);
    if (i !== undefined) {
      const counts = this.counts[i];
      if (old) counts[old] = (counts[old] || 1) - 1;
      else counts.NEW_OBJECT = Math.max(0, (counts.NEW_OBJECT || 0) - 1);
      counts[st] = (counts[st] || 0) + 1;
      this.dirtyGroups.add(i);
    }
    this.changed.add(nid);
    return true;
  }

  /** Paint what changed since the last paint on `boxes` (the viewer's index of the drawing). */
  paint(boxes) {
    for (const nid of this.changed) this.paintNode(boxes.get("n" + nid), this.status.get(nid));
    for (const i of this.dirtyGroups) this.paintGroup(boxes.get("g" + i), i);
    const any = this.changed.size > 0 || this.dirtyGroups.size > 0;
    this.changed.clear();
    this.dirtyGroups.clear();
    return any;
  }

  /** Paint every box of a drawing just attached (its colours may be older than ours). */
  paintAll(boxes) {
    for (const box of boxes.values()) {
      const nid = box.el.dataset.nodeId;
      if (box.key[0] === "n" && box.el.dataset.kind !== "parameter") this.paintNode(box, this.status.get(parseInt(nid, 10)));
      else if (box.key[0] === "g") this.paintGroup(box, parseInt(box.key.slice(1), 10));
    }
  }

  paintNode(box, st) {
    if (!box || !st || box.el.dataset.kind === "parameter") return;
    if (box.el.dataset.status === st) return;
    box.el.dataset.status = st;
    box.rect.setAttribute("fill", this.colours[st] || this.colours.NEW_OBJECT);
  }

  paintGroup(box, i) {
    if (!box) return;
    const g = box.el;
    const counts = this.counts[i];
    const total = this.groups[i].members.length;
    const done = counts.COMPLETED || 0;
    const agg = aggregate(this.rules, counts, total);
    g.dataset.status = agg;
    box.rect.setAttribute("fill", this.colours[agg]);
    g.querySelector("text.counts").textContent = done + "/" + total + " done";
    const bar = g.querySelector("rect.bar");
    const full = parseFloat(bar.previousElementSibling.getAttribute("width"));
    bar.setAttribute("width", (full * done / Math.max(1, total)).toFixed(1));
    g.querySelector("title").textContent = this.groups[i].name + ": " + total + " node(s), " + this.describe(counts);
  }

  describe(counts) {
    return Object.keys(counts).filter(function (k) { return counts[k]; }).sort()
      .map(function (k) { return counts[k] + " " + k.toLowerCase(); }).join(", ");
  }

  /** Task counts by status, in the dashboard's order. */
  totals() {
    const counts = {};
    for (const st of this.status.values()) counts[st] = (counts[st] || 0) + 1;
    return ORDER.filter(function (s) { return counts[s]; }).map(function (s) { return [s, counts[s]]; });
  }
}
