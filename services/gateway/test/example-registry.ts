import { hashToken } from "@carehub/registry";
import type { RegistryConfigInput } from "@carehub/schemas";

/**
 * The registry the gateway's integration tests run against: the acute team and the practice of MedCom's
 * HomeCareObservation example, tokens `acute-token` and `practice-token`, both reached over NATS.
 */
export const exampleRegistry: RegistryConfigInput = {
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    {
      id: "acute-team",
      name: "Pleje og Rehabilitering",
      kind: "municipality",
      identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
      sends: ["homecare-observation"],
      accepts: ["acknowledgement"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [hashToken("acute-token")] },
    },
    {
      id: "practice",
      name: "Skødstrup Lægepraksis",
      kind: "practice",
      identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
      sends: ["acknowledgement"],
      accepts: ["homecare-observation", "acknowledgement"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [hashToken("practice-token")] },
    },
  ],
};
