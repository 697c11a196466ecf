import { describe, expect, it } from "vitest";
import { authorizeFact, type KnownMessage, type MessageFact } from "./fact-authority.ts";
import { ROUTER_ERROR_CODES } from "./routing-errors.ts";

const HUB = "carehub";
/** Practice A sent M to the municipality; the databank got a rule copy. */
const M: KnownMessage = { sentBy: "practice-a", routedTo: new Set(["municipality", "databank"]) };
const NOT_ROUTED: KnownMessage = { sentBy: "practice-a", routedTo: undefined };
const REJECTED: KnownMessage = { sentBy: "practice-a", routedTo: new Set() };
/** A message with the named id held by someone, sent by an endpoint other than the one stating the fact. */
const SOMEONE_ELSES: KnownMessage = { sentBy: undefined, routedTo: undefined };

const ACK_REFUSED = ROUTER_ERROR_CODES.ackNotAReceiver;
const CORRECTION_REFUSED = ROUTER_ERROR_CODES.correctionNotOriginalSender;

const TABLE: { fact: MessageFact; by: string; about: KnownMessage | undefined; verdict: string; row: string }[] = [
  { row: "a receiver of M acknowledges it", fact: "acknowledgement", by: "municipality", about: M, verdict: "matched" },
  {
    row: "a rule copy's receiver acknowledges it",
    fact: "acknowledgement",
    by: "databank",
    about: M,
    verdict: "matched",
  },
  { row: "a stranger acknowledges M", fact: "acknowledgement", by: "practice-c", about: M, verdict: ACK_REFUSED },
  { row: "M's own sender acknowledges M", fact: "acknowledgement", by: "practice-a", about: M, verdict: ACK_REFUSED },
  { row: "the hub acknowledges M", fact: "acknowledgement", by: HUB, about: M, verdict: "matched" },
  {
    row: "anyone acknowledges an unrouted M",
    fact: "acknowledgement",
    by: "municipality",
    about: NOT_ROUTED,
    verdict: ACK_REFUSED,
  },
  {
    row: "anyone acknowledges a rejected M",
    fact: "acknowledgement",
    by: "municipality",
    about: REJECTED,
    verdict: ACK_REFUSED,
  },
  {
    row: "an ack of a message unknown to the hub",
    fact: "acknowledgement",
    by: "practice-c",
    about: undefined,
    verdict: "unmatched",
  },
  { row: "the original sender corrects M", fact: "correction", by: "practice-a", about: M, verdict: "matched" },
  {
    row: "the original sender retracts M",
    fact: "retraction",
    by: "practice-a",
    about: NOT_ROUTED,
    verdict: "matched",
  },
  { row: "a receiver corrects M", fact: "correction", by: "municipality", about: M, verdict: CORRECTION_REFUSED },
  { row: "a stranger retracts M", fact: "retraction", by: "practice-c", about: M, verdict: CORRECTION_REFUSED },
  { row: "the hub corrects M", fact: "correction", by: HUB, about: M, verdict: CORRECTION_REFUSED },
  {
    row: "a correction of someone else's message",
    fact: "correction",
    by: "practice-c",
    about: SOMEONE_ELSES,
    verdict: CORRECTION_REFUSED,
  },
  {
    row: "a correction of a message unknown to the hub",
    fact: "correction",
    by: "practice-c",
    about: undefined,
    verdict: "unmatched",
  },
];

describe("who may state which fact about a message", () => {
  it.each(TABLE)("$row: $verdict", ({ fact, by, about, verdict }) => {
    const result = authorizeFact(fact, by, about, HUB);
    const summary = result.allowed ? (result.matched ? "matched" : "unmatched") : result.code;
    expect(summary).toBe(verdict);
  });

  it("says why in words an operator can act on, without naming ids", () => {
    const stranger = authorizeFact("acknowledgement", "practice-c", M, HUB);
    const sender = authorizeFact("acknowledgement", "practice-a", M, HUB);
    expect(stranger).toMatchObject({ reason: expect.stringContaining("not delivered to the acknowledging endpoint") });
    expect(sender).toMatchObject({ reason: expect.stringContaining("sent that message itself") });
    expect(authorizeFact("retraction", "practice-c", M, HUB)).toMatchObject({
      medcomCode: "MSG_NO_MATCH",
      reason: expect.stringContaining("only the original sender may send a retraction"),
    });
  });
});
