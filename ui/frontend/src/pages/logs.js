// The log page: opens at its newest lines; typing in the search box filters the lines shown
// (matches marked), Enter searches the whole log on the server.
import { startPage } from "../lib/common.js";

startPage();
const log = document.getElementById("log");
const search = document.getElementById("log-search");
const note = document.getElementById("log-filtered");

if (log) {
  const lines = log.textContent.replace(/\n$/, "").split("\n");
  const initial = new URLSearchParams(location.search).get("q") || "";

  function show(query) {
    const q = query.toLowerCase();
    const out = document.createDocumentFragment();
    let shown = 0;
    for (const line of lines) {
      if (q && !line.toLowerCase().includes(q)) continue;
      shown += 1;
      const row = document.createElement("span");
      row.className = "line";
      if (q) {
        let at = 0;
        const lower = line.toLowerCase();
        for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, at)) {
          row.appendChild(document.createTextNode(line.slice(at, i)));
          const mark = document.createElement("mark");
          mark.textContent = line.slice(i, i + q.length);
          row.appendChild(mark);
          at = i + q.length;
        }
        row.appendChild(document.createTextNode(line.slice(at)));
      } else {
        row.textContent = line;
      }
      out.appendChild(row);
      out.appendChild(document.createTextNode("\n"));
    }
    log.replaceChildren(out);
    note.classList.toggle("hidden", !q || q === initial.toLowerCase());
    note.textContent = shown + " of the " + lines.length + " lines shown contain “" + query + "” (Enter searches the whole log).";
  }

  if (initial) show(initial);
  if (search) search.addEventListener("input", () => show(search.value));
  log.scrollTop = log.scrollHeight;
}
