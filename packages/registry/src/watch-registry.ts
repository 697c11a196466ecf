import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { EndpointRegistry, RegistrySource } from "./endpoint-registry.ts";
import { parseRegistryText } from "./load-registry-file.ts";
import { RegistryConfigError } from "./registry-config-error.ts";
import type { SecretSources } from "./signing-secrets.ts";

export interface RegistryWatchOptions {
  /** Called after a changed, valid file replaced the snapshot. */
  onChange?: (next: EndpointRegistry, previous: EndpointRegistry) => void;
  /** Called when a changed file was refused; the previous snapshot stays in use. */
  onError?: (error: RegistryConfigError) => void;
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  debounceMs?: number;
  /** Where webhook signing secrets are read from at each (re)load; default the environment and the files. */
  secretSources?: SecretSources;
}

export interface RegistryWatcher extends RegistrySource {
  /** Reads the file now; resolves true when a new snapshot was taken into use. */
  reload(): Promise<boolean>;
  close(): void;
}

/**
 * Loads a registry file and reloads it whenever it changes, without a restart. An invalid new file is
 * refused whole: the old snapshot stays and `onError` says why. Watches the directory rather than the
 * file, because editors and config mounts replace files by rename, which ends a watch on the file itself.
 */
export async function watchRegistry(path: string, options: RegistryWatchOptions = {}): Promise<RegistryWatcher> {
  const absolute = resolve(path);
  const debounceMs = options.debounceMs ?? 150;
  let lastText = await readText(absolute);
  let current = parseRegistryText(lastText, path, options.secretSources);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<boolean> = Promise.resolve(false);

  const reloadNow = async (): Promise<boolean> => {
    let text: string;
    try {
      text = await readText(absolute);
    } catch (error) {
      options.onError?.(asConfigError(error, path));
      return false;
    }
    if (closed || text === lastText) return false;
    lastText = text;
    try {
      const next = parseRegistryText(text, path, options.secretSources);
      if (next.version === current.version) return false;
      const previous = current;
      current = next;
      options.onChange?.(next, previous);
      return true;
    } catch (error) {
      options.onError?.(asConfigError(error, path));
      return false;
    }
  };
  // Reloads run one after another, so a slow read never overwrites a newer snapshot.
  const reload = (): Promise<boolean> => {
    running = running.then(reloadNow, reloadNow);
    return running;
  };

  const watcher: FSWatcher = watch(dirname(absolute), (_event, filename) => {
    if (filename !== null && filename !== basename(absolute) && !filename.startsWith("..")) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void reload();
    }, debounceMs);
  });
  watcher.on("error", (error) => options.onError?.(asConfigError(error, path)));
  // The watch alone must not keep a process alive that is otherwise done.
  watcher.unref();

  return {
    current: () => current,
    reload,
    close: () => {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}

async function readText(path: string): Promise<string> {
  return readFile(path, "utf8");
}

function asConfigError(error: unknown, source: string): RegistryConfigError {
  if (error instanceof RegistryConfigError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "unknown";
  return new RegistryConfigError(source, [`(file): cannot read it (${code})`], { cause: error });
}
