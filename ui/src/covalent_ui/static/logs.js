// covalent dashboard: the log page opens at its newest lines.
"use strict";
(function () {
  const log = document.getElementById("log");
  if (log) log.scrollTop = log.scrollHeight;
})();
