import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { startTestHub, type TestHub } from "@carehub/testkit-hub";
import { afterAll, beforeAll, expect, it } from "vitest";

// A home-care observation (MedCom's published example) from the municipal acute team to a practice.
const observation = readFileSync(
  `${medcomExamplesDir()}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`,
);

let hub: TestHub;

beforeAll(async () => {
  // A private nats-server and redis-server for this hub alone, stopped by close().
  hub = await startTestHub({
    endpoints: [
      {
        id: "acute-team",
        name: "Pleje og Rehabilitering (kommunal akutfunktion)",
        kind: "municipality",
        identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
        sends: ["homecare-observation", "acknowledgement"],
        accepts: ["acknowledgement"],
      },
      {
        id: "practice",
        name: "Skødstrup Lægepraksis",
        kind: "practice",
        identifiers: { sor: ["52581000016005"], gln: ["5790000127092"], ydernummer: "061654" },
        sends: ["acknowledgement"],
        accepts: ["homecare-observation", "acknowledgement"],
      },
    ],
  });
});

afterAll(async () => {
  await hub?.close();
});

it("delivers the acute team's observation to the practice", async () => {
  const sent = await hub.send("acute-team", observation, "application/fhir+json");
  expect(sent.status).toBe(202);
  await hub.expectDeliveredTo(sent.hubId ?? "", "practice");
  expect(hub.receiver("practice").deliveries).toHaveLength(1);
});
