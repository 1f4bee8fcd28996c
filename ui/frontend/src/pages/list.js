// The dispatch list: delete an ended dispatch (with confirmation).
import { startPage, errorText, post, api } from "../lib/common.js";

startPage();

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
  if (!window.confirm('Delete dispatch "' + button.dataset.name + '" (' + id + ") and its results? This cannot be undone.")) return;
  button.disabled = true;
  const response = await post(api() + "/dispatches/" + encodeURIComponent(id), "DELETE");
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
