// The log page: opens at its newest lines; the search box filters lines as you type.
import { startPage } from "../lib/common.js";

startPage();
const log = document.getElementById("log");
if (log) log.scrollTop = log.scrollHeight;
