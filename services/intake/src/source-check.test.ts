import { describe, expect, it } from "vitest";
import { acuteTeam, homecareMessage, practice, registryOf } from "./intake-fixtures.test-support.ts";
import { checkHubSource, checkSource } from "./source-check.ts";

const registry = registryOf(acuteTeam, practice);
const hub = { id: "carehub", name: "carehub", sor: "481521000016007", gln: "5790000199990" };
const hubStatusUpdate = (sender: { sor?: string; gln?: string }) =>
  homecareMessage({
    kind: "status-update",
    sender,
    content: {
      kind: "status-update",
      subject: { type: "referral", id: "REF-1" },
      status: "booked",
      occurredAt: "2026-03-02T09:00:00Z",
    },
  });

describe("checkSource", () => {
  it("accepts a message whose sender is the endpoint that sent it", () => {
    expect(checkSource(homecareMessage(), acuteTeam, registry)).toEqual([]);
    expect(checkSource(homecareMessage({ sender: { gln: "5790000123117" } }), acuteTeam, registry)).toEqual([]);
  });

  it("refuses a sender SOR registered to another endpoint (spoofing)", () => {
    const issues = checkSource(homecareMessage({ sender: { sor: "52581000016005" } }), acuteTeam, registry);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.code).toBe("CAREHUB_ERR_INTAKE_SENDER_MISMATCH");
    expect(issues[0]?.message).toContain("registered to endpoint practice");
    expect(issues[0]?.message).toContain("endpoint acute-team sent it");
  });

  it("refuses a sender whose SOR is right but whose GLN belongs to someone else", () => {
    const message = homecareMessage({ sender: { sor: "1144561000016002", gln: "5790000127092" } });
    expect(checkSource(message, acuteTeam, registry).map((i) => i.code)).toEqual([
      "CAREHUB_ERR_INTAKE_SENDER_MISMATCH",
    ]);
  });

  it("refuses a sender the registry does not know at all", () => {
    const issues = checkSource(homecareMessage({ sender: { sor: "99999999999" } }), acuteTeam, registry);
    expect(issues[0]?.message).toContain("not registered to it");
  });

  it("refuses a kind the endpoint may not send", () => {
    const message = homecareMessage({ sender: { sor: "52581000016005" } });
    expect(checkSource(message, practice, registry).map((i) => i.code)).toEqual([
      "CAREHUB_ERR_INTAKE_KIND_NOT_ALLOWED",
    ]);
  });

  it("gives each issue a MedCom issue-details code", () => {
    const issues = checkSource(homecareMessage({ sender: { sor: "99999999999" } }), practice, registry);
    expect(issues.map((i) => i.medcomCode)).toEqual(["MSG_INVALID_ID", "MSG_RESOURCE_NOT_ALLOWED"]);
  });

  describe("a message on the hub's own INGRESS subject", () => {
    it("accepts a status update that names the hub as its sender", () => {
      expect(checkHubSource(hubStatusUpdate({ sor: hub.sor, gln: hub.gln }), hub, registry)).toEqual([]);
      expect(checkHubSource(hubStatusUpdate({ gln: hub.gln }), hub, registry)).toEqual([]);
    });

    it("refuses a sender other than the hub, naming the endpoint it belongs to", () => {
      const issues = checkHubSource(hubStatusUpdate({ sor: "52581000016005" }), hub, registry);
      expect(issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_INTAKE_SENDER_MISMATCH"]);
      expect(issues[0]?.message).toContain("registered to endpoint practice");
      expect(issues[0]?.message).toContain("the hub (carehub) sent it");
    });

    it("refuses the hub's SOR id with an endpoint's GLN", () => {
      const issues = checkHubSource(hubStatusUpdate({ sor: hub.sor, gln: "5790000127092" }), hub, registry);
      expect(issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_INTAKE_SENDER_MISMATCH"]);
    });

    it("refuses a kind the hub does not make", () => {
      const issues = checkHubSource(homecareMessage({ sender: { sor: hub.sor } }), hub, registry);
      expect(issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_INTAKE_KIND_NOT_ALLOWED"]);
    });
  });
});
