// The graph viewer: pan and zoom (d3-zoom: wheel, drag, pinch and the buttons), fit to
// screen, a minimap, search by name or id, and keyboard navigation.  The server draws the
// SVG (layout and all); the viewer never moves a box, it only moves the view.
import { select } from "d3-selection";
import { zoom, zoomIdentity } from "d3-zoom";
import "d3-transition";
import { Minimap } from "./minimap.js";

/** Below this scale boxes cannot be read: the first view of a huge graph starts at it instead of fitting. */
const READABLE = 0.3;
const TRANSLATE = /translate\(\s*([-\d.]+)[ ,]+([-\d.]+)\s*\)/;

/** Every drawn box (node or group) of an SVG, by key: element, centre, size. */
export function indexBoxes(svg) {
  const boxes = new Map();
  for (const g of svg.querySelectorAll("g.node, g.group, g.block")) {
    const m = TRANSLATE.exec(g.getAttribute("transform") || "");
    const rect = g.querySelector("rect.box");
    const w = parseFloat(rect.getAttribute("width"));
    const h = parseFloat(rect.getAttribute("height"));
    const x = m ? parseFloat(m[1]) : 0;
    const y = m ? parseFloat(m[2]) : 0;
    boxes.set(g.dataset.key, { key: g.dataset.key, el: g, rect, x: x + w / 2, y: y + h / 2, w, h });
  }
  return boxes;
}

export class GraphViewer {
  constructor(container, hooks) {
    this.container = container;
    this.hooks = hooks || {}; // onOpen(box), onSelect(box), onEscape()
    this.selected = null;
    this.matches = [];
    this.matchAt = -1;
    this.transform = zoomIdentity;
    this.zoom = zoom()
      .scaleExtent([0.01, 4])
      .filter(function (event) { return (!event.ctrlKey || event.type === "wheel") && !event.button; })
      .on("zoom", (event) => {
        this.transform = event.transform;
        this.viewport.setAttribute("transform", event.transform.toString());
        this.minimap.view(event.transform, this.size());
      });
    this.minimap = new Minimap(container.parentElement.querySelector(".minimap"), (x, y) => this.centreOn(x, y, null, 0));
    container.addEventListener("keydown", (event) => this.key(event));
    container.addEventListener("click", (event) => {
      const collapse = event.target.closest("a[data-collapse-group]");
      if (collapse && this.hooks.onCollapse) {
        event.preventDefault();
        this.hooks.onCollapse(parseInt(collapse.dataset.collapseGroup, 10));
        return;
      }
      const g = event.target.closest("g.node, g.group, g.block");
      if (!g || !this.boxes) return;
      event.preventDefault(); // the <a> around a box is for pages without JavaScript
      this.select(g.dataset.key, false);
      if (this.hooks.onOpen) this.hooks.onOpen(this.boxes.get(g.dataset.key));
    });
    window.addEventListener("resize", () => this.minimap.view(this.transform, this.size()));
  }

  /** Show `svg` (already in the container); keep the view, or fit when asked. */
  attach(svg, { fit = true } = {}) {
    this.svg = svg;
    this.width = parseFloat(svg.dataset.width);
    this.height = parseFloat(svg.dataset.height);
    this.direction = svg.dataset.direction || "TB";
    svg.removeAttribute("viewBox");
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");
    this.viewport = svg.querySelector("g.viewport");
    this.boxes = indexBoxes(svg);
    this.index();
    const s = select(svg);
    s.call(this.zoom).on("dblclick.zoom", null);
    this.minimap.draw(this.boxes, this.width, this.height);
    if (fit) this.firstView();
    else s.call(this.zoom.transform, this.transform);
    if (this.selected && !this.boxes.has(this.selected)) this.selected = null;
    if (this.selected) this.boxes.get(this.selected).el.classList.add("selected");
  }

  /** Parents, children and each layer's boxes in order: what the arrow keys walk. */
  index() {
    this.parents = new Map();
    this.children = new Map();
    for (const key of this.boxes.keys()) { this.parents.set(key, []); this.children.set(key, []); }
    for (const path of this.svg.querySelectorAll("path.edge")) {
      const s = path.dataset.source;
      const t = path.dataset.target;
      if (this.children.has(s) && this.parents.has(t)) { this.children.get(s).push(t); this.parents.get(t).push(s); }
    }
    const main = this.direction === "TB" ? "y" : "x";
    const cross = this.direction === "TB" ? "x" : "y";
    this.layers = new Map();
    for (const box of this.boxes.values()) {
      const at = Math.round(box[main]);
      if (!this.layers.has(at)) this.layers.set(at, []);
      this.layers.get(at).push(box);
    }
    for (const row of this.layers.values()) row.sort(function (a, b) { return a[cross] - b[cross]; });
    this.main = main;
    this.cross = cross;
  }

  size() {
    return { width: this.container.clientWidth, height: this.container.clientHeight };
  }

  apply(transform, duration) {
    const s = select(this.svg);
    if (duration) s.transition().duration(duration).call(this.zoom.transform, transform);
    else s.call(this.zoom.transform, transform);
  }

  /** The whole graph in view (never enlarged beyond its drawn size). */
  fit(duration = 250) {
    const { width, height } = this.size();
    if (!width || !height || !this.width) return;
    const k = Math.min(1, 0.95 * Math.min(width / this.width, height / this.height));
    this.zoom.scaleExtent([Math.min(0.01, k / 2), 4]);
    this.apply(zoomIdentity.translate((width - k * this.width) / 2, (height - k * this.height) / 2).scale(k), duration);
  }

  /** The first view: the whole graph if it can be read that way, else its start at a readable scale. */
  firstView() {
    const { width, height } = this.size();
    if (!width || !height || !this.width) return;
    const k = Math.min(1, 0.95 * Math.min(width / this.width, height / this.height));
    if (k >= READABLE) { this.fit(0); return; }
    this.zoom.scaleExtent([Math.min(0.01, k / 2), 4]);
    const s = READABLE;
    // centred across the layers; along them, from the first layer if it does not all fit
    const tx = this.direction === "TB" || s * this.width <= width ? (width - s * this.width) / 2 : 0;
    const ty = this.direction !== "TB" || s * this.height <= height ? (height - s * this.height) / 2 : 0;
    this.apply(zoomIdentity.translate(tx, ty).scale(s), 0);
  }

  zoomBy(factor) {
    select(this.svg).transition().duration(150).call(this.zoom.scaleBy, factor);
  }

  actualSize() {
    this.centreOn(...this.viewCentre(), 1, 150);
  }

  viewCentre() {
    const { width, height } = this.size();
    return this.transform.invert([width / 2, height / 2]);
  }

  /** Put content point (x, y) at the centre of the view, at scale `k` (the current one if null). */
  centreOn(x, y, k, duration = 250) {
    const { width, height } = this.size();
    const scale = k || this.transform.k;
    this.apply(zoomIdentity.translate(width / 2 - scale * x, height / 2 - scale * y).scale(scale), duration);
  }

  /** Bring a box into view: centred, at a scale where it can be read. */
  reveal(key, duration = 250) {
    const box = this.boxes.get(key);
    if (!box) return;
    this.centreOn(box.x, box.y, Math.max(this.transform.k, 0.8), duration);
  }

  /** Where a box's centre is on the screen (container pixels). */
  onScreen(key) {
    const box = this.boxes.get(key);
    return box ? this.transform.apply([box.x, box.y]) : null;
  }

  select(key, reveal = true) {
    for (const s of this.svg.querySelectorAll(".selected")) s.classList.remove("selected");
    this.selected = key;
    const box = key && this.boxes.get(key);
    if (!box) return;
    box.el.classList.add("selected");
    if (reveal) this.reveal(key);
    if (this.hooks.onSelect) this.hooks.onSelect(box);
  }

  // -- keyboard: arrows walk the graph, Enter opens, +/- zoom, 0 fits, / searches ------------
  neighbour(key, step) {
    const box = this.boxes.get(key);
    const along = step === "next" || step === "prev";
    if (along) {
      const row = this.layers.get(Math.round(box[this.main]));
      const i = row.indexOf(box) + (step === "next" ? 1 : -1);
      return row[i] ? row[i].key : null;
    }
    let candidates = (step === "down" ? this.children : this.parents).get(key);
    if (!candidates.length) {
      // no edge that way (a cell of an expanded group): the nearest box of the next row
      const rows = [...this.layers.keys()].sort((a, b) => a - b);
      const at = rows.indexOf(Math.round(box[this.main])) + (step === "down" ? 1 : -1);
      if (at < 0 || at >= rows.length) return null;
      candidates = this.layers.get(rows[at]).map((b) => b.key);
    }
    let best = null;
    for (const k of candidates) {
      const other = this.boxes.get(k);
      const d = Math.abs(other[this.cross] - box[this.cross]);
      if (best === null || d < best.d) best = { k, d };
    }
    return best.k;
  }

  key(event) {
    if (event.target.closest("input, textarea, select")) return;
    const TB = this.direction === "TB";
    const steps = TB
      ? { ArrowDown: "down", ArrowUp: "up", ArrowRight: "next", ArrowLeft: "prev" }
      : { ArrowRight: "down", ArrowLeft: "up", ArrowDown: "next", ArrowUp: "prev" };
    if (steps[event.key]) {
      event.preventDefault();
      if (!this.selected) {
        const first = this.layers.get(Math.min(...this.layers.keys()));
        this.select(first[0].key);
        return;
      }
      const next = this.neighbour(this.selected, steps[event.key]);
      if (next) this.select(next);
    } else if (event.key === "Enter" && this.selected) {
      event.preventDefault();
      if (this.hooks.onOpen) this.hooks.onOpen(this.boxes.get(this.selected));
    } else if (event.key === "+" || event.key === "=") {
      this.zoomBy(1.25);
    } else if (event.key === "-" || event.key === "_") {
      this.zoomBy(0.8);
    } else if (event.key === "0") {
      this.fit();
    } else if (event.key === "1") {
      this.actualSize();
    } else if (event.key === "/") {
      const search = document.getElementById("graph-search");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "Escape") {
      this.select(null, false);
      if (this.hooks.onEscape) this.hooks.onEscape();
    }
  }

  // -- search by name or id ------------------------------------------------------------------
  /** Mark the boxes matching `query`; returns how many.  `memberOf(id)` finds a collapsed node's group. */
  search(query, memberOf) {
    for (const m of this.svg.querySelectorAll(".match")) m.classList.remove("match");
    this.matches = [];
    this.matchAt = -1;
    this.hidden = null;
    const q = query.trim().toLowerCase().replace(/^#/, "");
    this.svg.classList.toggle("searching", q !== "");
    if (!q) return 0;
    const id = /^\d+$/.test(q) ? q : null;
    for (const box of this.boxes.values()) {
      const name = (box.el.dataset.name || "").toLowerCase().replace(/^:parameter:/, "");
      if (name.includes(q) || (id !== null && box.el.dataset.nodeId === id)) {
        box.el.classList.add("match");
        this.matches.push(box.key);
      }
    }
    if (id !== null && !this.boxes.has("n" + id) && memberOf) {
      const group = memberOf(parseInt(id, 10)); // a node drawn inside a collapsed group
      if (group !== undefined && this.boxes.has("g" + group)) {
        this.hidden = { node: parseInt(id, 10), group };
        this.boxes.get("g" + group).el.classList.add("match");
        if (!this.matches.includes("g" + group)) this.matches.unshift("g" + group);
      }
    }
    return this.matches.length;
  }

  /** Select the next (or previous) match and bring it into view; its position (1-based). */
  nextMatch(backwards) {
    if (!this.matches.length) return 0;
    const n = this.matches.length;
    this.matchAt = (this.matchAt + (backwards ? n - 1 : 1)) % n;
    this.select(this.matches[this.matchAt]);
    return this.matchAt + 1;
  }
}
