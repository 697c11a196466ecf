// `pnpm test:browser`: the console's browser suites (test/browser, vitest.browser.config.ts) in Debian's Chromium.
// Installs Chromium with apt-get when it is missing and this runs as root; otherwise says how.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's Chromium; the browser suites launch it through playwright-core (handed down as CAREHUB_CHROMIUM). */
const CHROMIUM = "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`test:browser: ${CHROMIUM} is missing; install it with: sudo apt-get install -y chromium\n`);
    process.exit(2);
  }
  process.stderr.write("test:browser: installing Debian's chromium (apt-get install -y chromium)\n");
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    const run = spawnSync("apt-get", args, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

const run = spawnSync(
  "pnpm",
  ["exec", "vitest", "run", "--config", "vitest.browser.config.ts", ...process.argv.slice(2)],
  { stdio: "inherit", env: { ...process.env, CAREHUB_CHROMIUM: CHROMIUM } },
);
process.exit(run.status ?? 1);
