import { PermanentError } from "@carehub/schemas";
import { type NatsServerHandle, startNatsServer, testNamespace } from "@carehub/testkit";
import { Objm } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../test/helpers.ts";
import { ClaimCheck } from "./claim-check.ts";
import {
  type Bus,
  connectBus,
  HEADER,
  type InboundMessage,
  inlineMessageLimit,
  messageRetention,
  serverMaxPayload,
  sweepClaimChecks,
} from "./index.ts";
import { publishMessage } from "./publisher.ts";

/**
 * Claim check against a real NATS server (issue 16, item 4): what goes inline and what goes to the object store,
 * sealing together with it, dead letters and redrives moving the reference, and an object that is gone. A private
 * nats-server with a 256 KiB max_payload keeps the payloads small (the e2e test/message-size.e2e.test.ts sends
 * 9 MiB through the whole hub on the shared 8 MiB server).
 */
const MAX_PAYLOAD = 256 * 1024;

const CPR = "0101012345";
const namespace = testNamespace("claim");
let server: NatsServerHandle;
let bus: Bus;
let sealing: Bus;
let inline: number;

/** `size` bytes that start with a CPR number, each call different (so each is a distinct object). */
let made = 0;
function payloadOf(size: number): Buffer {
  const bytes = Buffer.alloc(size, 32 + (made++ % 90));
  bytes.write(`{"cpr":"${CPR}"}`);
  return bytes;
}

async function raw(stream: string, seq: number) {
  const stored = await bus.jsm.streams.getMessage(stream, { seq });
  if (stored === null) throw new Error(`no ${stream}#${seq}`);
  return { data: stored.data, claim: stored.header?.get(HEADER.claimCheck) ?? "" };
}

beforeAll(async () => {
  server = await startNatsServer({ maxPayload: MAX_PAYLOAD });
  bus = await connectBus({ servers: server.url, name: `test-${namespace}`, namespace });
  await bus.provision();
  sealing = await connectBus({
    servers: server.url,
    name: `test-${namespace}`,
    namespace,
    payloadKeys: [{ id: "k1", base64: Buffer.alloc(32, 1).toString("base64") }],
  });
  expect(serverMaxPayload(bus.nc)).toBe(MAX_PAYLOAD);
  inline = inlineMessageLimit(serverMaxPayload(bus.nc));
});

afterAll(async () => {
  await Promise.allSettled([bus?.drain(), sealing?.drain()]);
  await server?.stop();
});

describe("claim check", () => {
  it("keeps a payload at the inline limit in the message and claim-checks one byte more; both read back as sent", async () => {
    const subject = bus.topology.subjects.ingress("gp-a");
    const atLimit = payloadOf(inline);
    const over = payloadOf(inline + 1);
    const first = await bus.publish(subject, atLimit, { msgId: "a-1" });
    const second = await bus.publish(subject, over, { msgId: "a-2" });

    const stream = bus.topology.streams.ingress;
    expect((await raw(stream, first.seq)).claim).toBe("");
    expect((await raw(stream, second.seq)).data.byteLength).toBe(0);
    expect((await raw(stream, second.seq)).claim).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from((await bus.getMessage(stream, second.seq))?.data ?? []).equals(over)).toBe(true);

    const seen: Buffer[] = [];
    const running = await bus.consume({
      stream,
      durable: "claim-a",
      filterSubject: subject,
      stage: "claim-a",
      handler: async (m: InboundMessage) => {
        seen.push(Buffer.from(m.data));
      },
    });
    await waitFor("both messages", () => seen.length === 2);
    await running.stop();
    expect(seen[0]?.equals(atLimit)).toBe(true);
    expect(seen[1]?.equals(over)).toBe(true);
  });

  it("keeps objects as long as the longest-kept stream that may point at one, following the retention", async () => {
    const DAY_NS = 86_400_000 * 1_000_000;
    const bucketAge = async () => (await bus.jsm.streams.info(`OBJ_${bus.topology.payloadBucket}`)).config.max_age;
    // Provisioned with the defaults: DLQ and PIPELINE keep 90 days, the longest of INGRESS, PIPELINE, OUTBOX, DLQ.
    expect(await bucketAge()).toBe(90 * DAY_NS);
    await bus.provision({ retention: messageRetention(2) });
    expect(await bucketAge()).toBe(2 * DAY_NS);
    await bus.provision();
    expect(await bucketAge()).toBe(90 * DAY_NS);
  });

  it("stores the same bytes once for several messages (one copy per receiver)", async () => {
    const bytes = payloadOf(inline + 10);
    const a = await bus.publish(bus.topology.subjects.outbox("rx-a"), bytes, { msgId: "s-1:rx-a" });
    const b = await bus.publish(bus.topology.subjects.outbox("rx-b"), bytes, { msgId: "s-1:rx-b" });
    const stream = bus.topology.streams.outbox;
    const name = (await raw(stream, a.seq)).claim;
    expect((await raw(stream, b.seq)).claim).toBe(name);
    const store = await new Objm(bus.js).open(bus.topology.payloadBucket);
    const info = await store.info(name);
    expect(info?.size).toBe(bytes.byteLength);
  });

  it("claim-checks the sealed payload: the stored object holds no CPR number", async () => {
    const bytes = payloadOf(inline + 1);
    const sent = await sealing.publish(sealing.topology.subjects.ingress("gp-s"), bytes, { msgId: "sealed-1" });
    const name = (await raw(sealing.topology.streams.ingress, sent.seq)).claim;
    const object = await (await new Objm(bus.js).open(bus.topology.payloadBucket)).getBlob(name);
    expect(object?.byteLength).toBe(bytes.byteLength + 28);
    expect(Buffer.from(object ?? []).includes(CPR)).toBe(false);
    const read = await sealing.getMessage(sealing.topology.streams.ingress, sent.seq);
    expect(Buffer.from(read?.data ?? []).equals(bytes)).toBe(true);
  });

  it("moves a claim check written before sealing was on as it is: a sealing bus dead-lettering it does not seal the reference", async () => {
    const bytes = payloadOf(inline + 1);
    const sent = await bus.publish(bus.topology.subjects.ingress("gp-m"), bytes, { msgId: "m-1" });
    const name = (await raw(bus.topology.streams.ingress, sent.seq)).claim;
    // What the consumer wrapper does with a dead letter: the stored (empty) payload and the stored headers.
    const moved = await sealing.publish(sealing.topology.subjects.dlq("claim-m"), new Uint8Array(0), {
      msgId: "m-1:dead",
      headers: { [HEADER.claimCheck]: name },
    });
    const read = await sealing.getMessage(sealing.topology.streams.dlq, moved.seq);
    expect(Buffer.from(read?.data ?? []).equals(bytes)).toBe(true);
  });

  it("dead-letters and redrives the reference, not the bytes; an object gone is CAREHUB_ERR_BUS_CLAIM_CHECK_MISSING", async () => {
    const subject = bus.topology.subjects.ingress("gp-d");
    const bytes = payloadOf(inline + 1);
    const sent = await bus.publish(subject, bytes, { msgId: "d-1" });
    const name = (await raw(bus.topology.streams.ingress, sent.seq)).claim;
    const running = await bus.consume({
      stream: bus.topology.streams.ingress,
      durable: "claim-d",
      filterSubject: subject,
      stage: "claim-d",
      handler: async () => {
        throw new PermanentError("CAREHUB_ERR_TEST_REFUSED", "refused for the test");
      },
    });
    const dlq = bus.topology.streams.dlq;
    const letter = await (async () => {
      let found: Awaited<ReturnType<typeof bus.jsm.streams.getMessage>> = null;
      await waitFor("the dead letter", async () => {
        found = await bus.jsm.streams
          .getMessage(dlq, { last_by_subj: bus.topology.subjects.dlq("claim-d") })
          .catch(() => null);
        return found !== null;
      });
      return found as Awaited<ReturnType<typeof bus.jsm.streams.getMessage>>;
    })();
    await running.stop();
    expect(letter?.data.byteLength).toBe(0);
    expect(letter?.header?.get(HEADER.claimCheck)).toBe(name);

    expect(await bus.redrive("claim-d")).toEqual({ redriven: 1 });
    const last = (await bus.jsm.streams.info(bus.topology.streams.ingress)).state.last_seq;
    expect((await raw(bus.topology.streams.ingress, last)).claim).toBe(name);
    expect(Buffer.from((await bus.getMessage(bus.topology.streams.ingress, last))?.data ?? []).equals(bytes)).toBe(
      true,
    );

    await (await new Objm(bus.js).open(bus.topology.payloadBucket)).delete(name);
    await expect(bus.getMessage(bus.topology.streams.ingress, last)).rejects.toMatchObject({
      code: "CAREHUB_ERR_BUS_CLAIM_CHECK_MISSING",
      retryable: false,
    });
  });
});

describe("claim-check sweep (docs/decisions/0061)", () => {
  const store = () => new Objm(bus.js).open(bus.topology.payloadBucket);
  const stored = async (name: string) => {
    const info = await (await store()).info(name);
    return info !== null && !info.deleted;
  };
  // Every object counts as old enough: the sweep's clock is a day ahead.
  const sweep = () => sweepClaimChecks(bus, { now: () => Date.now() + 86_400_000 });

  it("deletes an object once no stream message names it, and keeps one a DLQ copy still names for a redrive", async () => {
    const gone = payloadOf(inline + 1);
    const kept = payloadOf(inline + 2);
    const first = await bus.publish(bus.topology.subjects.ingress("gp-sweep"), gone, { msgId: "sw-1" });
    const second = await bus.publish(bus.topology.subjects.ingress("gp-sweep"), kept, { msgId: "sw-2" });
    const goneName = (await raw(bus.topology.streams.ingress, first.seq)).claim;
    const keptName = (await raw(bus.topology.streams.ingress, second.seq)).claim;
    // The second message was dead-lettered: the DLQ copy names the object (what the consumer wrapper writes).
    await bus.publish(bus.topology.subjects.dlq("claim-sweep"), new Uint8Array(0), {
      msgId: "sw-2:dead",
      headers: { [HEADER.claimCheck]: keptName },
    });

    expect((await sweep()).deleted).toBe(0);
    expect(await stored(goneName)).toBe(true);

    // Both INGRESS copies leave (as by age or size); only the DLQ copy of the second remains.
    await bus.jsm.streams.deleteMessage(bus.topology.streams.ingress, first.seq);
    await bus.jsm.streams.deleteMessage(bus.topology.streams.ingress, second.seq);
    const report = await sweep();
    expect(report.deleted).toBeGreaterThanOrEqual(1);
    expect(await stored(goneName)).toBe(false);
    expect(await stored(keptName)).toBe(true);
    const letter = await bus.jsm.streams.getMessage(bus.topology.streams.dlq, {
      last_by_subj: bus.topology.subjects.dlq("claim-sweep"),
    });
    const read = await bus.getMessage(bus.topology.streams.dlq, letter?.seq ?? 0);
    expect(Buffer.from(read?.data ?? []).equals(kept)).toBe(true);
  });

  it("never deletes an object younger than the minimum age, named or not", async () => {
    const bytes = payloadOf(inline + 3);
    const sent = await bus.publish(bus.topology.subjects.outbox("rx-young"), bytes, { msgId: "sw-young" });
    const name = (await raw(bus.topology.streams.outbox, sent.seq)).claim;
    await bus.jsm.streams.deleteMessage(bus.topology.streams.outbox, sent.seq);
    await sweepClaimChecks(bus);
    expect(await stored(name)).toBe(true);
  });

  it("stores a payload again when a sweep took its object between the put and the message's write", async () => {
    const bytes = payloadOf(inline + 4);
    // A sweep deletes the object right after the put, before the message naming it is written.
    class SweptAfterPut extends ClaimCheck {
      override async put(payload: Uint8Array): Promise<string> {
        const name = await super.put(payload);
        await (await store()).delete(name);
        return name;
      }
    }
    const claimCheck = new SweptAfterPut(bus.js, bus.topology, inline);
    const subject = bus.topology.subjects.pipeline("lab-result");
    const sent = await publishMessage(bus.nc, subject, bytes, { msgId: "sw-race" }, { cipher: undefined, claimCheck });
    const name = (await raw(bus.topology.streams.pipeline, sent.seq)).claim;
    expect(await stored(name)).toBe(true);
    expect(Buffer.from((await bus.getMessage(bus.topology.streams.pipeline, sent.seq))?.data ?? []).equals(bytes)).toBe(
      true,
    );
  });
});
