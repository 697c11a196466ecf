import { createHash } from "node:crypto";
import { PermanentError } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../test/helpers.ts";
import {
  type Bus,
  connectBus,
  formatPayloadReference,
  HEADER,
  type InboundMessage,
  OUTBOX_REFERENCE_MARGIN_MS,
  OutboxReferencePolicy,
} from "./index.ts";

/**
 * OUTBOX by reference (docs/decisions/0109) on a real NATS server, with payload encryption on: an OUTBOX entry that
 * names the INGRESS copy reads as those bytes through every read of the bus, a reference that cannot be followed is
 * dead-lettered with its code (never handed over empty or as other bytes), a dead letter stores the bytes, and the
 * router's policy sends copies by reference only while INGRESS outlives them.
 */

const CPR = "0101012345";
const K1 = { id: "k1", base64: Buffer.alloc(32, 7).toString("base64") };
const DAY_MS = 24 * 60 * 60 * 1000;

const namespace = testNamespace("payref");
const bounded = testNamespace("payrefb");
let bus: Bus;
let boundedBus: Bus;

/** Every byte value, a CPR number and Danish letters: what a byte-for-byte check must carry across. */
function payloadOf(label: string): Uint8Array {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  return Buffer.concat([Buffer.from(`<msg id="${label}" cpr="${CPR}">blodtryk æøå</msg>`), all]);
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** The message on INGRESS as the gateway stores it (hub id header), returning its reference. */
async function toIngress(hubId: string, data: Uint8Array): Promise<string> {
  const stored = await bus.publish(bus.topology.subjects.ingress("gp-a"), data, {
    msgId: hubId,
    headers: { [HEADER.hubId]: hubId, "Carehub-Source-Endpoint": "gp-a" },
  });
  return referenceTo(stored.seq, data);
}

/** A router's copy by reference on `<ns>.outbox.<endpoint>`. */
async function copyByReference(endpoint: string, hubId: string, reference: string): Promise<number> {
  const { seq } = await bus.publish(bus.topology.subjects.outbox(endpoint), new Uint8Array(0), {
    msgId: `${hubId}:${endpoint}`,
    contentType: "application/xml",
    headers: { [HEADER.hubId]: hubId, "Carehub-Receiver": endpoint, [HEADER.payloadRef]: reference },
  });
  return seq;
}

/** A reference to INGRESS sequence `seq` naming `bytes` (their size and digest). */
function referenceTo(seq: number, bytes: Uint8Array): string {
  return formatPayloadReference({
    stream: bus.topology.streams.ingress,
    seq,
    size: bytes.byteLength,
    sha256: sha256(bytes),
  });
}

/** Copies `reference` to `endpoint`'s OUTBOX subject and expects it dead-lettered INVALID, never handed over. */
async function expectInvalid(endpoint: string, hubId: string, reference: string) {
  const seq = await copyByReference(endpoint, hubId, reference);
  const { dead, handled } = await deadLettered(endpoint, seq);
  expect(handled).toBe(0);
  expect(dead.header?.get(HEADER.errorCode)).toBe("CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_INVALID");
  return dead;
}

/** The message as JetStream stores it, read past the bus. */
async function raw(stream: string, seq: number) {
  const stored = await bus.jsm.streams.getMessage(stream, { seq });
  if (stored === null) throw new Error(`no message #${seq}`);
  return stored;
}

/** Runs a consumer of one endpoint's OUTBOX subject until `done`, collecting what its handler was handed. */
async function consumeOutbox(
  endpoint: string,
  done: () => Promise<boolean>,
  handler: (m: InboundMessage) => Promise<void> = async () => undefined,
): Promise<Uint8Array[]> {
  const seen: Uint8Array[] = [];
  const running = await bus.consume({
    stream: bus.topology.streams.outbox,
    durable: `d-${endpoint}`,
    filterSubject: bus.topology.subjects.outbox(endpoint),
    stage: "dispatcher",
    maxDeliver: 2,
    backoffMs: [20],
    handler: async (m: InboundMessage) => {
      seen.push(m.data);
      await handler(m);
    },
  });
  try {
    await waitFor(`the OUTBOX consumer of ${endpoint}`, done);
  } finally {
    await running.stop();
  }
  return seen;
}

/** The dead letter of OUTBOX sequence `seq`, once stored. */
async function deadLetterOf(seq: number) {
  let found: Awaited<ReturnType<typeof raw>> | undefined;
  await waitFor(`the dead letter of OUTBOX #${seq}`, async () => {
    const info = await bus.jsm.streams.info(bus.topology.streams.dlq);
    for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
      const m = await bus.jsm.streams.getMessage(bus.topology.streams.dlq, { seq: s }).catch(() => null);
      if (m?.header?.get(HEADER.originalSeq) === String(seq)) found = m;
    }
    return found !== undefined;
  });
  return found as NonNullable<typeof found>;
}

/**
 * Consumes `endpoint`'s OUTBOX subject until the copy at `seq` is dead-lettered; returns its dead letter and how
 * often the handler (`handler`, else a counter only) was handed a payload.
 */
async function deadLettered(
  endpoint: string,
  seq: number,
  handler: () => Promise<void> = async () => undefined,
): Promise<{ dead: Awaited<ReturnType<typeof deadLetterOf>>; handled: number }> {
  let handled = 0;
  const found = deadLetterOf(seq);
  await consumeOutbox(
    endpoint,
    async () => (await found.catch(() => undefined)) !== undefined,
    async () => {
      handled++;
      await handler();
    },
  );
  return { dead: await found, handled };
}

beforeAll(async () => {
  bus = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace, payloadKeys: [K1] });
  await bus.provision();
  boundedBus = await connectBus({ servers: sharedNatsUrl(), name: `test-${bounded}`, namespace: bounded });
  await boundedBus.provision({ retention: { ingressMaxBytes: 64 * 1024 * 1024 } });
});

afterAll(async () => {
  await cleanupNamespace({ namespace, bus });
  await cleanupNamespace({ namespace: bounded, bus: boundedBus });
  await Promise.allSettled([bus.drain(), boundedBus.drain()]);
});

describe("an OUTBOX copy by reference", () => {
  it("is stored empty and unsealed, and reads as the INGRESS bytes, byte for byte, through getMessage and a consumer", async () => {
    const data = payloadOf("a");
    const reference = await toIngress("hub-a", data);
    const seq = await copyByReference("ep-a", "hub-a", reference);

    // Catches the payload copied after all, or an empty payload sealed (a key header and 28 bytes per copy).
    const stored = await raw(bus.topology.streams.outbox, seq);
    expect(stored.data.byteLength).toBe(0);
    expect(stored.header?.get(HEADER.payloadKey) ?? "").toBe("");
    // INGRESS holds it sealed: no CPR number at rest.
    const ingress = await raw(bus.topology.streams.ingress, Number(reference.split(":")[1]));
    expect(Buffer.from(ingress.data).includes(CPR)).toBe(false);

    // Catches a reader that hands over the entry's own (empty) bytes, or leaves the reference in the headers of what
    // a re-send would publish again.
    const read = await bus.getMessage(bus.topology.streams.outbox, seq);
    expect(Buffer.from(read?.data ?? []).equals(Buffer.from(data))).toBe(true);
    expect(read?.headers[HEADER.payloadRef]).toBeUndefined();

    const seen = await consumeOutbox(
      "ep-a",
      async () => (await bus.jsm.consumers.info(bus.topology.streams.outbox, "d-ep-a")).num_pending === 0,
    );
    expect(seen).toHaveLength(1);
    expect(Buffer.from(seen[0] ?? []).equals(Buffer.from(data))).toBe(true);
  });

  it("reads INGRESS once for the copies of one message in hand together", async () => {
    const data = payloadOf("shared");
    const reference = await toIngress("hub-shared", data);
    const reads: number[] = [];
    const original = bus.getMessage.bind(bus);
    // Counts the reads of the INGRESS copy the references make (the bus's own getMessage).
    const counting = Object.assign(bus, {
      getMessage: (stream: string, seq: number) => {
        if (stream === bus.topology.streams.ingress) reads.push(seq);
        return original(stream, seq);
      },
    });
    try {
      const [first, second] = await Promise.all([
        counting.readPayload({ data: new Uint8Array(0), headers: headersOf("hub-shared", reference) }, outbox()),
        counting.readPayload({ data: new Uint8Array(0), headers: headersOf("hub-shared", reference) }, outbox()),
      ]);
      expect(Buffer.from(first).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from(second).equals(Buffer.from(data))).toBe(true);
      // Catches a read per copy: two receivers of one message, one direct get.
      expect(reads).toHaveLength(1);
      // A copy read after the first read settled (another receiver's consumer some messages behind) comes from the
      // last 4 MiB kept: catches a keep that keeps nothing.
      const later = await counting.readPayload(
        { data: new Uint8Array(0), headers: headersOf("hub-shared", reference) },
        outbox(),
      );
      expect(Buffer.from(later).equals(Buffer.from(data))).toBe(true);
      expect(reads).toHaveLength(1);
    } finally {
      Object.assign(bus, { getMessage: original });
    }
  });

  it("checks every reference's digest against a copy already read and hashed", async () => {
    const data = payloadOf("hashed-once");
    const reference = await toIngress("hub-hashed", data);
    const read = (ref: string) =>
      bus.readPayload({ data: new Uint8Array(0), headers: headersOf("hub-hashed", ref) }, outbox());
    const first = await read(reference);
    expect(Buffer.from(first).equals(Buffer.from(data))).toBe(true);
    // A reference to the same INGRESS entry and size under another digest, once that entry's bytes are kept and
    // hashed. Catches a digest checked once per kept copy rather than once per reference: another message's
    // bytes handed over for a forged (or re-created stream's) reference.
    const forged = formatPayloadReference({
      stream: bus.topology.streams.ingress,
      seq: Number(reference.split(":")[1]),
      size: data.byteLength,
      sha256: sha256(payloadOf("hashed-twice")),
    });
    await expect(read(forged)).rejects.toMatchObject({ code: "CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_INVALID" });
    // And the reference meant still reads, from the kept copy and its kept hash.
    expect(Buffer.from(await read(reference)).equals(Buffer.from(data))).toBe(true);
  });

  it("whose INGRESS copy is gone is dead-lettered with CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_MISSING, never handed over", async () => {
    const reference = await toIngress("hub-gone", payloadOf("gone"));
    await bus.jsm.streams.deleteMessage(bus.topology.streams.ingress, Number(reference.split(":")[1]));
    const seq = await copyByReference("ep-gone", "hub-gone", reference);

    const { dead, handled } = await deadLettered("ep-gone", seq);
    // Catches an empty body delivered in place of the lost one.
    expect(handled).toBe(0);
    expect(dead.header?.get(HEADER.errorCode)).toBe("CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_MISSING");
    // Still inspectable: whose it was, and what it pointed at.
    expect(dead.header?.get(HEADER.hubId)).toBe("hub-gone");
    expect(dead.header?.get(HEADER.payloadRef)).toBe(reference);
  });

  it("to other bytes than it names is dead-lettered with CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_INVALID", async () => {
    // Another message at the sequence (a stream re-created under its name): same size, another hub id and digest.
    const there = payloadOf("there");
    const meant = payloadOf("meant");
    expect(there.byteLength).toBe(meant.byteLength);
    const other = await toIngress("hub-there", there);
    // Catches the digest check skipped when the hub ids differ: another patient's letter delivered.
    await expectInvalid("ep-wrong", "hub-meant", referenceTo(Number(other.split(":")[1]), meant));
  });

  it("is INVALID when the target's bytes are not the digest's, even under the entry's own hub id", async () => {
    // A hub id is the sender's message id made the hub's, not one per INGRESS entry, and INGRESS headers are the
    // sender's: a second INGRESS message under the same id (or a forged Carehub-Hub-Id) must not stand in.
    const meant = payloadOf("same-a");
    const there = payloadOf("same-b");
    const other = await toIngress("hub-same", there);
    // Catches the digest skipped when the target's hub id header matches the entry's.
    await expectInvalid("ep-same", "hub-same", referenceTo(Number(other.split(":")[1]), meant));
  });

  it("that is malformed or names another stream is INVALID, its value never echoed in the error", async () => {
    const secret = "Jensen-Hansen-forloeb";
    for (const [endpoint, value] of [
      ["ep-bad", `${secret}:1:2:3`],
      ["ep-far", `${secret.toUpperCase()}:1:2:${"a".repeat(64)}`],
    ] as const) {
      const dead = await expectInvalid(endpoint, `hub-${endpoint}`, value);
      // Catches the raw header put into the error, which goes to DLQ headers and lifecycle events.
      expect(dead.header?.get(HEADER.errorMessage).toLowerCase()).not.toContain(secret.toLowerCase());
    }
  });

  it("whose INGRESS copy cannot be read just now is handed back, not dead-lettered as a bare reference", async () => {
    const data = payloadOf("flaky");
    const reference = await toIngress("hub-flaky", data);
    const seq = await copyByReference("ep-flaky", "hub-flaky", reference);
    const original = bus.getMessage.bind(bus);
    let failures = 3;
    // NATS trouble on the first three reads of the INGRESS copy: both deliveries' reads and the dead letter's re-read.
    Object.assign(bus, {
      getMessage: (stream: string, s: number) => {
        if (stream === bus.topology.streams.ingress && failures > 0) {
          failures--;
          return Promise.reject(new Error("TIMEOUT"));
        }
        return original(stream, s);
      },
    });
    try {
      const { dead, handled } = await deadLettered("ep-flaky", seq);
      expect(handled).toBe(0);
      expect(failures).toBe(0);
      // Catches a retryable read error that leaves a bare reference in the DLQ (gone with INGRESS's copy).
      expect(dead.header?.get(HEADER.payloadRef) ?? "").toBe("");
      const read = await bus.getMessage(bus.topology.streams.dlq, dead.seq);
      expect(Buffer.from(read?.data ?? []).equals(Buffer.from(data))).toBe(true);
    } finally {
      Object.assign(bus, { getMessage: original });
    }
  });

  it("is dead-lettered with its bytes, sealed, not the reference (the DLQ keeps longer than INGRESS)", async () => {
    const data = payloadOf("dead");
    const reference = await toIngress("hub-dead", data);
    const seq = await copyByReference("ep-dead", "hub-dead", reference);
    const { dead } = await deadLettered("ep-dead", seq, async () => {
      throw new PermanentError("TEST_REFUSED", "the receiver refused it for good");
    });
    // Catches a dead letter that keeps pointing at INGRESS: after INGRESS's 30 days the DLQ's 90 would hold nothing.
    expect(dead.header?.get(HEADER.payloadRef) ?? "").toBe("");
    expect(dead.header?.get(HEADER.payloadKey)).toBe("k1");
    expect(Buffer.from(dead.data).includes(CPR)).toBe(false);
    const read = await bus.getMessage(bus.topology.streams.dlq, dead.seq);
    expect(Buffer.from(read?.data ?? []).equals(Buffer.from(data))).toBe(true);
  });
});

describe("a reference header on INGRESS (an endpoint writes its own headers)", () => {
  /** An INGRESS message of `gp-a` carrying `reference` (a function of the sequence it will be stored at). */
  async function forged(data: Uint8Array, reference: (seq: number) => string): Promise<number> {
    const next = (await bus.jsm.streams.info(bus.topology.streams.ingress)).state.last_seq + 1;
    const stored = await bus.publish(bus.topology.subjects.ingress("gp-a"), data, {
      msgId: `forged-${next}`,
      headers: { "Carehub-Source-Endpoint": "gp-a", [HEADER.payloadRef]: reference(next) },
    });
    expect(stored.seq).toBe(next);
    return stored.seq;
  }

  it("is never followed: a self or another sender's reference reads as the message's own bytes, and does not hang", async () => {
    const victim = payloadOf("victim");
    const victimRef = await toIngress("hub-victim", victim);
    const own = payloadOf("own-bytes");
    const ingress = bus.topology.streams.ingress;
    const selfSeq = await forged(own, (seq) => referenceTo(seq, own));
    const otherSeq = await forged(own, () => victimRef);

    // Catches a reference followed on INGRESS: the self-reference awaited its own read for ever (the bus's read
    // hung, and with it intake), the other one handed a sender another sender's bytes.
    for (const seq of [selfSeq, otherSeq]) {
      const read = await bus.getMessage(ingress, seq);
      expect(Buffer.from(read?.data ?? []).equals(Buffer.from(own))).toBe(true);
      const stored = await raw(ingress, seq);
      const payload = await bus.readPayload({ data: stored.data, headers: stored.header }, ingress);
      expect(Buffer.from(payload).equals(Buffer.from(own))).toBe(true);
    }
    const seen: Uint8Array[] = [];
    const running = await bus.consume({
      stream: ingress,
      durable: "d-forged",
      filterSubject: bus.topology.subjects.ingress("gp-a"),
      stage: "intake",
      maxDeliver: 1,
      handler: async (m: InboundMessage) => {
        if (m.seq === selfSeq || m.seq === otherSeq) seen.push(m.data);
      },
    });
    try {
      await waitFor("the forged INGRESS messages consumed", async () => seen.length === 2);
    } finally {
      await running.stop();
    }
    for (const data of seen) expect(Buffer.from(data).equals(Buffer.from(own))).toBe(true);
  });

  it("makes it an invalid target: an OUTBOX copy naming it is dead-lettered INVALID, not followed twice", async () => {
    const victimRef = await toIngress("hub-victim2", payloadOf("victim2"));
    const own = payloadOf("chained");
    const targetSeq = await forged(own, () => victimRef);
    // Catches the target's own header ignored (its bytes delivered as if plain) or followed (another's bytes).
    await expectInvalid("ep-chain", "hub-chain", referenceTo(targetSeq, own));
  });
});

describe("the router's reference policy", () => {
  it("references only while INGRESS outlives the OUTBOX entry by the margin", async () => {
    const now = Date.UTC(2026, 11, 7);
    const policy = new OutboxReferencePolicy(bus, { now: () => now });
    // Defaults: INGRESS 30 days, OUTBOX 7.
    expect(await policy.allows(now)).toBe(true);
    expect(await policy.allows(now - 23 * DAY_MS + OUTBOX_REFERENCE_MARGIN_MS)).toBe(true);
    // Catches the age rule left out: a message routed 23 days after it arrived would outlive its INGRESS copy.
    expect(await policy.allows(now - 23 * DAY_MS + OUTBOX_REFERENCE_MARGIN_MS - 1)).toBe(false);
    expect(await policy.allows(Number.NaN)).toBe(false);
  });

  it("never references while INGRESS may drop by size: its max_bytes, or the hub's size budget", async () => {
    const now = Date.now();
    // Catches a policy that reads the age only: a size-bounded INGRESS drops messages whatever their age.
    expect(await new OutboxReferencePolicy(boundedBus, { now: () => now }).allows(now)).toBe(false);
    expect(await new OutboxReferencePolicy(bus, { sizeBudgetBytes: 1 << 30, now: () => now }).allows(now)).toBe(false);
  });

  // What an operator hits after `nats stream edit` on a live INGRESS (the hub never sets a count). Catches a policy
  // that reads max_bytes only (a count limit drops the oldest copies whatever their age, under OUTBOX entries that
  // name them), or that never reads the stream again (the limit taken off, copies would stay inline for good).
  it("never references while INGRESS may drop by count: max_msgs or max_msgs_per_subject set by hand", async () => {
    const ns = testNamespace("payrefc");
    const other = await connectBus({ servers: sharedNatsUrl(), name: `test-${ns}`, namespace: ns });
    try {
      await other.provision({ outboxByReference: true });
      let now = Date.now();
      const policy = new OutboxReferencePolicy(other, { now: () => now });
      expect(await policy.allows(now)).toBe(true);
      const edit = async (limits: { max_msgs?: number; max_msgs_per_subject?: number }) => {
        const { config } = await other.jsm.streams.info(other.topology.streams.ingress);
        const { storage: _storage, retention: _retention, ...updatable } = config;
        await other.jsm.streams.update(other.topology.streams.ingress, { ...updatable, ...limits });
        now += 61_000; // past the policy's minute of keeping what it read
      };
      await edit({ max_msgs: 1_000_000 });
      expect(await policy.allows(now), "max_msgs").toBe(false);
      await edit({ max_msgs: -1, max_msgs_per_subject: 10_000 });
      expect(await policy.allows(now), "max_msgs_per_subject").toBe(false);
      await edit({ max_msgs_per_subject: -1 });
      expect(await policy.allows(now), "limits taken off").toBe(true);
    } finally {
      await cleanupNamespace({ namespace: ns, bus: other });
      await other.drain();
    }
  });
});

function outbox(): string {
  return bus.topology.streams.outbox;
}

function headersOf(hubId: string, reference: string) {
  const record: Record<string, string> = { [HEADER.hubId]: hubId, [HEADER.payloadRef]: reference };
  return { get: (name: string) => record[name] ?? "" } as unknown as Parameters<Bus["readPayload"]>[0]["headers"];
}

describe("provisioning with OUTBOX by reference on", () => {
  it("refuses to shorten INGRESS's max_age below OUTBOX's plus the margin, and lets it through when off", async () => {
    const ns = testNamespace("payrefp");
    const other = await connectBus({ servers: sharedNatsUrl(), name: `test-${ns}`, namespace: ns });
    try {
      await other.provision({ outboxByReference: true });
      const short = { retention: { ingressMaxAgeMs: 7 * DAY_MS } };
      // Catches the shortening let through: copies by reference written under 30 days would outlive INGRESS.
      await expect(other.provision({ ...short, outboxByReference: true })).rejects.toThrow(/max_age: shortening/);
      const ingress = await other.jsm.streams.info(other.topology.streams.ingress);
      expect(ingress.config.max_age).toBe(30 * DAY_MS * 1_000_000);
      await expect(
        other.provision({ retention: { ingressMaxAgeMs: 8 * DAY_MS }, outboxByReference: true }),
      ).resolves.toBeDefined();
      await expect(other.provision(short)).resolves.toBeDefined();
    } finally {
      await cleanupNamespace({ namespace: ns, bus: other });
      await other.drain();
    }
  });
});
