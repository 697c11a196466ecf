import type { RegistryConfigInput } from "@carehub/schemas";
import { hashToken } from "./token-hash.ts";

/** A small valid registry for the package's own tests. */
export function smallRegistry(): RegistryConfigInput {
  return {
    hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      {
        id: "practice-a",
        name: "Practice A",
        kind: "practice",
        identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
        sends: ["lab-result", "acknowledgement"],
        accepts: ["homecare-observation", "acknowledgement"],
        delivery: { mode: "http", url: "http://127.0.0.1:9/a" },
        auth: { tokenSha256: [hashToken("token-a"), hashToken("token-a-rotated")] },
      },
      {
        id: "acute-team",
        name: "Acute team",
        kind: "municipality",
        identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
        sends: ["homecare-observation"],
        accepts: ["acknowledgement"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("token-b")] },
      },
      {
        id: "databank",
        name: "Lab databank",
        kind: "databank",
        identifiers: { gln: ["5790000188888"] },
        sends: ["acknowledgement"],
        accepts: ["lab-result"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("token-c")] },
      },
    ],
    operators: [{ id: "ops-alice", name: "Alice (operator)", tokenSha256: [hashToken("token-ops")] }],
    rules: [
      {
        id: "lab-databank-copy",
        when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
        copyTo: ["databank"],
      },
    ],
  };
}
