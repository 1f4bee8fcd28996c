// Behaviour every page shares: local times, the API write helper, error texts, copy buttons.

export const api = () => document.body.dataset.api;
export const base = () => document.body.dataset.base;

/** `<time data-ts>` elements show the viewer's local time (the server writes UTC). */
export function localizeTimes(root) {
  for (const el of root.querySelectorAll("time[data-ts]")) {
    const ts = parseFloat(el.dataset.ts);
    if (!isNaN(ts)) {
      const d = new Date(ts * 1000);
      el.dateTime = d.toISOString();
      el.title = d.toISOString();
      el.textContent = d.toLocaleString();
    }
  }
}

export async function errorText(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (e) {
    return response.status + " " + response.statusText;
  }
}

// What the dashboard's buttons send: the server refuses writes without the
// X-Covalent-Client header, so that no other web page can forge them.
export function post(url, method, body) {
  const headers = { "X-Covalent-Client": "covalent-dashboard" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, {
    method: method || "POST",
    credentials: "same-origin",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function getJSON(url) {
  return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
}

async function copy(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea"); // http:// on another host: no clipboard API
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

/** Buttons with `data-copy` copy that text; `data-copy-from` copies another element's text. */
function installCopyButtons() {
  for (const button of document.querySelectorAll("button.copy")) button.hidden = false;
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-copy], button[data-copy-from]");
    if (!button) return;
    const from = button.dataset.copyFrom && document.querySelector(button.dataset.copyFrom);
    const text = button.dataset.copy !== undefined ? button.dataset.copy : from ? from.textContent : "";
    try {
      await copy(text);
      button.classList.add("copied");
      button.title = "Copied";
      setTimeout(function () { button.classList.remove("copied"); button.title = "Copy"; }, 1200);
    } catch (e) {
      button.title = "Could not copy: " + e;
    }
  });
}

export function startPage() {
  document.documentElement.classList.add("js");
  localizeTimes(document);
  installCopyButtons();
}
