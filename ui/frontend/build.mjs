// Bundle the dashboard's browser code into ../src/covalent_ui/static/dist/ (one file per page).
// Run by `npm run build`; bundle.py (called by scripts/setup.sh and ui/hatch_build.py) runs
// `npm ci` and this when the sources changed, and stamps the result.
// Deterministic: the same sources and lockfile give the same bytes.
import { build } from "esbuild";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "covalent_ui", "static", "dist");
const PAGES = ["base", "dispatch", "list", "logs", "timeline"];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: Object.fromEntries(PAGES.map((page) => [page, join(here, "src", "pages", page + ".js")])),
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});
for (const [file, info] of Object.entries(result.metafile.outputs)) {
  console.log(`${relative(here, file)}  ${(info.bytes / 1024).toFixed(1)} kB`);
}
