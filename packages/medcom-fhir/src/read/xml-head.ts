import { attributeOf, XmlHeadReader } from "@carehub/medcom-xml";
import { decodeEntities, FHIR_NS, hasDeclaration, NARRATIVE } from "../xml/fhir-xml-to-json.ts";
import type { BundleHead } from "./json-head.ts";

/**
 * Reads a FHIR XML Bundle's resourceType and its first MessageHeader (id, eventCoding system and code) with
 * the forward-only tag reader of medcom-xml, without building the document or converting it to FHIR JSON: the
 * elements it does not need are stepped over, and the reading stops when the first MessageHeader closes — in a
 * MedCom message the first entry, after the first kilobyte or two. Not a validator: intake's full parse is.
 * Undefined fields could not be read.
 *
 * It reads what the full conversion (fhir-xml-to-json.ts) reads, on every document that conversion accepts:
 * - the root element, unprefixed, whose `xmlns` attribute is exactly the FHIR namespace, names the resource;
 * - `Bundle › entry › resource › <first element>`, when that element is `MessageHeader`, is the header: the
 *   first one in document order (later `resource` children and other entries are not looked at);
 * - `MessageHeader › id` and `MessageHeader › eventCoding › system | code`: the `value` attribute of each,
 *   with the XML built-in and numeric references decoded (another entity: not read);
 * - elements with a prefix are not FHIR elements (the conversion refuses them), and so never match.
 * Hostile input costs one linear pass at most: a DOCTYPE or ENTITY declaration anywhere ends the reading before
 * it starts (the conversion refuses them; no entity is ever expanded), an open element deeper than the
 * conversion's bound ends it, an unterminated tag, comment or attribute ends it, and attributes are read only on
 * the handful of elements above.
 */
export function readXmlBundleHead(text: string, maxDepth: number): BundleHead {
  const head: BundleHead = {};
  if (hasDeclaration(text)) return head;
  const reader = new XmlHeadReader(text);
  // Open elements: `depth` counts all of them, `followed` how many from the root are on the path to the header.
  let depth = 0;
  let followed = 0;
  // Inside a narrative: how many elements are open in it (the conversion reads it raw, at any nesting).
  let narrative = 0;
  // Whether this entry's `resource`, and the element in it, have been seen (the conversion reads only the first).
  let resourceSeen = false;
  let resourceElementSeen = false;
  for (let token = reader.next(); token !== undefined; token = reader.next()) {
    if (token.kind === "text") continue;
    if (narrative > 0) {
      if (token.kind === "close") narrative -= 1;
      else if (!token.selfClosing) narrative += 1;
      if (narrative === 0) depth -= 1;
      continue;
    }
    if (token.kind === "close") {
      // The first MessageHeader read: the rest of the document is intake's.
      if (followed === 4 && depth === 4) return head;
      if (followed === depth) followed -= 1;
      depth -= 1;
      if (depth <= 0) return head;
      continue;
    }
    const level = depth + 1;
    const isNarrative = token.prefix === undefined && token.name === NARRATIVE && level > 1;
    // fast-xml-parser (maxNestedTags) refuses an open element with more than maxDepth elements open around it.
    if (!token.selfClosing && !isNarrative && level > maxDepth + 1) return head;
    let follow = false;
    if (followed === depth && token.prefix === undefined) {
      const name = token.name;
      if (level === 1) {
        if (attributeOf(token.tag, "xmlns") !== FHIR_NS) return head;
        head.resourceType = name;
        if (name !== "Bundle" || token.selfClosing) return head;
        follow = true;
      } else if (level === 2 && name === "entry") {
        resourceSeen = false;
        follow = true;
      } else if (level === 3 && name === "resource" && !resourceSeen) {
        resourceSeen = true;
        resourceElementSeen = false;
        follow = true;
      } else if (level === 4 && !resourceElementSeen) {
        // The entry's resource is the first element in `resource`; the conversion ignores any after it.
        resourceElementSeen = true;
        if (name === "MessageHeader") {
          head.header = {};
          if (token.selfClosing) return head;
          follow = true;
        }
      } else if (head.header !== undefined) {
        // id, eventCoding, system and code occur once (the conversion refuses a second one).
        if (level === 5 && name === "id") {
          const id = primitiveValue(token.tag);
          if (id !== undefined) head.header.id = id;
        } else if (level === 5 && name === "eventCoding") {
          follow = true;
        } else if (level === 6 && name === "system") {
          const system = primitiveValue(token.tag);
          if (system !== undefined) head.header.eventSystem = system;
        } else if (level === 6 && name === "code") {
          const code = primitiveValue(token.tag);
          if (code !== undefined) head.header.eventCode = code;
        }
      }
    }
    if (token.selfClosing) continue;
    depth = level;
    if (follow) followed = level;
    if (isNarrative) narrative = 1;
  }
  return head;
}

/** The decoded `value` attribute of a primitive element; undefined when absent or using another entity. */
function primitiveValue(tag: string): string | undefined {
  const raw = attributeOf(tag, "value");
  return raw === undefined ? undefined : decodeEntities(raw);
}
