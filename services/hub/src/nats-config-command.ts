import { readFile, rename, writeFile } from "node:fs/promises";
import { BusNameError, connectHubBus, topology } from "@carehub/bus";
import {
  type EndpointRegistry,
  isNatsAuthorizationError,
  isRegistryConfigError,
  loadRegistryFile,
  natsAuthorization,
} from "@carehub/registry";
import type { HubConfig } from "@carehub/schemas";
import bcrypt from "bcryptjs";
import { ensureInboxConsumers, type InboxConsumersReport } from "./inbox-consumers.ts";

export interface NatsConfigCommand {
  /** Default: the hub's namespace (CAREHUB_NAMESPACE). */
  namespace?: string;
  /** Default: standard output. */
  out?: string;
  /**
   * Also connect to NATS as the hub and make each NATS-delivery endpoint's inbox durable a pull consumer
   * before anything is written (`ensureInboxConsumers`).
   */
  createInboxConsumers?: boolean;
}

export interface NatsConfigIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** bcrypt's work factor for the hub's password (nats-server checks it once per connection). */
const BCRYPT_COST = 11;
// bcrypt reads at most 72 bytes of a password: a longer one would silently lose its tail.
const BCRYPT_MAX_BYTES = 72;

/**
 * `carehub nats-config`: writes the nats-server authorization block for this hub from its registry — the
 * hub's own user (NATS_USER, a bcrypt hash of NATS_PASS) and one nkey user per endpoint with
 * `auth.natsNkey`. With `--out`, an existing file's hash is kept when it still matches NATS_PASS, so running
 * it again after a registry change only changes what changed; the file is replaced atomically, mode 0600.
 * With `createInboxConsumers`, the endpoints' inbox durables are made pull consumers first (as the hub).
 * Exit codes: 0 written, 1 the registry cannot be made safe, 2 a usage or configuration problem.
 */
export async function runNatsConfigCommand(
  command: NatsConfigCommand,
  config: HubConfig,
  io: NatsConfigIo,
): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr.write(`carehub nats-config: ${message}\n`);
    return code;
  };
  const { natsUser, natsPass } = config;
  if (natsUser === undefined || natsPass === undefined) {
    return fail(2, "set NATS_USER and NATS_PASS: the hub's services connect with them, the file lets them in");
  }
  if (Buffer.byteLength(natsPass, "utf8") > BCRYPT_MAX_BYTES) {
    return fail(2, `NATS_PASS is longer than ${BCRYPT_MAX_BYTES} bytes, of which bcrypt would use only the first`);
  }
  let names: ReturnType<typeof topology>;
  try {
    names = topology(command.namespace ?? config.namespace);
  } catch (error) {
    if (error instanceof BusNameError) return fail(2, error.message);
    throw error;
  }
  let registry: EndpointRegistry;
  try {
    registry = await loadRegistryFile(config.registryPath);
  } catch (error) {
    if (isRegistryConfigError(error)) return fail(1, `${error.code}: ${error.message}`);
    throw error;
  }
  const previous = command.out === undefined ? undefined : await readIfExists(command.out);
  const passwordBcrypt = (await matchingHash(previous, natsPass)) ?? (await bcrypt.hash(natsPass, BCRYPT_COST));
  let text: string;
  try {
    text = natsAuthorization(registry, { topology: names, hubUser: { user: natsUser, passwordBcrypt } });
  } catch (error) {
    if (isNatsAuthorizationError(error)) return fail(1, `${error.code}: ${error.message}`);
    throw error;
  }
  if (command.createInboxConsumers === true) {
    const bus = await connectHubBus({ ...config, namespace: names.namespace }, { name: "carehub-nats-config" });
    let report: InboxConsumersReport;
    try {
      report = await ensureInboxConsumers(bus, registry);
    } finally {
      await bus.drain();
    }
    if (report.problems.length > 0) return fail(1, `inbox consumers:\n  ${report.problems.join("\n  ")}`);
    io.stderr.write(
      `inbox consumers: created ${report.created.join(", ") || "none"}; present ${report.present.join(", ") || "none"}\n`,
    );
  }
  if (command.out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  const temporary = `${command.out}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, command.out);
  const users = registry.endpoints().filter((endpoint) => endpoint.auth.natsNkey !== undefined).length;
  io.stdout.write(
    `wrote ${command.out}: the hub user ${natsUser} and ${users} endpoint user(s), namespace ${names.namespace}, ` +
      `registry version ${registry.version}; reload nats-server (nats-server --signal reload) to apply\n`,
  );
  return 0;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The hub password hash of an earlier file, when it still matches the password. */
async function matchingHash(previous: string | undefined, password: string): Promise<string | undefined> {
  const hash = previous === undefined ? undefined : /^\s*password: "(\$2[aby]\$[^"]+)"$/m.exec(previous)?.[1];
  if (hash === undefined) return undefined;
  return (await bcrypt.compare(password, hash)) ? hash : undefined;
}
