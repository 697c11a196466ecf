import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EndpointRegistry } from "./endpoint-registry.ts";
import type { RegistryConfigError } from "./registry-config-error.ts";
import { smallRegistry } from "./registry-fixture.test-support.ts";
import { type RegistryWatcher, watchRegistry } from "./watch-registry.ts";

/** Resolves with the next value pushed into it, or rejects after a generous time limit. */
function nextValue<T>(): { push: (value: T) => void; next: () => Promise<T> } {
  const queue: T[] = [];
  const waiting: Array<(value: T) => void> = [];
  return {
    push: (value) => {
      const resolve = waiting.shift();
      if (resolve) resolve(value);
      else queue.push(value);
    },
    next: () =>
      new Promise<T>((resolve, reject) => {
        const queued = queue.shift();
        if (queued !== undefined) return resolve(queued);
        const timer = setTimeout(() => reject(new Error("no file event arrived within 10 s")), 10_000);
        waiting.push((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      }),
  };
}

describe("watchRegistry", () => {
  let dir: string;
  let path: string;
  let watcher: RegistryWatcher | undefined;
  const changes = nextValue<EndpointRegistry>();
  const errors = nextValue<RegistryConfigError>();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "carehub-registry-watch-"));
    path = join(dir, "endpoints.yaml");
    await writeFile(path, JSON.stringify(smallRegistry()));
    watcher = await watchRegistry(path, { onChange: changes.push, onError: errors.push, debounceMs: 20 });
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes a changed valid file into use without a restart", async () => {
    expect(watcher?.current().byId("practice-a")?.name).toBe("Practice A");
    const config = smallRegistry();
    if (config.endpoints[0]) config.endpoints[0].name = "Practice A, renamed";
    await writeFile(path, JSON.stringify(config));
    const next = await changes.next();
    expect(next.byId("practice-a")?.name).toBe("Practice A, renamed");
    expect(watcher?.current()).toBe(next);
  });

  it("follows a file replaced by rename, as editors and config mounts do", async () => {
    const config = smallRegistry();
    config.endpoints.pop();
    config.rules = [];
    await writeFile(join(dir, "endpoints.yaml.tmp"), JSON.stringify(config));
    await rename(join(dir, "endpoints.yaml.tmp"), path);
    const next = await changes.next();
    expect(next.byId("databank")).toBeUndefined();
  });

  it("refuses an invalid new file, keeps the old snapshot and reports why", async () => {
    const before = watcher?.current();
    const config = smallRegistry();
    config.rules = [{ id: "broken", when: {}, copyTo: ["nobody"] }];
    await writeFile(path, JSON.stringify(config));
    const error = await errors.next();
    expect(error.problems).toContain("rules[0].copyTo[0]: no endpoint has the id nobody");
    expect(watcher?.current()).toBe(before);
    // A later valid file is still taken.
    await writeFile(path, JSON.stringify(smallRegistry()).replace("Practice A", "Practice A2"));
    expect((await changes.next()).byId("practice-a")?.name).toBe("Practice A2");
  });

  it("reload() reads the file on demand and ignores unchanged content", async () => {
    expect(await watcher?.reload()).toBe(false);
  });
});
