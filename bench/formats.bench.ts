// pnpm bench:formats — parse + validate throughput per wire format over the shared MedCom examples, against a
// baseline measured in the same run on the same bytes (bare JSON.parse / bare fast-xml-parser), on one core.
// Writes bench/results/formats.json and bench/results/formats.md.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseMessage, readMessageIdentity } from "../packages/formats/src/index.ts";
import { medcomExamplesDir } from "../packages/testkit/src/medcom-fixtures.ts";

const EXAMPLES = medcomExamplesDir();
/** The examples README lists these as known-bad; the bench measures valid traffic only. */
const KNOWN_BAD = new Set(["XRPT05_6092035412.xml", "XRPT01_1.xml"]);
/** `node bench/formats.bench.ts --seconds=1` for a quick run. */
const SECONDS = Number(/^--seconds=(\d+(?:\.\d+)?)$/.exec(process.argv[2] ?? "")?.[1] ?? 3);
const TARGET_FHIR_JSON_PER_SECOND = 5_000;

const packageRequire = createRequire(new URL("../packages/medcom-xml/package.json", import.meta.url));
// fast-xml-parser is a dependency of the format packages, not of the repository root: load it from there.
const fxp = (await import(packageRequire.resolve("fast-xml-parser"))) as {
  XMLParser?: new (options: object) => { parse: (xml: string) => unknown };
  default?: { XMLParser: new (options: object) => { parse: (xml: string) => unknown } };
};
const XMLParser = fxp.XMLParser ?? fxp.default?.XMLParser;
if (XMLParser === undefined) throw new Error("fast-xml-parser has no XMLParser export");
const fhirPackage = (await import("../packages/medcom-fhir/src/index.ts")) as Record<string, unknown>;
const fhirXmlToJson = fhirPackage.fhirXmlToJson as ((xml: string) => unknown) | undefined;

function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => path.endsWith(extension) && statSync(path).isFile())
    .sort();
}

interface Corpus {
  format: "fhir+json" | "fhir+xml" | "oioxml";
  /** The row's name when the format has more than one corpus. */
  label?: string;
  contentType: string;
  messages: Uint8Array[];
  source: string;
  baselineName: string;
  baseline: (bytes: Uint8Array) => unknown;
}

const utf8 = new TextDecoder("utf-8");
const cp1252 = new TextDecoder("windows-1252");
const bareXml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true });

const fhirJson = filesUnder(join(EXAMPLES, "fhir"), ".json").map((f) => readFileSync(f));
const oioxml = filesUnder(join(EXAMPLES, "oioxml"), ".xml")
  .filter((f) => !KNOWN_BAD.has(f.split("/").pop() ?? ""))
  .map((f) => readFileSync(f));

/** FHIR XML examples do not exist in the shared set: convert the JSON ones when medcom-fhir can. */
function fhirXmlCorpus(): { messages: Uint8Array[]; note: string } {
  const serialize = fhirPackage.serializeFhirXml as ((resource: object) => string) | undefined;
  const messages: Uint8Array[] = [];
  try {
    for (const bytes of fhirJson) {
      const xml = serialize?.(JSON.parse(utf8.decode(bytes)) as object) ?? "";
      if (xml.trim() !== "") messages.push(new TextEncoder().encode(xml));
    }
  } catch (error) {
    return { messages: [], note: `not measured: serializeFhirXml failed (${(error as Error).message})` };
  }
  return messages.length > 0
    ? { messages, note: "the FHIR JSON examples converted with medcom-fhir's serializeFhirXml" }
    : { messages: [], note: "not measured: serializeFhirXml produced no XML" };
}

const fhirXml = fhirXmlCorpus();

/** A large attachment after the header: what the header read leaves unread and the conversion reads whole. */
const ATTACHMENT_BYTES = 256 * 1024;
function withAttachment(message: Uint8Array, index: number): Uint8Array {
  const id = `0f0f0f0f-0000-4000-8000-${String(index).padStart(12, "0")}`;
  const binary = `<entry><fullUrl value="https://carehub.dev/fhir/Binary/${id}"/><resource><Binary><id value="${id}"/><contentType value="application/pdf"/><data value="${"QUJD".repeat(ATTACHMENT_BYTES / 4)}"/></Binary></resource></entry></Bundle>`;
  return new TextEncoder().encode(utf8.decode(message).replace(/<\/Bundle>\s*$/, binary));
}
const corpora: Corpus[] = [
  {
    format: "fhir+json",
    contentType: "application/fhir+json",
    messages: fhirJson,
    source: "shared FHIR JSON examples",
    baselineName: "TextDecoder + JSON.parse",
    baseline: (b) => JSON.parse(utf8.decode(b)),
  },
  {
    format: "fhir+xml",
    contentType: "application/fhir+xml",
    messages: fhirXml.messages,
    source: fhirXml.note,
    baselineName: "TextDecoder + fast-xml-parser (no validation)",
    baseline: (b) => bareXml.parse(utf8.decode(b)),
  },
  {
    format: "fhir+xml",
    label: `fhir+xml, ${ATTACHMENT_BYTES / 1024} KiB attachment`,
    contentType: "application/fhir+xml",
    messages: fhirXml.messages.map(withAttachment),
    source: `${fhirXml.note}, each with a Binary entry of ${ATTACHMENT_BYTES} bytes of base64 after its other entries`,
    baselineName: "TextDecoder + fast-xml-parser (no validation)",
    baseline: (b) => bareXml.parse(utf8.decode(b)),
  },
  {
    format: "oioxml",
    contentType: "application/xml",
    messages: oioxml,
    source: "shared OIOXML examples minus the two known-bad files",
    baselineName: "TextDecoder(windows-1252) + fast-xml-parser (no validation)",
    baseline: (b) => bareXml.parse(cp1252.decode(b)),
  },
];

interface Rate {
  /** Best slice: the least-disturbed estimate on a shared machine. */
  messagesPerSecond: number;
  megabytesPerSecond: number;
  /** Median slice, for an idea of the spread. */
  medianMessagesPerSecond: number;
  iterations: number;
}

interface Slice {
  messages: number;
  bytes: number;
  seconds: number;
}

function runSlice(messages: Uint8Array[], run: (bytes: Uint8Array) => unknown, seconds: number, offset: number): Slice {
  let count = 0;
  let bytes = 0;
  const start = performance.now();
  const stop = start + seconds * 1000;
  while (performance.now() < stop) {
    for (let batch = 0; batch < 16; batch++) {
      const message = messages[(offset + count) % messages.length] as Uint8Array;
      run(message);
      bytes += message.byteLength;
      count++;
    }
  }
  return { messages: count, bytes, seconds: (performance.now() - start) / 1000 };
}

function summarise(slices: Slice[]): Rate {
  const rates = slices.map((s) => ({ perSecond: s.messages / s.seconds, bytesPerSecond: s.bytes / s.seconds }));
  const sorted = [...rates].sort((a, b) => b.perSecond - a.perSecond);
  const best = sorted[0] ?? { perSecond: 0, bytesPerSecond: 0 };
  return {
    messagesPerSecond: Math.round(best.perSecond),
    megabytesPerSecond: Number((best.bytesPerSecond / 1024 / 1024).toFixed(2)),
    medianMessagesPerSecond: Math.round(sorted[Math.floor(sorted.length / 2)]?.perSecond ?? 0),
    iterations: slices.reduce((n, s) => n + s.messages, 0),
  };
}

/**
 * carehub and the baseline are measured in alternating slices (after a warm-up of each), so that both see the
 * same machine load; the best slice of each is reported and the ratio compares the two best slices.
 */
function measurePair(
  messages: Uint8Array[],
  carehub: (bytes: Uint8Array) => unknown,
  baseline: (bytes: Uint8Array) => unknown,
  seconds: number,
): { carehub: Rate; baseline: Rate } {
  runSlice(messages, carehub, 0.3, 0);
  runSlice(messages, baseline, 0.3, 0);
  const slices = Math.max(2, Math.round(seconds / 0.25));
  const ours: Slice[] = [];
  const theirs: Slice[] = [];
  for (let i = 0; i < slices; i++) {
    ours.push(runSlice(messages, carehub, seconds / slices, i));
    theirs.push(runSlice(messages, baseline, seconds / slices, i));
  }
  return { carehub: summarise(ours), baseline: summarise(theirs) };
}

interface Row {
  format: string;
  source: string;
  messages: number;
  averageBytes: number;
  parsedOk: number;
  carehub?: Rate;
  baselineName: string;
  baseline?: Rate;
  /** carehub throughput as a fraction of the bare parse. */
  ratio?: number;
  /** The gateway's header read (readMessageIdentity), measured against the full parse in alternating slices. */
  headerRead?: Rate;
  /** How many times faster the header read is than the full parse (best slices, same run). */
  headerReadSpeedup?: number;
  /**
   * FHIR XML: the header read against the whole-document conversion to FHIR JSON (decode + fhirXmlToJson), which
   * is what the gateway's header read of FHIR XML was before it read the header alone (same run, alternating).
   */
  conversion?: Rate;
  headerReadVsConversion?: number;
  note?: string;
}

const rows: Row[] = [];
for (const corpus of corpora) {
  const { messages } = corpus;
  const row: Row = {
    format: corpus.label ?? corpus.format,
    source: corpus.source,
    messages: messages.length,
    averageBytes:
      messages.length === 0 ? 0 : Math.round(messages.reduce((s, m) => s + m.byteLength, 0) / messages.length),
    parsedOk: messages.filter((m) => parseMessage(m, { contentType: corpus.contentType }).ok).length,
    baselineName: corpus.baselineName,
  };
  if (messages.length > 0) {
    if (row.parsedOk < messages.length) {
      row.note = `${messages.length - row.parsedOk} of ${messages.length} messages were rejected: the figure measures rejection, not parsing`;
    }
    const pair = measurePair(
      messages,
      (m) => parseMessage(m, { contentType: corpus.contentType }),
      corpus.baseline,
      SECONDS,
    );
    row.carehub = pair.carehub;
    row.baseline = pair.baseline;
    row.ratio = Number((row.carehub.messagesPerSecond / row.baseline.messagesPerSecond).toFixed(3));
    const header = measurePair(
      messages,
      (m) => readMessageIdentity(m, { contentType: corpus.contentType }),
      (m) => parseMessage(m, { contentType: corpus.contentType }),
      SECONDS,
    );
    row.headerRead = header.carehub;
    row.headerReadSpeedup = Number((header.carehub.messagesPerSecond / header.baseline.messagesPerSecond).toFixed(1));
    if (corpus.format === "fhir+xml" && fhirXmlToJson !== undefined) {
      const convert = fhirXmlToJson;
      const versus = measurePair(
        messages,
        (m) => readMessageIdentity(m, { contentType: corpus.contentType }),
        (m) => convert(utf8.decode(m)),
        SECONDS,
      );
      row.conversion = versus.baseline;
      row.headerReadVsConversion = Number(
        (versus.carehub.messagesPerSecond / versus.baseline.messagesPerSecond).toFixed(1),
      );
    }
  }
  rows.push(row);
  console.log(JSON.stringify(row));
}

const fhirJsonRow = rows.find((r) => r.format === "fhir+json");
const meetsTarget =
  fhirJsonRow?.carehub !== undefined &&
  fhirJsonRow.parsedOk === fhirJsonRow.messages &&
  fhirJsonRow.carehub.messagesPerSecond >= TARGET_FHIR_JSON_PER_SECOND;
const result = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  /** The machine is shared: a load above the core count means the figures are low. */
  loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
  secondsPerMeasurement: SECONDS,
  target: { format: "fhir+json", messagesPerSecondPerCore: TARGET_FHIR_JSON_PER_SECOND, met: meetsTarget },
  rows,
};

const resultsDir = new URL("./results/", import.meta.url);
writeFileSync(new URL("formats.json", resultsDir), `${JSON.stringify(result, null, 2)}\n`);
const table = rows.map((r) =>
  [
    r.format,
    r.messages,
    r.averageBytes,
    `${r.parsedOk}/${r.messages}`,
    r.carehub?.messagesPerSecond ?? "—",
    r.carehub?.megabytesPerSecond ?? "—",
    r.baseline?.messagesPerSecond ?? "—",
    r.ratio === undefined ? "—" : `${(r.ratio * 100).toFixed(1)} %`,
    r.headerRead?.messagesPerSecond ?? "—",
    r.headerReadSpeedup === undefined ? "—" : `${r.headerReadSpeedup}×`,
    r.conversion?.messagesPerSecond ?? "—",
    r.headerReadVsConversion === undefined ? "—" : `${r.headerReadVsConversion}×`,
  ].join(" | "),
);
const markdown = `# Formats benchmark

\`pnpm bench:formats\` — ${result.measuredAt}, Node ${result.node}, ${result.cpu} (${result.cores} cores, shared, 1-minute
load ${result.loadAverage1m}; one core used), ${SECONDS} s for each side per format, in alternating 0.25 s slices after a 0.3 s warm-up; best slice reported
(median in formats.json). carehub = \`parseMessage\` from \`@carehub/formats\`
(detect + decode + parse + validate + normalise) on each message of the corpus in turn. Header read =
\`readMessageIdentity\` (what the gateway admits a message by: id and kind, no tree), measured against the full
parse in its own alternating slices. Conversion = FHIR XML converted whole to FHIR JSON (\`fhirXmlToJson\`): what
the gateway's header read of FHIR XML cost before it read the header alone, measured against the header read
in its own alternating slices.

| format | messages | avg bytes | parsed ok | carehub msg/s | carehub MB/s | baseline msg/s | carehub / baseline | header read msg/s | header read / full parse | conversion msg/s | header read / conversion |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${table.map((line) => `| ${line} |`).join("\n")}

Baselines (same bytes, same run): ${rows.map((r) => `${r.format}: ${r.baselineName}`).join("; ")}. The XML
baselines use fast-xml-parser's default object output; medcom-fhir reads FHIR XML with \`preserveOrder\`, which
skips that step, so for fhir+xml the baseline is not a lower bound and the ratio can exceed 100 %.

Corpora: ${rows.map((r) => `${r.format}: ${r.source}`).join("; ")}.
${rows
  .filter((r) => r.note)
  .map((r) => `\n**${r.format}:** ${r.note}.`)
  .join("")}

Target: ≥ ${TARGET_FHIR_JSON_PER_SECOND} typical FHIR JSON messages/s per core — ${meetsTarget ? "**met**" : "**not met**"}.
`;
writeFileSync(new URL("formats.md", resultsDir), markdown);
console.log(markdown);
