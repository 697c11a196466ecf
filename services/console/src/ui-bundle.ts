import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The web application as served: one page, one script, one stylesheet. */
export interface UiBundle {
  html: string;
  script: string;
  styles: string;
}

const WEB = new URL("../web/", import.meta.url);

/** Builds of this module under way: esbuild's process is stopped when the last one ends. */
let building = 0;

/**
 * Bundles the web application (web/main.tsx with Preact and uPlot) in memory when the console starts, so no
 * built file is committed or can go stale (docs/decisions/0041). Takes well under a second.
 *
 * esbuild builds in a child process of its own that it keeps for later builds, about 21 MB of RSS for the life of
 * every console (and all-in-one) process, which builds once: it is stopped once no build of this module is under
 * way (docs/decisions/0121). A later build starts it again.
 */
export async function buildUiBundle(): Promise<UiBundle> {
  // Loaded here, not at the top: a bundle of the hub without the console (the packed @carehub/testkit-hub,
  // decision 0071) then runs without esbuild installed.
  const { build, stop } = await import("esbuild");
  building += 1;
  let script: string | undefined;
  try {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("main.tsx", WEB))],
      bundle: true,
      write: false,
      minify: true,
      format: "esm",
      target: "es2022",
      jsx: "automatic",
      jsxImportSource: "preact",
      legalComments: "none",
      logLevel: "silent",
    });
    script = result.outputFiles[0]?.text;
  } finally {
    building -= 1;
    if (building === 0) await stop();
  }
  if (script === undefined) throw new Error("esbuild produced no console script");
  const require = createRequire(import.meta.url);
  const [html, own, chart] = await Promise.all([
    readFile(new URL("index.html", WEB), "utf8"),
    readFile(new URL("console.css", WEB), "utf8"),
    readFile(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
  ]);
  return { html, script, styles: `${chart}\n${own}` };
}
