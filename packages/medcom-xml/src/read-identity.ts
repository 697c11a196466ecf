import type { PartialMessage } from "@carehub/schemas";
import { type DecodeResult, decodeXmlBytes } from "./decode.ts";
import { letterTypeFor, OIOXML_NAMESPACE } from "./letter-types.ts";
import { type ParseLimits, resolveLimits } from "./limits.ts";
import { declaredNamespace, XmlHeadReader } from "./xml-head.ts";
import { forbiddenMarkupOf, textOf } from "./xml-tree.ts";

/** What identifies a letter before it is parsed: its letter id and kind. */
export type LetterIdentity = Pick<PartialMessage, "format" | "messageId" | "kind">;

/**
 * Reads only the letter's identifier and kind (the head of the one letter in the Emessage), without
 * validating the letter and without building its tree: the reading stops at `Letter/Identifier`, which every
 * MedCom letter has in its first few hundred bytes. What the gateway needs to recognise a repeat. Never
 * throws; what cannot be read is left out, and intake's full parse reports why.
 *
 * Intake derives the hub id from this same reading (not from its full parse), so the gateway's answer and
 * intake agree on the hub id even for a letter whose rest is broken; on every well-formed letter both
 * readings agree (read-identity.test.ts in @carehub/formats, over the whole MedCom corpus).
 */
export function readLetterIdentity(
  input: Uint8Array,
  options: { limits?: Partial<ParseLimits>; decoded?: DecodeResult } = {},
): LetterIdentity {
  const identity: LetterIdentity = { format: "oioxml" };
  try {
    const limits = resolveLimits(options.limits);
    if (input.byteLength > limits.maxBytes) return identity;
    // `decoded`: decodeXmlBytes(input), when the caller has it already (as parseOioxmlMessage takes it).
    const decoded = options.decoded ?? decodeXmlBytes(input);
    if (!decoded.ok) return identity;
    // The same refusals as the full parse, before anything is read: two linear scans, no tree, shared with the
    // full parse when it is given the same decoding (intake's readMessage).
    if (forbiddenMarkupOf(decoded) !== "none") return identity;
    readHead(new XmlHeadReader(decoded.text), identity, limits.maxDepth);
    return identity;
  } catch {
    return identity;
  }
}

/** Emessage › <letter> › Letter › Identifier: the first of each, in document order, as the full parse takes them. */
function readHead(reader: XmlHeadReader, identity: LetterIdentity, maxDepth: number): void {
  const path: string[] = [];
  let identifier: string | undefined;
  for (let token = reader.next(); token !== undefined; token = reader.next()) {
    if (token.kind === "text") {
      if (identifier !== undefined) identifier += token.text;
      continue;
    }
    if (token.kind === "close") {
      if (identifier !== undefined) {
        const messageId = textOf(identifier);
        if (messageId !== undefined) identity.messageId = messageId;
        return;
      }
      path.pop();
      // Past the first letter's Letter element: no identifier where the full parse looks for it.
      if (path.length === 2 && token.name === "Letter") return;
      continue;
    }
    const depth = path.length + 1;
    if (depth > maxDepth) return;
    if (depth === 1) {
      const namespace = declaredNamespace(token.tag, token.prefix);
      if (token.name !== "Emessage" || !OIOXML_NAMESPACE.test(namespace ?? "")) return;
    } else if (depth === 2 && token.name !== "Envelope") {
      if (identity.kind !== undefined) return; // a second letter element: the letter is not one the hub reads
      const type = letterTypeFor(token.name);
      if (type === undefined) return;
      identity.kind = type.kind;
    } else if (depth === 3 && path[1] !== "Envelope" && token.name === "Letter") {
      // The letter element's header.
    } else if (depth === 4 && path[1] !== "Envelope" && path[2] === "Letter" && token.name === "Identifier") {
      if (token.selfClosing) return;
      identifier = "";
    }
    if (!token.selfClosing) path.push(token.name);
  }
}
