// A plain-JavaScript program run from a scratch project that installed the packed @carehub/testkit-hub with npm:
// a whole hub (private nats-server and redis-server) inside the program, one MedCom message sent through it,
// wait until quiet, an expect* assertion that holds and one that must not.   MESSAGE_FILE
import { readFileSync } from "node:fs";
import { startTestHub, TestHubAssertionError } from "@carehub/testkit-hub";

const hub = await startTestHub({
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
try {
  const sent = await hub.send("acute-team", readFileSync(process.env.MESSAGE_FILE), "application/fhir+json");
  await hub.waitUntilQuiet();
  await hub.expectDeliveredTo(sent.hubId, "practice");
  const wrong = await hub.expectRejectedWith(sent.hubId, "NOT_A_CODE").then(
    () => "passed",
    (error) => (error instanceof TestHubAssertionError ? "TestHubAssertionError" : String(error)),
  );
  console.log(
    JSON.stringify({
      status: sent.status,
      hubId: sent.hubId,
      deliveries: hub.receiver("practice").accepted().length,
      wrong,
      snapshot: await hub.snapshotReadModel(),
    }),
  );
} finally {
  await hub.close();
}
