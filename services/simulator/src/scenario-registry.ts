import { createHash, randomBytes } from "node:crypto";
import { generateWebhookSecret } from "@carehub/client";
import { type Endpoint, type HubIdentity, RegistryConfig, type RegistryConfigInput } from "@carehub/schemas";
import { ROLE_KINDS, type Scenario } from "./scenario.ts";
import { buildWorld, type SimEndpoint, type SimWorld } from "./world.ts";

export interface ScenarioRegistryOptions {
  /** Identities are drawn from the seed. Default 1. */
  seed?: number | string;
  /** Where the hub delivers to each HTTP endpoint. Default `http://127.0.0.1:9/<id>` (nothing listens). */
  webhookUrl?: (endpointId: string) => string;
  /** The plaintext bearer token of each endpoint; default 32 random bytes (hex). */
  token?: (endpointId: string) => string;
  /** The webhook signing secret (`whsec_…`) of each HTTP endpoint; default a new random one per run. */
  signingSecret?: (endpointId: string) => string;
  /** The plaintext bearer token of the region's operator (`DEMO_OPERATOR_ID`); default 32 random bytes (hex). */
  operatorToken?: string;
}

/** The operator of a simulated region: reads everything through the query API (the demo's curl examples). */
export const DEMO_OPERATOR_ID = "demo-operator";

export interface ScenarioRegistry {
  /** The registry the hub runs with: token hashes only. */
  registry: RegistryConfig;
  /** Plaintext tokens for the simulated clients, by endpoint id. Never written to the registry. */
  tokens: Readonly<Record<string, string>>;
  /**
   * The webhook signing secret of each HTTP endpoint, by endpoint id: the hub signs with it, the endpoint
   * verifies with it. It sits in the registry as an inline `value` (fine for a simulated region made for one run;
   * real registries refer to an environment variable or a file).
   */
  signingSecrets: Readonly<Record<string, string>>;
  /** Plaintext token of the operator `DEMO_OPERATOR_ID`. Never written to the registry. */
  operatorToken: string;
  hub: HubIdentity;
  world: SimWorld;
  endpoints: SimEndpoint[];
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The endpoint registry for a scenario's region: every simulated endpoint with its identity, the kinds it
 * sends and accepts, how the hub delivers to it (webhooks signed with a secret made for the run) and its token hash; the hub's own identity; the
 * lab-databank rule (practice-produced results, consent given, go to the national databank too); and one
 * operator, who may read everything through the query API.
 */
export function buildScenarioRegistry(scenario: Scenario, options: ScenarioRegistryOptions = {}): ScenarioRegistry {
  const world = buildWorld(scenario, options.seed ?? 1);
  const webhookUrl = options.webhookUrl ?? ((id: string) => `http://127.0.0.1:9/${id}`);
  const makeToken = options.token ?? (() => randomBytes(32).toString("hex"));
  const makeSigningSecret = options.signingSecret ?? (() => generateWebhookSecret());
  const nats = new Set(scenario.natsEndpoints);
  const tokens: Record<string, string> = {};
  const signingSecrets: Record<string, string> = {};
  const httpDelivery = (id: string): Endpoint["delivery"] => {
    const secret = makeSigningSecret(id);
    signingSecrets[id] = secret;
    return { mode: "http", url: webhookUrl(id), timeoutMs: 10_000, signing: { secrets: [{ value: secret }] } };
  };
  const endpoints: Endpoint[] = world.endpoints.map((e) => {
    const token = makeToken(e.id);
    tokens[e.id] = token;
    const kinds = ROLE_KINDS[e.role];
    return {
      id: e.id,
      name: e.name,
      kind: e.kind,
      identifiers: {
        sor: [e.sor],
        gln: [e.gln],
        ...(e.ydernummer === undefined ? {} : { ydernummer: e.ydernummer }),
      },
      sends: [...kinds.sends],
      accepts: [...kinds.accepts],
      delivery: {
        ...(nats.has(e.id) ? { mode: "nats" as const } : httpDelivery(e.id)),
        // The databank takes the MedCom laboratory standard: a practice's FHIR lab results are translated for it.
        ...(e.role === "databank" ? { format: "oioxml" as const } : {}),
      },
      auth: { tokenSha256: [sha256Hex(token)] },
      ackTimeoutSeconds: scenario.ackTimeoutSeconds,
      retryWindowSeconds: 86_400,
    };
  });
  const operatorToken = options.operatorToken ?? randomBytes(32).toString("hex");
  const databanks = world.byRole.databank.map((e) => e.id);
  const input: RegistryConfigInput = {
    hub: world.hub,
    endpoints,
    rules:
      databanks.length === 0
        ? []
        : [
            {
              id: "lab-databank-copy",
              description:
                "A lab result a practice produced itself also goes to the national lab databank, unless the patient withheld consent.",
              when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
              copyTo: databanks,
            },
          ],
    operators: [
      // The demo's operator reads payloads and searches by patient (console role "operator"), as an operator would.
      {
        id: DEMO_OPERATOR_ID,
        name: "Demo operator (this run only)",
        role: "operator",
        tokenSha256: [sha256Hex(operatorToken)],
      },
    ],
  };
  return {
    registry: RegistryConfig.parse(input),
    tokens,
    signingSecrets,
    operatorToken,
    hub: world.hub,
    world,
    endpoints: world.endpoints,
  };
}
