import type { ContentOf } from "@carehub/schemas";
import { codings, obj, objects, str } from "../fhir-json.ts";
import { CC_PROFILES } from "../message-profiles.ts";
import { CARE_COMMUNICATION_CATEGORIES } from "../terminology/medcom-codes.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { checkCareCommunicationParties } from "./care-communication-parties.ts";
import { readSegments } from "./care-communication-payload.ts";
import type { ReadContext } from "./context.ts";

function declares(resource: unknown, canonical: string): boolean {
  const profiles: unknown = obj(resource, "meta")?.profile;
  return Array.isArray(profiles) && profiles.some((p) => typeof p === "string" && p.startsWith(canonical));
}

/** CC-1: the MessageHeader declares the CareCommunication MessageHeader profile; CC-3: so does every Provenance. */
function checkDeclaredProfiles({ bundle, header, issues }: ReadContext): void {
  if (!declares(header.resource, CC_PROFILES.header))
    issues.error(
      "CAREHUB_ERR_FHIR_CC_PROFILE",
      `${header.path}.meta.profile`,
      "the MessageHeader does not declare medcom-careCommunication-messageHeader",
    );
  for (const provenance of bundle.ofType("Provenance"))
    if (!declares(provenance.resource, CC_PROFILES.provenance))
      issues.error(
        "CAREHUB_ERR_FHIR_CC_PROFILE",
        `${provenance.path}.meta.profile`,
        "the Provenance does not declare medcom-careCommunication-provenance",
      );
}

export function readCareCommunication(ctx: ReadContext): ContentOf<"care-communication"> | undefined {
  const { focus, issues, bundle } = ctx;
  if (focus === undefined) return undefined;
  const c = focus.resource;

  const identifiers = objects(c, "identifier");
  const threadId = str(identifiers[0]?.value, "value");
  if (identifiers.length !== 1 || threadId === undefined || !threadId.startsWith("urn:uuid:"))
    issues.error(
      "CAREHUB_ERR_FHIR_CC_IDENTIFIER",
      `${focus.path}.identifier`,
      "Communication.identifier must be exactly one urn:uuid value (the thread id)",
    );

  const categories = objects(c, "category");
  const categoryCodings = categories.flatMap((x) => codings(x.value));
  const category = str(
    categoryCodings.find((x) => str(x, "system") === SYSTEMS.careCommunicationCategory),
    "code",
  );
  if (categories.length !== 1 || category === undefined || !CARE_COMMUNICATION_CATEGORIES.has(category))
    issues.error(
      "CAREHUB_ERR_FHIR_CC_CATEGORY",
      `${focus.path}.category`,
      "Communication.category must be exactly one code from the CareCommunication category CodeSystem",
    );

  const topic = str(obj(c, "topic"), "text");
  if (category === "other" && (topic === undefined || topic.trim() === ""))
    issues.error(
      "CAREHUB_ERR_FHIR_CC_TOPIC_REQUIRED",
      `${focus.path}.topic`,
      "a topic is required when the category is other",
    );

  const priority = str(c, "priority");
  if (priority !== undefined && (category !== "regarding-referral" || (priority !== "routine" && priority !== "asap")))
    issues.error(
      "CAREHUB_ERR_FHIR_CC_PRIORITY_NOT_ALLOWED",
      `${focus.path}.priority`,
      "priority is allowed only with category regarding-referral, as routine or asap",
    );

  checkDeclaredProfiles(ctx);
  checkCareCommunicationParties(ctx, focus);
  const segments = readSegments(bundle, focus, issues);

  const content: ContentOf<"care-communication"> = {
    kind: "care-communication",
    threadId: threadId ?? "",
    category: category ?? "",
    segmentCount: segments.length,
    segments,
  };
  if (priority !== undefined) content.priority = priority;
  if (topic !== undefined) content.topic = topic;
  return content;
}
