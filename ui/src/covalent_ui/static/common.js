// covalent dashboard: shared behaviour (local times, delete from the list). No libraries.
"use strict";

(function () {
  const body = document.body;
  const api = body.dataset.api;

  function localizeTimes(root) {
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
  window.covalentLocalizeTimes = localizeTimes;
  localizeTimes(document);

  async function errorText(response) {
    try {
      const body = await response.json();
      return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (e) {
      return response.status + " " + response.statusText;
    }
  }
  window.covalentErrorText = errorText;

  // What the dashboard's buttons send: the server refuses writes without the
  // X-Covalent-Client header, so that no other web page can forge them.
  function post(url, method) {
    return fetch(url, { method: method || "POST", credentials: "same-origin", headers: { "X-Covalent-Client": "covalent-dashboard" } });
  }
  window.covalentPost = post;

  function show(message, isError) {
    const box = document.getElementById("list-message");
    if (!box) return;
    box.textContent = message;
    box.classList.toggle("error", !!isError);
    box.classList.remove("hidden");
  }

  document.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-delete]");
    if (!button) return;
    const id = button.dataset.delete;
    if (!window.confirm('Delete dispatch "' + button.dataset.name + '" (' + id + ') and its results? This cannot be undone.')) return;
    button.disabled = true;
    const response = await post(api + "/dispatches/" + encodeURIComponent(id), "DELETE");
    if (response.ok) {
      const row = button.closest("tr");
      if (row) row.remove();
      const total = document.getElementById("total");
      const n = total ? parseInt(total.textContent.replace(/\D/g, ""), 10) : NaN;
      if (total && !isNaN(n)) total.textContent = "(" + Math.max(0, n - 1) + ")";
      show("Deleted " + id + ".", false);
    } else {
      button.disabled = false;
      show("Could not delete " + id + ": " + (await errorText(response)), true);
    }
  });
})();
