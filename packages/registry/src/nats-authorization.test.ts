import type { RegistryConfigInput } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { EndpointRegistry } from "./endpoint-registry.ts";
import { endpointNatsPermissions, type NatsAuthorizationTopology, natsAuthorization } from "./nats-authorization.ts";
import { NatsAuthorizationError, REGISTRY_NATS_AUTHORIZATION } from "./nats-authorization-error.ts";
import { smallRegistry } from "./registry-fixture.test-support.ts";

// The names as @carehub/bus `topology("ns")` spells them (the integration test in services/hub uses the
// real topology against a real nats-server).
const topology: NatsAuthorizationTopology = {
  namespace: "ns",
  streams: { inbox: "NS_INBOX" },
  subjects: {
    ingress: (id) => `ns.ingress.${id}`,
    inbox: (id) => `ns.inbox.${id}`,
    status: (id) => `ns.status.${id}`,
  },
};
// Public keys only (what the registry holds); made with @nats-io/nkeys createUser().
const ACUTE_KEY = "UB27MIDC2I4TU4XBWIOMZCAV5PJJ6726V3Z5F5PA265A45XSBG7AJH5F";
const PRACTICE_KEY = "UARU7QSQ35J3DFEHRPCEUC4E26I4VPHPQ7QDT2YOQTU7GY5VN4HKZBQI";
const hubUser = {
  user: "carehub-hub",
  passwordBcrypt: "$2b$10$abcdefghijklmnopqrstuu7XaQw1dCQe0gYEKPeG1.jkkUKk3hdAm",
};

function registryWithKeys(edit: (config: RegistryConfigInput) => void = () => {}): EndpointRegistry {
  const config = smallRegistry();
  const [practice, acuteTeam] = config.endpoints;
  if (!practice || !acuteTeam) throw new Error("fixture");
  practice.auth.natsNkey = PRACTICE_KEY; // webhook delivery: sends on NATS only
  acuteTeam.auth.natsNkey = ACUTE_KEY; // NATS delivery: sends and reads its inbox
  edit(config);
  return EndpointRegistry.from(config);
}

/** The user entries of the generated block, each as its lines, keyed by nkey or user name. */
function entries(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const block of text.split(/\n {4}# /).slice(1)) {
    const key = /(?:nkey|user): "([^"]+)"/.exec(block)?.[1];
    if (key !== undefined) blocks.set(key, block);
  }
  return blocks;
}

describe("natsAuthorization", () => {
  it("writes an authorization block: the hub user and one nkey user per endpoint with a key", () => {
    const text = natsAuthorization(registryWithKeys(), { topology, hubUser });
    expect(text).toMatch(/^# carehub NATS authorization for namespace ns, registry version [0-9a-f]{12}\./);
    expect(text).toContain("authorization {\n  users = [\n");
    expect([...entries(text).keys()]).toEqual(["carehub-hub", PRACTICE_KEY, ACUTE_KEY]);
    // The databank has no key: no user, so it cannot connect at all.
    expect(text).not.toContain("endpoint databank");
  });

  it("lets an endpoint that receives over NATS publish only as itself and read only its own inbox", () => {
    const block = entries(natsAuthorization(registryWithKeys(), { topology, hubUser })).get(ACUTE_KEY);
    expect(block).toContain(
      'publish: { allow: ["ns.ingress.acute-team", ' +
        '"$JS.API.CONSUMER.CREATE.NS_INBOX.sdk-acute-team.ns.inbox.acute-team", ' +
        '"$JS.API.CONSUMER.INFO.NS_INBOX.sdk-acute-team", ' +
        '"$JS.API.CONSUMER.MSG.NEXT.NS_INBOX.sdk-acute-team", ' +
        '"$JS.ACK.NS_INBOX.sdk-acute-team.>"] }',
    );
    expect(block).toContain('subscribe: { allow: ["_INBOX_acute-team.>", "ns.status.acute-team"] }');
  });

  it("gives an endpoint with webhook delivery no inbox access, and no endpoint a wildcard or a password", () => {
    const registry = registryWithKeys();
    const practice = registry.byId("practice-a");
    if (practice === undefined) throw new Error("fixture");
    expect(endpointNatsPermissions(topology, practice)).toEqual({
      publish: ["ns.ingress.practice-a"],
      subscribe: ["_INBOX_practice-a.>", "ns.status.practice-a"],
    });
    const text = natsAuthorization(registry, { topology, hubUser });
    for (const [key, block] of entries(text)) {
      if (key === hubUser.user) continue;
      expect(block).not.toMatch(/"ns\.>"|"\$JS\.>"|"_INBOX\.>"|ns\.ingress\.>|ns\.ingress\.carehub"|password/);
    }
  });

  it("gives the hub user its namespace, the JetStream API and request replies, with the bcrypt hash", () => {
    const block = entries(natsAuthorization(registryWithKeys(), { topology, hubUser })).get("carehub-hub");
    expect(block).toContain(`password: "${hubUser.passwordBcrypt}"`);
    expect(block).toContain('publish: { allow: ["ns.>", "$JS.>", "_INBOX.>"] }');
    expect(block).toContain('subscribe: { allow: ["ns.>", "$JS.>", "_INBOX.>"] }');
  });

  it("is pure: the same registry and options give the same text", () => {
    const registry = registryWithKeys();
    expect(natsAuthorization(registry, { topology, hubUser })).toBe(natsAuthorization(registry, { topology, hubUser }));
  });

  it("refuses, listing every problem, what it cannot make safe", () => {
    const registry = registryWithKeys((config) => {
      const [, acuteTeam, databank] = config.endpoints;
      if (!acuteTeam || !databank) throw new Error("fixture");
      acuteTeam.delivery = { mode: "nats", subject: "ns.inbox.databank" }; // someone else's inbox
      databank.auth.natsUser = "databank"; // a user without a key
    });
    let error: unknown;
    try {
      natsAuthorization(registry, { topology, hubUser: { user: "hub user", passwordBcrypt: "plain-password" } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NatsAuthorizationError);
    expect((error as NatsAuthorizationError).code).toBe(REGISTRY_NATS_AUTHORIZATION);
    expect((error as NatsAuthorizationError).problems).toEqual([
      "hub user: a NATS user name is letters, digits and _ . @ - (at most 128)",
      "hub user: the password must be a bcrypt hash ($2a$/$2b$…), never the password itself",
      "endpoint acute-team: delivery.subject ns.inbox.databank is not its own inbox ns.inbox.acute-team; " +
        "an endpoint with NATS credentials reads only its own inbox subject",
      "endpoint databank: natsUser is set but auth.natsNkey is not; NATS access needs the key",
    ]);
    expect((error as Error).message).not.toContain("plain-password");
  });

  it("accepts a delivery subject that names the endpoint's own inbox", () => {
    const registry = registryWithKeys((config) => {
      const acuteTeam = config.endpoints[1];
      if (acuteTeam) acuteTeam.delivery = { mode: "nats", subject: "ns.inbox.acute-team" };
    });
    expect(natsAuthorization(registry, { topology, hubUser })).toContain(
      '"$JS.API.CONSUMER.CREATE.NS_INBOX.sdk-acute-team.ns.inbox.acute-team"',
    );
  });
});

describe("registry checks on NATS keys", () => {
  it("refuses a key two endpoints share, and a seed where the public key belongs", () => {
    const config = smallRegistry();
    const [practice, acuteTeam, databank] = config.endpoints;
    if (!practice || !acuteTeam || !databank) throw new Error("fixture");
    practice.auth.natsNkey = ACUTE_KEY;
    acuteTeam.auth.natsNkey = ACUTE_KEY;
    databank.auth.natsNkey = `S${ACUTE_KEY.slice(1)}`;
    let problems: readonly string[] = [];
    try {
      EndpointRegistry.from(config, "test.yaml");
    } catch (error) {
      problems = (error as { problems: readonly string[] }).problems;
    }
    expect(problems).toEqual([
      "endpoints[2].auth.natsNkey: a NATS user nkey is a public key: U followed by 55 base32 characters (never the seed)",
      "endpoints[1].auth.natsNkey: this NATS nkey is already used by endpoint practice-a",
    ]);
  });
});
