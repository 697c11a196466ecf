/**
 * CPU per call of the gateway's and intake's small per-message pieces the cpi18 round changed
 * (docs/decisions/0117), before and after in one process: arms alternated (reversed every other round), process.cpuUsage
 * (steadier than wall time on a shared machine), medians of the rounds after the first.
 *   node bench/stage-pieces.bench.ts        BASE_ROOT=<checkout> for "before" (default: this one); BENCH_ROUNDS, 9;
 *   BENCH_PIECES=<text>: only the pieces whose name holds it
 */
import { fileURLToPath } from "node:url";
import { messageAt } from "./e2e/messages.ts";

const here = fileURLToPath(new URL("../", import.meta.url));
const base = process.env.BASE_ROOT ?? here;
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const load = async (root: string) => ({
  keys: (await import(
    `${root}/packages/ledger/src/ledger-keys.ts`
  )) as typeof import("../packages/ledger/src/ledger-keys.ts"),
  token: (await import(
    `${root}/packages/registry/src/token-hash.ts`
  )) as typeof import("../packages/registry/src/token-hash.ts"),
  decoding: (await import(
    `${root}/services/gateway/src/body-decoding.ts`
  )) as typeof import("../services/gateway/src/body-decoding.ts"),
  identity: (await import(
    `${root}/packages/medcom-fhir/src/read/read-identity.ts`
  )) as typeof import("../packages/medcom-fhir/src/read/read-identity.ts"),
  values: (await import(
    `${root}/packages/medcom-xml/src/value-checks.ts`
  )) as typeof import("../packages/medcom-xml/src/value-checks.ts"),
});
const before = await load(base);
const after = await load(here);
const { decodeXmlBytes } = await import("../packages/medcom-xml/src/decode.ts");
const { parseXmlTree } = await import("../packages/medcom-xml/src/xml-tree.ts");

const N = 2_000;
const ids = Array.from({ length: rounds * 2 * N }, () => crypto.randomUUID());
let next = 0;
const letters = Array.from({ length: N }, (_, i) => messageAt("oioxml", i, "stage-pieces").body);
const trees = letters.map((body) => {
  const decoded = decodeXmlBytes(body);
  const tree = decoded.ok ? parseXmlTree(decoded.text, 32) : undefined;
  if (tree?.ok !== true) throw new Error("the bench letter does not parse");
  return tree.root;
});
const fhir = Array.from({ length: N }, (_, i) => messageAt("attach", i, "stage-pieces").body);
// A FHIR JSON body with a fault before its header (a stray character after `"entry"`): the gateway reads no id
// from it, intake rejects it.
const malformed = fhir.map((body) => {
  const text = body.toString();
  if (!text.includes('"entry"')) throw new Error("the bench message has no entries");
  return Buffer.from(text.replace('"entry"', '"entry" x'));
});
const tokens = Array.from({ length: N }, (_, i) => `bench-token-${i}-${crypto.randomUUID()}`);
const xml = { essence: "application/xml" };
const json = { essence: "application/fhir+json" };

type Side = Awaited<ReturnType<typeof load>>;
const pieces: Record<string, (side: Side) => void> = {
  // What the gateway asks of one message's ids: the hub id and the first-copy key at admission, both again when it
  // records the copy (intake: the hub id, then the key when it claims).
  "hub id + first-copy key ×2 (new message)": ({ keys }) => {
    const speller = (spellers.get(keys) ?? spellers.set(keys, keys.ledgerKeys("bench")).get(keys)) as ReturnType<
      typeof keys.ledgerKeys
    >;
    for (let i = 0; i < N; i++) {
      const id = ids[next++ % ids.length] as string;
      speller.derivedHubId("practice-0123", id);
      speller.messageId("practice-0123", id);
      speller.derivedHubId("practice-0123", id);
      speller.messageId("practice-0123", id);
    }
  },
  "bearer token hash": ({ token }) => {
    for (const t of tokens) token.hashToken(t);
  },
  "encoding check, OIOXML letter (ISO-8859-1)": ({ decoding }) => {
    for (const body of letters) decoding.checkDecodable(body, xml);
  },
  "encoding check, FHIR JSON (21 KB)": ({ decoding }) => {
    for (const body of fhir) decoding.checkDecodable(body, json);
  },
  "FHIR JSON header read, 21 KB body with a fault before the header": ({ identity }) => {
    for (const body of malformed) identity.readFhirMessageIdentity(body, { format: "fhir+json" });
  },
  "letter value checks (Date, Time, ResultStatusCode)": ({ values }) => {
    for (const tree of trees) values.checkValuesEverywhere(tree, "Emessage", []);
  },
};
const spellers = new Map<unknown, unknown>();

for (const [name, piece] of Object.entries(pieces)) {
  if (process.env.BENCH_PIECES !== undefined && !name.includes(process.env.BENCH_PIECES)) continue;
  const times = { before: [] as number[], after: [] as number[] };
  for (let round = 0; round < rounds; round++)
    for (const arm of round % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const)) {
      const start = process.cpuUsage();
      piece(arm === "before" ? before : after);
      const used = process.cpuUsage(start);
      times[arm].push(((used.user + used.system) * 1000) / N);
    }
  const median = (xs: number[]) => [...xs.slice(1)].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
  console.log(`${name}: before ${median(times.before).toFixed(0)} ns, after ${median(times.after).toFixed(0)} ns`);
}
