import type { PartialMessage } from "@carehub/schemas";
import { decodeXmlBytes } from "./decode.ts";
import { letterTypeFor, OIOXML_NAMESPACE } from "./letter-types.ts";
import { type ParseLimits, resolveLimits } from "./limits.ts";
import { childNames, childOf, parseXmlTree, textAt } from "./xml-tree.ts";

/** What identifies a letter before it is parsed: its letter id and kind. */
export type LetterIdentity = Pick<PartialMessage, "format" | "messageId" | "kind">;

/**
 * Reads only the letter's identifier and kind (the header of the one letter in the Emessage), without
 * validating the letter: what the gateway needs to recognise a repeat. Never throws; what cannot be read is
 * left out, and intake's full parse reports why.
 */
export function readLetterIdentity(input: Uint8Array, options: { limits?: Partial<ParseLimits> } = {}): LetterIdentity {
  const identity: LetterIdentity = { format: "oioxml" };
  try {
    const limits = resolveLimits(options.limits);
    if (input.byteLength > limits.maxBytes) return identity;
    const decoded = decodeXmlBytes(input);
    if (!decoded.ok) return identity;
    const tree = parseXmlTree(decoded.text, limits.maxDepth);
    if (!tree.ok || tree.rootName !== "Emessage" || !OIOXML_NAMESPACE.test(tree.namespace ?? "")) return identity;
    const letters = childNames(tree.root).filter((name) => name !== "Envelope");
    const name = letters.length === 1 ? letters[0] : undefined;
    const type = name === undefined ? undefined : letterTypeFor(name);
    if (name === undefined || type === undefined) return identity;
    identity.kind = type.kind;
    const letterId = textAt(childOf(childOf(tree.root, name), "Letter"), "Identifier");
    if (letterId !== undefined) identity.messageId = letterId;
    return identity;
  } catch {
    return identity;
  }
}
