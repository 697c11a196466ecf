import { describe, expect, it } from "vitest";
import { hubIdFromStreamPosition } from "./derived-ids.ts";
import { readIngressMessage } from "./ingress-message.ts";

const base = {
  subject: "ns1.ingress.acute-team",
  data: new Uint8Array([1, 2, 3]),
  stream: "NS1_INGRESS",
  seq: 7,
  storedAt: new Date("2026-01-02T03:04:05.000Z"),
};

describe("readIngressMessage", () => {
  it("takes hub id, source and receive time from the gateway's headers", () => {
    const message = readIngressMessage(
      {
        ...base,
        headers: {
          "Carehub-Hub-Id": "hub-1",
          "Carehub-Source-Endpoint": "acute-team",
          "Carehub-Received-At": "2026-01-02T03:04:04.000Z",
          "Content-Type": "application/fhir+json",
        },
      },
      "ns1.ingress.",
    );
    expect(message).toMatchObject({
      hubId: "hub-1",
      sourceEndpoint: "acute-team",
      receivedAt: "2026-01-02T03:04:04.000Z",
      contentType: "application/fhir+json",
      publishedDirectly: false,
    });
  });

  it("derives the hub id from the stream position for a message published straight onto NATS", () => {
    const message = readIngressMessage({ ...base, headers: { "Content-Type": "application/xml" } }, "ns1.ingress.");
    expect(message.hubId).toBe(hubIdFromStreamPosition("NS1_INGRESS", 7));
    expect(message.sourceEndpoint).toBe("acute-team");
    expect(message.receivedAt).toBe("2026-01-02T03:04:05.000Z");
    expect(message.publishedDirectly).toBe(true);
  });

  it("trusts the subject, not a header, for who sent it", () => {
    const message = readIngressMessage(
      { ...base, headers: { "Carehub-Hub-Id": "forged", "Carehub-Source-Endpoint": "practice" } },
      "ns1.ingress.",
    );
    expect(message.sourceEndpoint).toBe("acute-team");
    expect(message.hubId).not.toBe("forged");
  });

  it("dead-letters a message from outside this hub's INGRESS subjects", () => {
    expect(() => readIngressMessage({ ...base, subject: "other.ingress.x", headers: {} }, "ns1.ingress.")).toThrow(
      expect.objectContaining({ code: "CAREHUB_ERR_INTAKE_BAD_INGRESS_MESSAGE" }),
    );
  });
});
