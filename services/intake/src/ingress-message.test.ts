import { describe, expect, it } from "vitest";
import { identify, readIngressMessage } from "./ingress-message.ts";

const base = {
  subject: "ns1.ingress.acute-team",
  data: new Uint8Array([1, 2, 3]),
  stream: "NS1_INGRESS",
  seq: 7,
  storedAt: new Date("2026-01-02T03:04:05.000Z"),
};

describe("readIngressMessage", () => {
  it("takes the receive time from the gateway's headers when their source is the subject's", () => {
    const message = readIngressMessage(
      {
        ...base,
        headers: {
          "Carehub-Source-Endpoint": "acute-team",
          "Carehub-Received-At": "2026-01-02T03:04:04.000Z",
          "Content-Type": "application/fhir+json",
        },
      },
      "ns1.ingress.",
    );
    expect(message).toMatchObject({
      sourceEndpoint: "acute-team",
      receivedAt: "2026-01-02T03:04:04.000Z",
      contentType: "application/fhir+json",
    });
  });

  it("never takes a receive time later than the time JetStream stored it (a NATS endpoint sets the header)", () => {
    const message = readIngressMessage(
      {
        ...base,
        headers: { "Carehub-Source-Endpoint": "acute-team", "Carehub-Received-At": "2099-01-01T00:00:00.000Z" },
      },
      "ns1.ingress.",
    );
    // Catches a future time taken as is: the router's age rule (decision 0109) would reference an INGRESS copy
    // that leaves before the OUTBOX entry does.
    expect(message.receivedAt).toBe("2026-01-02T03:04:05.000Z");
  });

  it("takes the time JetStream stored it for a message published straight onto NATS", () => {
    const message = readIngressMessage({ ...base, headers: { "Content-Type": "application/xml" } }, "ns1.ingress.");
    expect(message.sourceEndpoint).toBe("acute-team");
    expect(message.receivedAt).toBe("2026-01-02T03:04:05.000Z");
  });

  it("trusts the subject, not a header, for who sent it", () => {
    const message = readIngressMessage(
      { ...base, headers: { "Carehub-Hub-Id": "forged", "Carehub-Source-Endpoint": "practice" } },
      "ns1.ingress.",
    );
    expect(message.sourceEndpoint).toBe("acute-team");
  });

  it("dead-letters a message from outside this hub's INGRESS subjects", () => {
    expect(() => readIngressMessage({ ...base, subject: "other.ingress.x", headers: {} }, "ns1.ingress.")).toThrow(
      expect.objectContaining({ code: "CAREHUB_ERR_INTAKE_BAD_INGRESS_MESSAGE" }),
    );
  });
});

describe("identify", () => {
  // Catches intake taking the id a header claims (issue 9: an endpoint on NATS overwrote a victim's status).
  it("gives the message the hub's id whatever a Carehub-Hub-Id header claims, and logs the claim", () => {
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Parameters<typeof identify>[2];
    const arrival = readIngressMessage({ ...base, headers: { "Carehub-Hub-Id": "victim-id" } }, "ns1.ingress.");
    const message = identify(arrival, "derived-id", logger);
    expect(message.hubId).toBe("derived-id");
    expect(message).not.toHaveProperty("claimedHubId");
    expect(warnings).toEqual([{ hubId: "derived-id", endpoint: "acute-team", seq: 7 }]);
  });

  it("logs nothing when the header names the id the hub derives (the gateway's own header)", () => {
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Parameters<typeof identify>[2];
    const arrival = readIngressMessage({ ...base, headers: { "Carehub-Hub-Id": "derived-id" } }, "ns1.ingress.");
    expect(identify(arrival, "derived-id", logger).hubId).toBe("derived-id");
    expect(warnings).toEqual([]);
  });
});
