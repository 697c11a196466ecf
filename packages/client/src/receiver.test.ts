import type { MessageContent, ParsedMessage, ParseResult } from "@carehub/schemas";
import { PermanentError, RetryableError } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { HubUnreachableError } from "./errors.ts";
import type { SendResult } from "./hub-client.ts";
import { type AcknowledgementInput, createReceiver, type Delivery, type ReceiverOptions } from "./receiver.ts";
import { createMemorySeenStore } from "./seen-store.ts";

// The receiver's logic is independent of the wire format: these tests hand it parse results directly
// (the body is the JSON of the ParseResult) and record the acknowledgements it asks to be built and sent.
const gp = { sor: "123456789012", gln: "5790000000012" };
const lab = { sor: "223456789012", gln: "5790000000029" };

function message(messageId: string, overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  const content: MessageContent = { kind: "care-communication", threadId: "t-1", category: "nursing" };
  return {
    kind: "care-communication",
    format: "fhir+json",
    standard: "CareCommunication",
    messageId,
    envelopeId: `envelope-of-${messageId}`,
    sender: lab,
    receivers: [gp],
    links: {},
    ackRequested: true,
    content,
    ...overrides,
  };
}

function delivery(result: ParseResult): Delivery {
  return { body: new TextEncoder().encode(JSON.stringify(result)), contentType: "application/fhir+json" };
}
const ok = (m: ParsedMessage): Delivery => delivery({ ok: true, message: m, warnings: [] });

function setup(overrides: Partial<ReceiverOptions> = {}) {
  const built: AcknowledgementInput[] = [];
  const sent: string[] = [];
  let failSends = 0;
  let ids = 0;
  const handled: string[] = [];
  const receiver = createReceiver({
    client: {
      async send(body): Promise<SendResult> {
        if (failSends > 0) {
          failSends -= 1;
          throw new HubUnreachableError("down", undefined);
        }
        sent.push(typeof body === "string" ? body : "");
        return { id: `hub-${sent.length}`, messageId: body as string, status: "received", duplicate: false };
      },
    },
    parse: (body) => JSON.parse(new TextDecoder().decode(body)) as ParseResult,
    buildAcknowledgement: (input) => {
      built.push(input);
      return { body: `${input.ackMessageId}|${input.envelopeId}|${input.code}`, contentType: "application/fhir+json" };
    },
    onMessage: (received) => {
      handled.push(received.message.messageId);
    },
    newMessageId: () => `ack-${++ids}`,
    newEnvelopeId: () => `ack-envelope-${++ids}`,
    ...overrides,
  });
  return { receiver, built, sent, handled, failNextSends: (n: number) => (failSends = n) };
}

describe("receiver: duplicates", () => {
  it("hands a message to the application once and answers a copy with the same acknowledgement", async () => {
    const { receiver, built, handled } = setup();
    await expect(receiver.receive(ok(message("m-1")))).resolves.toMatchObject({ outcome: "accepted", code: "ok" });
    const resent = message("m-1", { envelopeId: "a-new-envelope" });
    await expect(receiver.receive(ok(resent))).resolves.toMatchObject({ outcome: "duplicate", code: "ok" });
    expect(handled).toEqual(["m-1"]);
    expect(built).toHaveLength(2);
    expect(built[1]?.ackMessageId).toBe(built[0]?.ackMessageId);
    expect(built[1]?.envelopeId).not.toBe(built[0]?.envelopeId);
    expect(built.map((b) => b.code)).toEqual(["ok", "ok"]);
  });

  it("keeps a negative first answer negative for every copy", async () => {
    const { receiver, built } = setup({
      onMessage: () => {
        throw new PermanentError("CAREHUB_ERR_TEST", "unknown patient");
      },
    });
    await receiver.receive(ok(message("m-1")));
    await receiver.receive(ok(message("m-1")));
    expect(built.map((b) => [b.code, b.issues[0]?.code])).toEqual([
      ["fatal-error", "MSG_BAD_FORMAT"],
      ["fatal-error", "MSG_BAD_FORMAT"],
    ]);
  });

  it("treats equal message ids from different senders as different messages", async () => {
    const { receiver, handled } = setup();
    await receiver.receive(ok(message("m-1")));
    await receiver.receive(ok(message("m-1", { sender: { sor: "323456789012", gln: "5790000000036" } })));
    expect(handled).toEqual(["m-1", "m-1"]);
  });

  it("lets only the first of simultaneous copies reach the application", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const { receiver, built } = setup({
      onMessage: async (received) => {
        handled.push(received.message.messageId);
        await gate;
        return "ok" as const;
      },
    });
    const copies = [
      receiver.receive(ok(message("m-1"))),
      receiver.receive(ok(message("m-1"))),
      receiver.receive(ok(message("m-1"))),
    ];
    release();
    const outcomes = await Promise.all(copies);
    expect(outcomes.map((o) => o.outcome)).toEqual(["accepted", "duplicate", "duplicate"]);
    expect(handled).toEqual(["m-1"]);
    expect(new Set(built.map((b) => b.ackMessageId)).size).toBe(1);
  });

  it("uses a shared seen-store, so a restarted receiver still recognises a copy", async () => {
    const seenStore = createMemorySeenStore();
    const first = setup({ seenStore });
    await first.receiver.receive(ok(message("m-1")));
    const second = setup({ seenStore });
    await expect(second.receiver.receive(ok(message("m-1")))).resolves.toMatchObject({ outcome: "duplicate" });
    expect(second.handled).toEqual([]);
  });
});

describe("receiver: acknowledging exactly once", () => {
  it("acknowledges each new message once, addressed back to its sender", async () => {
    const { receiver, built, sent } = setup();
    await receiver.receive(ok(message("m-1")));
    await receiver.receive(ok(message("m-2")));
    expect(sent).toHaveLength(2);
    expect(built.map((b) => [b.original.messageId, b.original.sender, b.acknowledger])).toEqual([
      ["m-1", lab, gp],
      ["m-2", lab, gp],
    ]);
  });

  it("never acknowledges an acknowledgement and reports each one once", async () => {
    const reported: string[] = [];
    const { receiver, sent } = setup({
      onAcknowledgement: (ack) => void reported.push(`${ack.respondsTo}:${ack.code}`),
    });
    const ack = message("ack-x", {
      kind: "acknowledgement",
      content: { kind: "acknowledgement", code: "transient-error", respondsTo: "mine-1", issues: [] },
      ackRequested: false,
    });
    await expect(receiver.receive(ok(ack))).resolves.toMatchObject({ outcome: "acknowledgement", duplicate: false });
    await expect(receiver.receive(ok(ack))).resolves.toMatchObject({ outcome: "acknowledgement", duplicate: true });
    expect(sent).toEqual([]);
    expect(reported).toEqual(["mine-1:transient-error"]);
  });

  it("maps a retryable application error to transient-error and any other to fatal-error", async () => {
    let error: Error = new RetryableError("CAREHUB_ERR_TEST", "database busy");
    const { receiver, built } = setup({
      onMessage: () => {
        throw error;
      },
    });
    await receiver.receive(ok(message("m-1")));
    error = new Error("bug");
    await receiver.receive(ok(message("m-2")));
    expect(built.map((b) => b.code)).toEqual(["transient-error", "fatal-error"]);
  });

  it("uses the application's decision and issues", async () => {
    const { receiver, built } = setup({
      onMessage: () => ({
        code: "fatal-error",
        issues: [{ severity: "error", code: "MSG_Receiver_Identifier_UNKNOWN" }],
      }),
    });
    await receiver.receive(ok(message("m-1")));
    expect(built[0]).toMatchObject({ code: "fatal-error", issues: [{ code: "MSG_Receiver_Identifier_UNKNOWN" }] });
  });

  it("when the acknowledgement cannot be sent, fails retryably and sends the same one on redelivery", async () => {
    const { receiver, built, sent, handled, failNextSends } = setup();
    failNextSends(1);
    await expect(receiver.receive(ok(message("m-1")))).rejects.toMatchObject({ retryable: true });
    await expect(receiver.receive(ok(message("m-1")))).resolves.toMatchObject({ outcome: "duplicate" });
    expect(handled).toEqual(["m-1"]);
    expect(sent).toHaveLength(1);
    expect(built[1]?.ackMessageId).toBe(built[0]?.ackMessageId);
  });

  it("acknowledges OIOXML positively only when a receipt was asked for, negatively always", async () => {
    let decision: "ok" | "fatal-error" = "ok";
    const { receiver, built } = setup({ onMessage: () => decision });
    const letter = (id: string, ackRequested: boolean) => message(id, { format: "oioxml", ackRequested });
    await expect(receiver.receive(ok(letter("l-1", false)))).resolves.toMatchObject({ acknowledged: false });
    await receiver.receive(ok(letter("l-2", true)));
    decision = "fatal-error";
    await receiver.receive(ok(letter("l-3", false)));
    expect(built.map((b) => [b.original.messageId, b.code])).toEqual([
      ["l-2", "ok"],
      ["l-3", "fatal-error"],
    ]);
  });

  it("answers an invalid message with fatal-error and its issues, without the application", async () => {
    const invalid: string[] = [];
    const { receiver, built, handled } = setup({ onInvalid: (issues) => invalid.push(issues[0]?.code ?? "") });
    const failure: ParseResult = {
      ok: false,
      partial: { kind: "care-communication", format: "fhir+json", messageId: "bad-1", sender: lab, receivers: [gp] },
      issues: [
        {
          code: "CAREHUB_ERR_FHIR_X",
          path: "Bundle.entry[0]",
          message: "missing",
          medcomCode: "MSG_RESOURCE_REQUIRED",
        },
      ],
    };
    await expect(receiver.receive(delivery(failure))).resolves.toMatchObject({
      outcome: "invalid",
      code: "fatal-error",
    });
    await expect(receiver.receive(delivery(failure))).resolves.toMatchObject({
      outcome: "duplicate",
      code: "fatal-error",
    });
    expect(handled).toEqual([]);
    expect(invalid).toEqual(["CAREHUB_ERR_FHIR_X"]);
    expect(built.map((b) => b.issues[0]?.code)).toEqual(["MSG_RESOURCE_REQUIRED", "MSG_RESOURCE_REQUIRED"]);
  });

  it("refuses bytes that name no message to answer", async () => {
    const { receiver, sent } = setup();
    const failure: ParseResult = {
      ok: false,
      partial: {},
      issues: [{ code: "CAREHUB_ERR_X", path: "", message: "?" }],
    };
    await expect(receiver.receive(delivery(failure))).rejects.toMatchObject({
      code: "CAREHUB_ERR_CLIENT_UNREADABLE_DELIVERY",
      retryable: false,
    });
    expect(sent).toEqual([]);
  });
});
