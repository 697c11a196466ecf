// Throughput of parseFhirMessage (FHIR JSON and XML) and of the builders, on one core.
// Run: node packages/medcom-fhir/bench/parse.bench.ts
import {
  buildCareCommunication,
  buildHomeCareObservation,
  buildHospitalNotification,
  buildReferral,
  buildStatusUpdate,
  parseFhirMessage,
  serializeFhirXml,
} from "../src/index.ts";
import { jsonMessageExamples } from "../test/examples.ts";
import * as sample from "../test/sample-inputs.ts";

function measure(name: string, inputs: Array<string | Uint8Array>, run: (input: string | Uint8Array) => unknown): void {
  const seconds = 2;
  for (let i = 0; i < 200; i++) run(inputs[i % inputs.length] ?? "");
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 100; i++) run(inputs[(n + i) % inputs.length] ?? "");
    n += 100;
  }
  const elapsed = (performance.now() - start) / 1000;
  const bytes =
    inputs.reduce((sum, x) => sum + (typeof x === "string" ? Buffer.byteLength(x) : x.byteLength), 0) / inputs.length;
  console.log(
    `${name.padEnd(44)} ${Math.round(n / elapsed)
      .toString()
      .padStart(7)} msg/s   avg ${Math.round(bytes)} bytes`,
  );
}

const examples = jsonMessageExamples().map((e) => Buffer.from(e.text));
const built = [
  buildCareCommunication(sample.careCommunication),
  buildHomeCareObservation(sample.homeCareObservation),
  buildHospitalNotification(sample.hospitalNotification),
  buildReferral(sample.referral),
  buildStatusUpdate(sample.statusUpdate),
];
const builtJson = built.map((b) => Buffer.from(b.json));
const examplesXml = jsonMessageExamples().map((e) => serializeFhirXml(e.json));
const builtXml = built.map((b) => serializeFhirXml(b.bundle));

console.log(`node ${process.version}, ${examples.length} MedCom examples`);
measure("parse FHIR JSON, MedCom examples", examples, (x) => parseFhirMessage(x));
measure("parse FHIR JSON, carehub-built messages", builtJson, (x) => parseFhirMessage(x));
measure("parse FHIR XML, MedCom examples", examplesXml, (x) => parseFhirMessage(x));
measure("parse FHIR XML, carehub-built messages", builtXml, (x) => parseFhirMessage(x));
measure("build HomeCareObservation (JSON)", [""], () => buildHomeCareObservation(sample.homeCareObservation));
measure("build + serialise HomeCareObservation (XML)", [""], () =>
  serializeFhirXml(buildHomeCareObservation(sample.homeCareObservation).bundle),
);
