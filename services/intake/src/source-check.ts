import type { Endpoint, HubIdentity, MessageKind, ParsedMessage, ValidationIssue } from "@carehub/schemas";
import { INTAKE_ERROR_CODES } from "./intake-errors.ts";

/** What the source check needs from the registry (EndpointRegistry satisfies it). */
export interface SourceCheckRegistry {
  resolveParty(party: { sor?: string; gln?: string; vans?: string }): Endpoint | undefined;
}

/**
 * The kinds the hub itself puts on INGRESS under its own id (`<ns>.ingress.<hub id>`): the tracker's status
 * returns. The hub's acknowledgements go straight to OUTBOX and never pass intake.
 */
export const HUB_INGRESS_KINDS: readonly MessageKind[] = ["status-update"];

/**
 * Problems with who sent the message: the sender it names must be the endpoint that sent it (every SOR id
 * or GLN it gives that the registry knows must belong to that endpoint, and at least one must), and that
 * endpoint must be allowed to send this kind. Issue texts name organisations only, never patients.
 */
export function checkSource(
  message: ParsedMessage,
  source: Endpoint,
  registry: SourceCheckRegistry,
): ValidationIssue[] {
  const [bySor, byGln, byVans] = endpointsNamed(message.sender, registry);
  const others = [bySor, byGln, byVans].filter((e): e is Endpoint => e !== undefined && e.id !== source.id);
  const matches = bySor?.id === source.id || byGln?.id === source.id || byVans?.id === source.id;
  const issues: ValidationIssue[] = [];
  if (others.length > 0 || !matches) {
    const claimed = others[0] ? ` (registered to endpoint ${others[0].id})` : " (not registered to it)";
    issues.push(senderMismatch(message, `${claimed}, but endpoint ${source.id} sent it`));
  }
  if (!source.sends.includes(message.kind)) {
    issues.push(kindNotAllowed(message, `endpoint ${source.id} is not registered to send ${message.kind} messages`));
  }
  return issues;
}

/**
 * The same check for a message on the hub's own INGRESS subject (only the hub publishes there): it must name
 * the hub as its sender (its SOR id or GLN, and neither of any endpoint's) and be a kind the hub makes.
 */
export function checkHubSource(
  message: ParsedMessage,
  hub: HubIdentity,
  registry: SourceCheckRegistry,
): ValidationIssue[] {
  const { sender } = message;
  const named =
    (sender.sor !== undefined && sender.sor === hub.sor) || (sender.gln !== undefined && sender.gln === hub.gln);
  const [bySor, byGln, byVans] = endpointsNamed(sender, registry);
  const other = bySor ?? byGln ?? byVans;
  const issues: ValidationIssue[] = [];
  if (!named || other !== undefined) {
    const claimed = other === undefined ? "" : ` (registered to endpoint ${other.id})`;
    issues.push(senderMismatch(message, `${claimed}, but the hub (${hub.id}) sent it`));
  }
  if (!HUB_INGRESS_KINDS.includes(message.kind)) {
    issues.push(kindNotAllowed(message, `the hub does not send ${message.kind} messages through INGRESS`));
  }
  return issues;
}

/**
 * The endpoints the sender's SOR id, GLN and VANS id are registered to, each looked up on its own. Only a
 * VANS receipt's sender has a VANS id, and only endpoints of kind `vans` register one (schemas/registry.ts).
 */
function endpointsNamed(
  sender: ParsedMessage["sender"],
  registry: SourceCheckRegistry,
): [Endpoint | undefined, Endpoint | undefined, Endpoint | undefined] {
  return [
    sender.sor === undefined ? undefined : registry.resolveParty({ sor: sender.sor }),
    sender.gln === undefined ? undefined : registry.resolveParty({ gln: sender.gln }),
    sender.vans === undefined ? undefined : registry.resolveParty({ vans: sender.vans }),
  ];
}

function senderMismatch(message: ParsedMessage, tail: string): ValidationIssue {
  const { sender } = message;
  const named = [
    sender.sor && `SOR ${sender.sor}`,
    sender.gln && `GLN ${sender.gln}`,
    sender.vans && `VANS ${sender.vans}`,
  ]
    .filter(Boolean)
    .join(" / ");
  return {
    code: INTAKE_ERROR_CODES.senderMismatch,
    path: message.format === "oioxml" ? "Emessage/*/Sender" : "MessageHeader.sender",
    message: `the message names ${named || "no sender"} as its sender${tail}`,
    medcomCode: "MSG_INVALID_ID",
  };
}

function kindNotAllowed(message: ParsedMessage, text: string): ValidationIssue {
  return {
    code: INTAKE_ERROR_CODES.kindNotAllowed,
    path: message.format === "oioxml" ? "Emessage/*/Letter/StatisticalCode" : "MessageHeader.eventCoding",
    message: text,
    medcomCode: "MSG_RESOURCE_NOT_ALLOWED",
  };
}
