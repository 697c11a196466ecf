import { metricsText } from "@carehub/observability";
import { MsgHdrsImpl } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testBus, text, waitFor, within } from "../test/helpers.ts";
import { type Bus, HEADER, type InboundMessage, jsonDecoder } from "./index.ts";
import { readMessage } from "./redrive.ts";

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("pubsub");
  bus = env.bus;
});
afterAll(() => env.cleanup());

describe("publish", () => {
  it("sets the dedup id, schema version and content type, and stores a repeat of the same id once", async () => {
    const subject = bus.topology.subjects.ingress("lps-1");
    const first = await bus.publish(subject, "<xml/>", {
      msgId: "hub-1",
      contentType: "application/xml",
      headers: { "Carehub-Hub-Id": "hub-1" },
    });
    const again = await bus.publish(subject, "<xml/>", { msgId: "hub-1", contentType: "application/xml" });
    expect(first).toEqual({ stream: bus.topology.streams.ingress, seq: first.seq, duplicate: false });
    expect(again).toEqual({ stream: bus.topology.streams.ingress, seq: first.seq, duplicate: true });
    expect((await bus.jsm.streams.info(bus.topology.streams.ingress)).state.messages).toBe(1);

    const stored = await bus.getMessage(bus.topology.streams.ingress, first.seq);
    expect(stored && text(stored.data)).toBe("<xml/>");
    expect(stored?.headers).toMatchObject({
      [HEADER.msgId]: "hub-1",
      [HEADER.schemaVersion]: "1",
      [HEADER.contentType]: "application/xml",
      [HEADER.hubId]: "hub-1",
    });
    expect(await bus.getMessage(bus.topology.streams.ingress, 9_999)).toBeNull();
  });

  it("refuses a publish to a subject of another stream when expectStream is given", async () => {
    await expect(
      bus.publish(bus.topology.subjects.events("received"), "x", {
        msgId: "e-1",
        expectStream: bus.topology.streams.dlq,
      }),
    ).rejects.toMatchObject({ code: "CAREHUB_ERR_BUS_PUBLISH_REJECTED", retryable: false });
  });

  it("refuses an invalid header name or dedup id with a permanent error", async () => {
    const subject = bus.topology.subjects.ingress("lps-1");
    await expect(bus.publish(subject, "x", { msgId: "h-1", headers: { "Bad:Name": "v" } })).rejects.toMatchObject({
      code: "CAREHUB_ERR_BUS_PUBLISH_REJECTED",
    });
    await expect(bus.publish(subject, "x", { msgId: "" })).rejects.toMatchObject({
      code: "CAREHUB_ERR_BUS_PUBLISH_REJECTED",
    });
  });

  it("fails at once with a retryable BusPublishError when no stream stores the subject", async () => {
    // Bug caught: the server's 503 "no responders" read as silence — the publish would wait out its 60 s timeout;
    // the 10 s guard is a bound, not a benchmark.
    const failed = bus.publish(`${env.namespace}.nowhere.x`, "x", { msgId: "n-1", timeoutMs: 60_000 }).then(
      () => "stored",
      (error: unknown) => error,
    );
    expect(await within(10_000, failed)).toMatchObject({
      code: "CAREHUB_ERR_BUS_PUBLISH_FAILED",
      retryable: true,
      cause: { name: "PublishUnansweredError" },
    });
  });
});

describe("consume", () => {
  it("delivers each message exactly once to each of two durable consumers, decoded, with headers", async () => {
    const stream = bus.topology.streams.pipeline;
    const ids = Array.from({ length: 20 }, (_, i) => `env-${i}`);
    for (const id of ids) await bus.publishJson(bus.topology.subjects.pipeline("lab-result"), { id }, { msgId: id });

    const seen: Record<string, string[]> = { router: [], archive: [] };
    const received: InboundMessage<{ id: string }>[] = [];
    const consumers = await Promise.all(
      (["router", "archive"] as const).map((durable) =>
        bus.consume<{ id: string }>({
          stream,
          durable,
          stage: durable,
          concurrency: durable === "router" ? 4 : 1,
          decode: jsonDecoder<{ id: string }>(),
          handler: async (message) => {
            seen[durable]?.push(message.body.id);
            received.push(message);
          },
        }),
      ),
    );
    await waitFor("both consumers", () => consumers.every((c) => c.processed === ids.length));
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a wrong extra delivery to show up
    for (const c of consumers) await c.stop();

    expect([...(seen.router ?? [])].sort()).toEqual([...ids].sort());
    expect(seen.archive).toEqual(ids); // one handler at a time keeps stream order
    const sample = received[0];
    expect(sample?.headers[HEADER.contentType]).toBe("application/json");
    expect(sample).toMatchObject({ stream, deliveryCount: 1, redelivered: false });
    expect(sample?.msgId).toMatch(/^env-/);
    // Counted per stage and outcome (kind is unknown: no Carehub-Kind header on these).
    const prometheus = await metricsText();
    expect(prometheus).toContain('carehub_messages_total{stage="router",kind="unknown",outcome="acked"} 20');
    expect(prometheus).toContain('carehub_handle_seconds_count{stage="archive"} 20');
    for (const durable of ["router", "archive"]) {
      const info = await bus.jsm.consumers.info(stream, durable);
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_redelivered).toBe(0);
      expect(info.ack_floor.stream_seq).toBe(ids.length);
    }
  });
});

describe("consume: what a handler and the metrics see of the headers", () => {
  it("labels the count with the message's Carehub-Kind and hands the handler every header and the dedup id", async () => {
    const subject = bus.topology.subjects.pipeline("order");
    await bus.publishJson(
      subject,
      { n: 1 },
      { msgId: "kind-1", headers: { [HEADER.kind]: "lab-result", "X-Extra": "x" } },
    );
    const seen: InboundMessage<Uint8Array>[] = [];
    // Read from the header block directly, without nats-core's MsgHdrs (headers.ts receivedHeaders).
    const decoded = vi.spyOn(MsgHdrsImpl, "decode");
    const consumer = await bus.consume({
      stream: bus.topology.streams.pipeline,
      durable: "kinded",
      filterSubject: subject,
      stage: "kinded",
      handler: async (message) => {
        seen.push(message);
      },
    });
    await waitFor("consumed", () => consumer.processed === 1);
    await consumer.stop();
    expect(decoded).not.toHaveBeenCalled();
    decoded.mockRestore();
    expect(seen[0]?.msgId).toBe("kind-1");
    expect(seen[0]?.headers).toEqual({
      [HEADER.msgId]: "kind-1",
      [HEADER.schemaVersion]: "1",
      [HEADER.contentType]: "application/json",
      [HEADER.kind]: "lab-result",
      "X-Extra": "x",
    });
    expect(await metricsText()).toContain('carehub_messages_total{stage="kinded",kind="lab-result",outcome="acked"} 1');
  });
});

describe("getMessage", () => {
  /** How often each of the two ways to read a message by sequence was asked for, on `stream`. */
  function countGets(stream: string) {
    const counts = { direct: 0, api: 0 };
    const subs = [
      bus.nc.subscribe(`$JS.API.STREAM.MSG.GET.${stream}`, {
        callback: () => {
          counts.api++;
        },
      }),
      bus.nc.subscribe(`$JS.API.DIRECT.GET.${stream}`, {
        callback: () => {
          counts.direct++;
        },
      }),
    ];
    return {
      counts,
      stop: () => {
        for (const sub of subs) sub.unsubscribe();
      },
    };
  }

  it("reads INGRESS and OUTBOX by direct get: the message as stored, without the headers the direct get adds", async () => {
    for (const [stream, subject] of [
      [bus.topology.streams.ingress, bus.topology.subjects.ingress("get-1")],
      [bus.topology.streams.outbox, bus.topology.subjects.outbox("get-1")],
    ] as const) {
      const before = Date.now();
      const sent = await bus.publish(subject, "<letter/>", {
        msgId: `get-${stream}`,
        contentType: "application/xml",
        headers: { [HEADER.hubId]: "hub-get", [HEADER.kind]: "lab-result" },
      });
      const spy = countGets(stream);
      await bus.nc.flush();
      const stored = await bus.getMessage(stream, sent.seq);
      const missing = await bus.getMessage(stream, sent.seq + 1_000);
      await bus.nc.flush();
      spy.stop();
      expect(stored && text(stored.data)).toBe("<letter/>");
      expect(stored).toMatchObject({ subject, seq: sent.seq });
      expect(stored?.time.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(stored?.headers).toEqual({
        [HEADER.msgId]: `get-${stream}`,
        [HEADER.schemaVersion]: "1",
        [HEADER.contentType]: "application/xml",
        [HEADER.hubId]: "hub-get",
        [HEADER.kind]: "lab-result",
      });
      expect(missing).toBeNull();
      // The stored message came by direct get; only the missing one was asked again of the stream's leader.
      expect(spy.counts).toEqual({ direct: 2, api: 1 });
    }
  });

  it("reads a direct get's answer without nats-core's header map, the server's own headers over a sender's", async () => {
    // Bugs caught: the direct get read again through jsm.direct.getMessage (a MsgHdrs built and copied per read,
    // docs/decisions/0127); and a sender's own `Nats-Sequence` / `Nats-Subject` / `Nats-Time-Stamp` (INGRESS headers
    // are an endpoint's) taken for the server's, which it appends after the message's own: the first of a name is the
    // sender's, the last the server's.
    const stream = bus.topology.streams.ingress;
    const subject = bus.topology.subjects.ingress("get-spoof");
    const sent = await bus.publish(subject, "<spoof/>", {
      msgId: "get-spoof",
      headers: {
        "Nats-Sequence": "999999",
        "Nats-Subject": "carehub.ingress.other",
        "Nats-Time-Stamp": "2001-01-01T00:00:00Z",
        [HEADER.kind]: "lab-result",
      },
    });
    const spy = countGets(stream);
    const decoded = vi.spyOn(MsgHdrsImpl, "decode");
    const before = Date.now();
    const stored = await bus.getMessage(stream, sent.seq);
    expect(decoded).not.toHaveBeenCalled();
    decoded.mockRestore();
    await bus.nc.flush();
    spy.stop();
    expect(spy.counts).toEqual({ direct: 1, api: 0 });
    expect(stored).toMatchObject({ subject, seq: sent.seq });
    expect(Math.abs((stored?.time.getTime() ?? 0) - before)).toBeLessThan(60_000);
    expect(stored?.headers).toEqual({
      [HEADER.msgId]: "get-spoof",
      [HEADER.schemaVersion]: "1",
      [HEADER.contentType]: "text/plain",
      [HEADER.kind]: "lab-result",
    });
  });

  it("reads odd header lines alike by direct get and through the stream API", async () => {
    // An endpoint with NATS credentials can publish any header bytes to its INGRESS subject. Bug caught: the stream
    // API's read (the fallback of every failed or empty direct get, and redrive's read of the DLQ) decoding them with
    // nats-core's header map, which refuses a name it would not set: the same message read by one path and an error
    // (or other headers) by the other.
    const stream = bus.topology.streams.ingress;
    const hdrs = new MsgHdrsImpl();
    // Written into the map: `set` would refuse these names, the server stores them.
    hdrs.headers.set("Bad Name", ["v"]);
    hdrs.headers.set("Nats-Sequence ", ["999999"]);
    hdrs.headers.set("Carehub-Kind", ["first", "second"]);
    hdrs.headers.set("X-Url", ["https://example.org:8443/a"]);
    const ack = await bus.js.publish(bus.topology.subjects.ingress("get-odd"), "<odd/>", {
      headers: hdrs,
      msgID: "get-odd",
    });
    const direct = await bus.getMessage(stream, ack.seq);
    const api = await readMessage(bus.jsm, stream, ack.seq, undefined, { direct: undefined });
    expect(direct).toMatchObject({ seq: ack.seq });
    // (The payload compared as text: a direct get's is a view of the socket's Buffer.)
    expect(api && { ...api, data: text(api.data) }).toEqual(direct && { ...direct, data: text(direct.data) });
    expect(api?.headers).toEqual({
      "Nats-Msg-Id": "get-odd",
      "Bad Name": "v",
      "Nats-Sequence ": "999999",
      "Carehub-Kind": "first",
      "X-Url": "https://example.org:8443/a",
    });
  });

  it("reads a stream that does not answer direct gets through the stream API", async () => {
    const stream = bus.topology.streams.events;
    const sent = await bus.publishJson(bus.topology.subjects.events("received"), { n: 1 }, { msgId: "get-ev-1" });
    const spy = countGets(stream);
    const stored = await bus.getMessage(stream, sent.seq);
    await bus.nc.flush();
    spy.stop();
    expect(stored && JSON.parse(text(stored.data))).toEqual({ n: 1 });
    expect(stored?.headers).toEqual({
      [HEADER.msgId]: "get-ev-1",
      [HEADER.schemaVersion]: "1",
      [HEADER.contentType]: "application/json",
    });
    // Not a direct get left to time out (it would have been answered by the spy, which never answers).
    expect(spy.counts).toEqual({ direct: 0, api: 1 });
  });
});
