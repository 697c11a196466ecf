import { attributeOf, XmlHeadReader } from "@carehub/medcom-xml";
import { decodeUtf8Prefix } from "../parse-fhir-message.ts";
import { decodeEntities, FHIR_NS, NARRATIVE } from "../xml/fhir-xml-to-json.ts";
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
 *   first one in document order (later `resource` children and other entries are not looked at), read only
 *   once it closes (a message cut or broken inside it has no header, as in the FHIR JSON reader);
 * - `MessageHeader › id` and `MessageHeader › eventCoding › system | code`: the `value` attribute of each,
 *   with the XML built-in and numeric references decoded (another entity: not read);
 * - elements with a prefix are not FHIR elements (the conversion refuses them), and so never match.
 * Hostile input costs a linear pass at most: a DOCTYPE or ENTITY declaration ends the reading where it is met
 * (the conversion refuses the document; no entity is ever expanded or even declared), an open element deeper
 * than the conversion's bound ends it, an unterminated tag, comment or attribute ends it, and attributes are read
 * only on the handful of elements above. Like a message cut after its header, one whose declaration or bad
 * UTF-8 comes after the header is read: intake's full parse refuses it, under the same id.
 *
 * The message is decoded and read in growing prefixes (FIRST_PREFIX_BYTES, doubling), so the bytes after the
 * header are neither decoded nor looked at; a header that does not fit is read again from a longer prefix,
 * which at most doubles the work on it.
 */
export function readXmlMessageHead(input: Uint8Array, maxDepth: number): BundleHead {
  for (let bytes = FIRST_PREFIX_BYTES; ; bytes *= 2) {
    const { text, broken } = decodeUtf8Prefix(input, bytes);
    const { head, complete } = readXmlBundleHead(text, maxDepth);
    // Bytes that are not UTF-8 end the reading where they are, as the end of the message would.
    if (complete || broken || bytes >= input.byteLength) return head;
  }
}

/** Bytes decoded first: MedCom's MessageHeader, narrative included, closes within the first few kilobytes. */
export const FIRST_PREFIX_BYTES = 8 * 1024;

/**
 * The head of one text; `complete` when the reading ended on what it read (the header closed, the root is not a
 * FHIR Bundle or closed, nesting too deep), not at the end of the text or at markup it does not follow.
 */
export function readXmlBundleHead(text: string, maxDepth: number): { head: BundleHead; complete: boolean } {
  const head: BundleHead = {};
  const done = { head, complete: true };
  const reader = new XmlHeadReader(text);
  // Open elements: `depth` counts all of them, `followed` how many from the root are on the path to the header.
  let depth = 0;
  let followed = 0;
  // Inside a narrative: how many elements are open in it (the conversion reads it raw, at any nesting).
  let narrative = 0;
  // Whether this entry's `resource`, and the element in it, have been seen (the conversion reads only the first).
  let resourceSeen = false;
  let resourceElementSeen = false;
  // The first MessageHeader, once open; it is the head's once it closes (a cut inside it reads no header).
  let header: BundleHead["header"];
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
      if (followed === 4 && depth === 4) {
        head.header = header;
        return done;
      }
      if (followed === depth) followed -= 1;
      depth -= 1;
      if (depth <= 0) return done;
      continue;
    }
    const level = depth + 1;
    const isNarrative = token.prefix === undefined && token.name === NARRATIVE && level > 1;
    // fast-xml-parser (maxNestedTags) refuses an open element with more than maxDepth elements open around it.
    if (!token.selfClosing && !isNarrative && level > maxDepth + 1) return done;
    let follow = false;
    if (followed === depth && token.prefix === undefined) {
      const name = token.name;
      if (level === 1) {
        if (attributeOf(token.tag, "xmlns") !== FHIR_NS) return done;
        head.resourceType = name;
        if (name !== "Bundle" || token.selfClosing) return done;
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
          header = {};
          if (token.selfClosing) {
            head.header = header;
            return done;
          }
          follow = true;
        }
      } else if (header !== undefined) {
        // id, eventCoding, system and code occur once (the conversion refuses a second one).
        if (level === 5 && name === "id") {
          const id = primitiveValue(token.tag);
          if (id !== undefined) header.id = id;
        } else if (level === 5 && name === "eventCoding") {
          follow = true;
        } else if (level === 6 && name === "system") {
          const system = primitiveValue(token.tag);
          if (system !== undefined) header.eventSystem = system;
        } else if (level === 6 && name === "code") {
          const code = primitiveValue(token.tag);
          if (code !== undefined) header.eventCode = code;
        }
      }
    }
    if (token.selfClosing) continue;
    depth = level;
    if (follow) followed = level;
    if (isNarrative) narrative = 1;
  }
  return { head, complete: false };
}

/** The decoded `value` attribute of a primitive element; undefined when absent or using another entity. */
function primitiveValue(tag: string): string | undefined {
  const raw = attributeOf(tag, "value");
  return raw === undefined ? undefined : decodeEntities(raw);
}
