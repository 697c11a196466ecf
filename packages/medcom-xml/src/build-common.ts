import { type Party, PermanentError } from "@carehub/schemas";
import { OIOXML_BUILD_INVALID_INPUT } from "./codes.ts";
import { toDanishLocal } from "./danish-time.ts";
import { leaf, type XmlNodeSpec } from "./xml-writer.ts";

/** Builders refuse input that cannot make a valid letter: that is a bug in the caller, not bad traffic. */
export class OioxmlBuildError extends PermanentError {
  constructor(message: string) {
    super(OIOXML_BUILD_INVALID_INPUT, message);
    this.name = "OioxmlBuildError";
  }
}

export function requireGln(party: Party, role: string): string {
  if (party.gln === undefined) throw new OioxmlBuildError(`the ${role} needs a GLN (EAN location number)`);
  return party.gln;
}

/** Sender / Receiver / CCReceiver element: EAN, then the party's own id (ydernummer or SOR), then its name. */
export function partyElement(name: string, party: Party, role: string): XmlNodeSpec {
  const gln = requireGln(party, role);
  const identifier =
    party.ydernummer !== undefined
      ? { id: party.ydernummer, code: "ydernummer" }
      : party.sor !== undefined
        ? { id: party.sor, code: "sorkode" }
        : undefined;
  return [
    name,
    [
      ["EANIdentifier", gln],
      leaf("Identifier", identifier?.id),
      leaf("IdentifierCode", identifier?.code),
      leaf("OrganisationName", party.name),
    ],
  ];
}

export function dateTimeElement(name: string, moment: Date | string): XmlNodeSpec {
  let local: { date: string; time: string };
  try {
    local = toDanishLocal(moment);
  } catch {
    throw new OioxmlBuildError(`${name}: not a valid date-time`);
  }
  return [
    name,
    [
      ["Date", local.date],
      ["Time", local.time],
    ],
  ];
}

export function requireText(value: string, what: string): string {
  if (value.trim() === "") throw new OioxmlBuildError(`${what} must not be empty`);
  return value;
}

/**
 * An Emessage's Envelope: when it was sent, its id, and whether the sender asks for a positive receipt
 * (`pluspositivkvitt`) or only a negative one (`minuspositivkvitt`, as receipts themselves always are).
 */
export function envelopeElement(
  now: Date | string,
  envelopeId: string,
  what: string,
  positiveReceipt: boolean | undefined,
): XmlNodeSpec {
  return [
    "Envelope",
    [
      dateTimeElement("Sent", now),
      ["Identifier", requireText(envelopeId, what)],
      ["AcknowledgementCode", positiveReceipt ? "pluspositivkvitt" : "minuspositivkvitt"],
    ],
  ];
}
