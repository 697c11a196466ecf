import { restampMessage } from "@carehub/client";
import type { PlannedMessage } from "./planner.ts";
import type { Random } from "./random.ts";

type Message = Omit<PlannedMessage, "seq" | "atMs">;

/**
 * Breaks a message the way real senders do, so the hub's rejection paths show: a GLN with a wrong check
 * digit, a FHIR message without its event code, or bytes cut short (then not even the message id can be
 * read and the hub can answer no one).
 */
export function corruptMessage(message: Message, random: Random): Pick<Message, "body" | "variant"> {
  const text = typeof message.body === "string" ? message.body : Buffer.from(message.body).toString("latin1");
  const encode = (out: string) => (typeof message.body === "string" ? out : new Uint8Array(Buffer.from(out, "latin1")));
  const how = random.weighted([
    ["bad-gln", 5],
    ["no-event", message.contentType.includes("fhir+json") ? 4 : 0],
    ["truncated", 1],
  ] as const);
  switch (how) {
    case "bad-gln": {
      const gln = /(579\d{10})/.exec(text)?.[1];
      if (gln === undefined)
        return {
          body: encode(text.slice(0, Math.floor(text.length / 2))),
          variant: `${message.variant}/invalid-truncated`,
        };
      const broken = `${gln.slice(0, 12)}${(Number(gln[12]) + 1) % 10}`;
      return { body: encode(text.replaceAll(gln, broken)), variant: `${message.variant}/invalid-gln` };
    }
    case "no-event": {
      const bundle = JSON.parse(text) as { entry?: { resource?: Record<string, unknown> }[] };
      const header = bundle.entry?.[0]?.resource;
      if (header !== undefined) delete header.eventCoding;
      return { body: JSON.stringify(bundle), variant: `${message.variant}/invalid-no-event` };
    }
    case "truncated":
      return {
        body: encode(text.slice(0, Math.floor(text.length / 2))),
        variant: `${message.variant}/invalid-truncated`,
      };
  }
}

/** The same message sent again the MedCom way: a new envelope id and send time, the same message id. */
export function duplicateOf(message: Message, at: Date, random: Random): Message {
  const oioxml = message.contentType === "application/xml";
  const envelopeId = oioxml ? random.uuid().replaceAll("-", "").slice(0, 14).toUpperCase() : random.uuid();
  return {
    ...message,
    envelopeId,
    body: restampMessage(message.body, message.contentType, { envelopeId, sentAt: at }),
    variant: `${message.variant}/duplicate`,
  };
}
