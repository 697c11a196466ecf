import type { Endpoint } from "@carehub/schemas";
import type { EndpointRegistry } from "./endpoint-registry.ts";
import { NatsAuthorizationError } from "./nats-authorization-error.ts";

/**
 * The names the authorization needs. `topology(namespace)` from `@carehub/bus` is one: the bus spells every
 * stream and subject (docs/contracts.md), this module only grants them.
 */
export interface NatsAuthorizationTopology {
  readonly namespace: string;
  readonly streams: { readonly inbox: string };
  readonly subjects: {
    ingress(endpointId: string): string;
    inbox(endpointId: string): string;
    status(endpointId: string): string;
  };
}

/** The NATS user the hub's own services connect as (`NATS_USER` / `NATS_PASS`). */
export interface HubNatsUser {
  user: string;
  /** bcrypt hash of the hub's password (`$2a$`/`$2b$`…): nats-server compares with bcrypt, the file holds no password. */
  passwordBcrypt: string;
}

export interface NatsAuthorizationOptions {
  topology: NatsAuthorizationTopology;
  hubUser: HubNatsUser;
}

/** What one NATS user may do: the subjects it may publish to and subscribe to. */
export interface NatsPermissions {
  publish: readonly string[];
  subscribe: readonly string[];
}

/**
 * The durable consumer an endpoint reads its inbox with: the `@carehub/client` SDK's default
 * (`consumeInbox`), and the only consumer name the endpoint may create or read.
 */
export function endpointInboxDurable(endpointId: string): string {
  return `sdk-${endpointId}`;
}

/**
 * The reply-subject prefix an endpoint connects with (NATS option `inboxPrefix`; the SDK sets it). Replies
 * and pulled messages travel on reply subjects: with the default `_INBOX` shared by everyone, any endpoint
 * allowed `_INBOX.>` could read what another endpoint pulls from its inbox.
 */
export function endpointReplyPrefix(endpointId: string): string {
  return `_INBOX_${endpointId}`;
}

/**
 * Everything an endpoint with NATS credentials may do, and nothing more: publish to its own ingress subject;
 * if the hub delivers to it over NATS, create and read its own durable pull consumer on its own inbox subject
 * and ack that consumer's messages; receive replies on its own reply prefix and status announcements on its
 * own status subject. The consumer-create subject carries the filter subject, and nats-server (2.9+) refuses
 * a request whose body filters anything else, so the endpoint cannot point its consumer at another inbox.
 */
export function endpointNatsPermissions(topology: NatsAuthorizationTopology, endpoint: Endpoint): NatsPermissions {
  const publish = [topology.subjects.ingress(endpoint.id)];
  if (endpoint.delivery.mode === "nats") {
    const stream = topology.streams.inbox;
    const durable = endpointInboxDurable(endpoint.id);
    publish.push(
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.${topology.subjects.inbox(endpoint.id)}`,
      `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
    );
  }
  return {
    publish,
    subscribe: [`${endpointReplyPrefix(endpoint.id)}.>`, topology.subjects.status(endpoint.id)],
  };
}

/** The hub's services: everything in the hub's namespace, the JetStream API, and request replies. */
export function hubNatsPermissions(topology: NatsAuthorizationTopology): NatsPermissions {
  const all = [`${topology.namespace}.>`, "$JS.>", "_INBOX.>"];
  return { publish: all, subscribe: all };
}

const HUB_USER = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * The nats-server (2.9.10 and later) `authorization { users = [...] }` block for a hub: the hub's user with
 * full access to its namespace, and one nkey user per endpoint that has `auth.natsNkey`, allowed only to send
 * as itself and read its own inbox (docs/decisions/0009-nats-endpoint-credentials.md). Pure: the same registry
 * and options give the same text. Throws NatsAuthorizationError listing every problem.
 */
export function natsAuthorization(registry: EndpointRegistry, options: NatsAuthorizationOptions): string {
  const { topology, hubUser } = options;
  const problems = natsAuthorizationProblems(registry, options);
  if (problems.length > 0) throw new NatsAuthorizationError(problems);
  const entries = [
    userEntry(
      `the hub's services (NATS_USER ${hubUser.user}): everything in namespace ${topology.namespace}`,
      [`user: ${quote(hubUser.user)}`, `password: ${quote(hubUser.passwordBcrypt)}`],
      hubNatsPermissions(topology),
    ),
  ];
  for (const endpoint of registry.endpoints()) {
    const nkey = endpoint.auth.natsNkey;
    if (nkey === undefined) continue;
    const reads = endpoint.delivery.mode === "nats" ? ", reads its own inbox" : "";
    entries.push(
      userEntry(
        `endpoint ${endpoint.id}: publishes to its own ingress subject${reads}`,
        [`nkey: ${quote(nkey)}`],
        endpointNatsPermissions(topology, endpoint),
      ),
    );
  }
  return [
    `# carehub NATS authorization for namespace ${topology.namespace}, registry version ${registry.version}.`,
    "# Written by `carehub nats-config` from the endpoint registry: regenerate after every registry change,",
    "# do not edit. Include it from the nats-server configuration: include ./carehub-auth.conf",
    "authorization {",
    "  users = [",
    ...entries,
    "  ]",
    "}",
    "",
  ].join("\n");
}

function natsAuthorizationProblems(registry: EndpointRegistry, { topology, hubUser }: NatsAuthorizationOptions) {
  const problems: string[] = [];
  if (!HUB_USER.test(hubUser.user)) {
    problems.push("hub user: a NATS user name is letters, digits and _ . @ - (at most 128)");
  }
  if (!BCRYPT.test(hubUser.passwordBcrypt)) {
    problems.push("hub user: the password must be a bcrypt hash ($2a$/$2b$…), never the password itself");
  }
  for (const endpoint of registry.endpoints()) {
    const { natsNkey, natsUser } = endpoint.auth;
    if (natsNkey === undefined) {
      if (natsUser !== undefined) {
        problems.push(`endpoint ${endpoint.id}: natsUser is set but auth.natsNkey is not; NATS access needs the key`);
      }
      continue;
    }
    const own = topology.subjects.inbox(endpoint.id);
    if (
      endpoint.delivery.mode === "nats" &&
      endpoint.delivery.subject !== undefined &&
      endpoint.delivery.subject !== own
    ) {
      problems.push(
        `endpoint ${endpoint.id}: delivery.subject ${endpoint.delivery.subject} is not its own inbox ${own}; ` +
          "an endpoint with NATS credentials reads only its own inbox subject",
      );
    }
  }
  return problems;
}

function userEntry(comment: string, credentials: readonly string[], permissions: NatsPermissions): string {
  return [
    `    # ${comment}`,
    "    {",
    ...credentials.map((line) => `      ${line}`),
    "      permissions: {",
    `        publish: { allow: ${list(permissions.publish)} }`,
    `        subscribe: { allow: ${list(permissions.subscribe)} }`,
    "      }",
    "    }",
  ].join("\n");
}

function list(subjects: readonly string[]): string {
  return `[${subjects.map(quote).join(", ")}]`;
}

// Every value written is checked above or built from registry ids and namespace (letters, digits, dashes)
// and bcrypt / nkey alphabets, so a double-quoted string needs no escapes; quoting keeps `$` literal.
function quote(value: string): string {
  return `"${value}"`;
}
