// Pages without behaviour of their own: local times and copy buttons.
import { startPage } from "../lib/common.js";

startPage();
