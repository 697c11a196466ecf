import { type FhirObject, type FhirResource, isObject } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { ACKNOWLEDGEMENT_ISSUE_SYSTEM } from "../terminology/medcom-codes.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import {
  assembleBundle,
  derivedId,
  messageHeader,
  narrative,
  organization,
  provenance,
  reference,
  sorEndpoint,
} from "./common.ts";
import type { AcknowledgementInput, AcknowledgementIssueSeverity, BuiltMessage } from "./types.ts";

/** FHIR issue-type for an acknowledgement issue: what kind of problem, coarse. */
function issueType(code: AcknowledgementInput["code"], severity: AcknowledgementIssueSeverity): string {
  if (severity === "information") return "informational";
  return code === "transient-error" ? "transient" : "invalid";
}

function operationOutcome(id: string, input: AcknowledgementInput): FhirResource {
  const defaultSeverity: AcknowledgementIssueSeverity = input.code === "ok" ? "information" : "error";
  const issue: FhirObject[] = (input.issues ?? []).map((i) => {
    const severity = i.severity ?? defaultSeverity;
    const system = ACKNOWLEDGEMENT_ISSUE_SYSTEM.get(i.code) ?? SYSTEMS.acknowledgementErrorCodes;
    return {
      severity,
      code: issueType(input.code, severity),
      details: { coding: [{ system, code: i.code }], text: i.text },
    };
  });
  return {
    resourceType: "OperationOutcome",
    id,
    meta: {
      profile: ["http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-acknowledgement-operationoutcome"],
    },
    text: narrative(`Acknowledgement outcome: ${input.code}`),
    issue,
  };
}

/**
 * A MedCom Acknowledgement of a received message: from the acknowledger back to the original sender, at the
 * original's source endpoint. A negative acknowledgement (transient-error / fatal-error) always carries an
 * OperationOutcome; an ok one carries it only when there are issues to tell (e.g. a duplicate).
 */
export function buildAcknowledgement(input: AcknowledgementInput): BuiltMessage {
  const { ids, original } = input;
  const profile = profileForKind("acknowledgement");
  const sender = organization(derivedId(ids, "sender"), input.acknowledger);
  const receiver = organization(derivedId(ids, "receiver"), original.sender);
  const header = messageHeader({
    id: ids.messageHeaderId,
    profile,
    sender,
    receiver,
    senderSor: input.acknowledger.sor,
    receiverSor: original.sender.sor,
  });
  const endpoint = original.sourceEndpointUrl ?? sorEndpoint(original.sender.sor);
  const destination = (header.destination as FhirObject[])[0];
  if (destination !== undefined) destination.endpoint = endpoint;
  const needsOutcome = input.code !== "ok" || (input.issues?.length ?? 0) > 0;
  const outcome = needsOutcome ? operationOutcome(derivedId(ids, "operation-outcome"), input) : undefined;
  const response: FhirObject = { identifier: original.messageId, code: input.code };
  if (outcome !== undefined) response.details = reference(outcome);
  header.response = response;
  const history = (original.provenance ?? []).filter(
    (p): p is FhirResource => isObject(p) && p.resourceType === "Provenance",
  );
  const own = provenance({
    id: derivedId(ids, "provenance"),
    headerId: ids.messageHeaderId,
    now: input.now,
    activity: "acknowledgement",
    agent: sender,
    earlier: { messageId: original.messageId },
    role: "revision",
  });
  const resources = [header, ...history, own, sender, receiver];
  if (outcome !== undefined) resources.push(outcome);
  return assembleBundle(ids.bundleId, profile, input.now, resources);
}
