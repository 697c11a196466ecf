import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildNotification } from "@carehub/medcom-fhir";
import type { MessageLifecycle } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";

/**
 * Advisering through a whole hub (docs/contracts.md, "Advisering"): a notification is fire-and-forget — with
 * `kinds.notification.acknowledgement: not-expected` in the registry it never becomes ack-overdue while a
 * message of another kind, delivered alongside and equally unanswered, does; and a notification whose expiry has
 * passed is dead-lettered as expired instead of being delivered late.
 */

const HOMECARE = readFileSync(
  new URL(
    "./fixtures/medcom/examples/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    import.meta.url,
  ),
);
const ACUTE_TEAM = { sor: "1144561000016002", gln: "5790000123117", name: "Pleje og Rehabilitering" };
const PRACTICE = { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis" };

let h: Harness;

/** A notification from the acute team to the practice ("your patient is waiting in the video queue"). */
function notification(expiresAt?: string): Uint8Array {
  const built = buildNotification({
    ids: { bundleId: randomUUID(), messageHeaderId: randomUUID() },
    now: new Date().toISOString(),
    sender: ACUTE_TEAM,
    receiver: PRACTICE,
    topic: "video-queue",
    text: "Borgeren venter i det virtuelle venteværelse.",
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  return Buffer.from(built.json);
}

async function send(bytes: Uint8Array): Promise<string> {
  const response = await h.send("acute-team", bytes, "application/fhir+json");
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function lifecycle(hubId: string): Promise<MessageLifecycle | undefined> {
  const response = await fetch(`${h.url}/v1/messages/${hubId}`, {
    headers: { authorization: `Bearer ${h.token("operator")}` },
  });
  return response.status === 200 ? ((await response.json()) as MessageLifecycle) : undefined;
}

function until(hubId: string, holds: (m: MessageLifecycle) => boolean, what: string): Promise<MessageLifecycle> {
  return h.waitFor(async () => {
    const found = await lifecycle(hubId);
    return found !== undefined && holds(found) ? found : undefined;
  }, what);
}

beforeAll(async () => {
  h = await startHarness({
    endpoints: defaultEndpoints().map((endpoint) => {
      if (endpoint.id === "acute-team") return { ...endpoint, sends: [...endpoint.sends, "notification"] };
      // A practice that never acknowledges anything, and whose acknowledgements are due after a second.
      if (endpoint.id === "practice") {
        return { ...endpoint, accepts: [...endpoint.accepts, "notification"], ackTimeoutSeconds: 1 };
      }
      return endpoint;
    }),
    registryFile: true,
  });
  await h.updateRegistry((registry) => ({ ...registry, kinds: { notification: { acknowledgement: "not-expected" } } }));
});

afterAll(async () => {
  await h?.close();
});

describe("advisering", () => {
  it("never awaits an acknowledgement of a notification when the registry says the kind expects none", async () => {
    expect(h.hub.registry.current().acknowledgementExpected("notification")).toBe(false);
    const nudge = await send(notification());
    const control = await send(HOMECARE);
    await until(nudge, (m) => m.status === "delivered", "the notification delivered");
    // Delivered at the same time to the same receiver, unanswered: once the control is overdue, so would it be.
    await until(control, (m) => m.ackOverdue, "the control to be ack-overdue");
    const record = await lifecycle(nudge);
    expect(record).toMatchObject({ status: "delivered", ackOverdue: false });
    expect(record?.perReceiver[0]?.ackDueAt).toBeUndefined();
    expect(record?.hops.map((hop) => hop.type)).not.toContain("ack-overdue");
  });

  it("dead-letters a notification whose expiry passed as expired, and delivers one still valid", async () => {
    const late = await send(notification(new Date(Date.now() - 60_000).toISOString()));
    const timely = await send(notification(new Date(Date.now() + 60 * 60_000).toISOString()));
    const dead = await until(late, (m) => m.status === "dead-lettered", "the late notification dead-lettered");
    expect(dead.perReceiver[0]).toMatchObject({ endpoint: "practice" });
    const events = await h.waitForEvents((e) => e.type === "dead-lettered" && e.hubId === late);
    expect(events[0]).toMatchObject({ reason: { code: "CAREHUB_ERR_DELIVERY_EXPIRED" } });
    await h.receiver("practice").waitFor((d) => d.some((x) => x.hubId === timely));
    expect(h.receiver("practice").deliveries.some((d) => d.hubId === late)).toBe(false);
  });
});
