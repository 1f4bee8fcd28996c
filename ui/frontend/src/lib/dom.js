// Small DOM and formatting helpers shared by the dashboard's pages.

/** An element with attributes (`text` sets its text) and children. */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children || []) if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return node;
}

/** `0.42 s`, `12.3 s`, `4 min 05 s`, `2 h 03 min` (as the server's templates write them). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 10) return s.toFixed(2) + " s";
  if (s < 60) return s.toFixed(1) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + String(Math.floor(s % 60)).padStart(2, "0") + " s";
  return Math.floor(s / 3600) + " h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + " min";
}

export function localTime(ts) {
  return ts ? new Date(ts * 1000).toLocaleString() : "—";
}

/** Run `fn` at most once per animation frame, however often it is asked for. */
export function perFrame(fn) {
  let queued = false;
  return function () {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; fn(); });
  };
}
