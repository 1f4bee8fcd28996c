// The minimap: the whole graph in a small canvas (boxes in their status colours) and the
// part in view as a rectangle; click or drag on it to move the view there.

export class Minimap {
  constructor(host, moveTo) {
    this.host = host;
    this.moveTo = moveTo;
    if (!host) return;
    this.canvas = host.querySelector("canvas");
    this.frame = host.querySelector(".view");
    const go = (event) => {
      if (!this.scale) return;
      const r = this.canvas.getBoundingClientRect();
      this.moveTo((event.clientX - r.left - this.dx) / this.scale, (event.clientY - r.top - this.dy) / this.scale);
    };
    let dragging = false;
    this.canvas.addEventListener("pointerdown", (event) => {
      dragging = true;
      this.canvas.setPointerCapture(event.pointerId);
      go(event);
    });
    this.canvas.addEventListener("pointermove", (event) => { if (dragging) go(event); });
    this.canvas.addEventListener("pointerup", () => { dragging = false; });
  }

  /** Draw every box (call again when colours change). */
  draw(boxes, width, height) {
    if (!this.host) return;
    this.boxes = boxes || this.boxes;
    this.width = width || this.width;
    this.height = height || this.height;
    const ratio = window.devicePixelRatio || 1;
    const cw = this.host.clientWidth;
    const ch = this.host.clientHeight;
    this.canvas.width = cw * ratio;
    this.canvas.height = ch * ratio;
    this.canvas.style.width = cw + "px";
    this.canvas.style.height = ch + "px";
    this.scale = Math.min(cw / this.width, ch / this.height);
    this.dx = (cw - this.width * this.scale) / 2;
    this.dy = (ch - this.height * this.scale) / 2;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    for (const box of this.boxes.values()) {
      ctx.fillStyle = box.rect.getAttribute("fill") || "#9aa5b1";
      const w = Math.max(1, box.w * this.scale);
      const h = Math.max(1, box.h * this.scale);
      ctx.fillRect(this.dx + (box.x - box.w / 2) * this.scale, this.dy + (box.y - box.h / 2) * this.scale, w, h);
    }
    if (this.lastView) this.view(...this.lastView);
  }

  /** Show where the main view is (its zoom transform and pixel size). */
  view(transform, size) {
    if (!this.host || !this.scale) return;
    this.lastView = [transform, size];
    const [x0, y0] = transform.invert([0, 0]);
    const [x1, y1] = transform.invert([size.width, size.height]);
    const s = this.frame.style;
    s.left = this.dx + x0 * this.scale + "px";
    s.top = this.dy + y0 * this.scale + "px";
    s.width = Math.max(2, (x1 - x0) * this.scale) + "px";
    s.height = Math.max(2, (y1 - y0) * this.scale) + "px";
  }
}
