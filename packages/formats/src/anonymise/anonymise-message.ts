import { detectFormat } from "../detect-format.ts";
import { type Json, walkFhirJson } from "./anonymise-fhir-json.ts";
import { anonymiseFhirXml, anonymiseOioxml } from "./anonymise-xml.ts";
import { SensitiveValues } from "./sensitive-values.ts";
import type { SyntheticIdentities } from "./synthetic-identity.ts";

/**
 * Replaces the personal data of MedCom messages (docs/contracts.md "Recordings", `--anonymise`): CPR and
 * replacement CPR numbers by synthetic ones of the same shape, names, addresses, phones and e-mails by made-up
 * ones, free text by a fixed sentence, in FHIR JSON, FHIR XML and OIOXML alike. One Anonymiser serves a whole
 * recording: `collect` every message first, then `anonymise` each, and every value found in any message is
 * replaced in every message (a patient's name in another message's free text too), one patient always by the
 * same synthetic patient. Pure apart from that state; the key is injected.
 *
 * Bytes in a format that cannot be read become an empty body: personal data could not be looked for in them
 * (a replay then sees what the original hub saw, a message it cannot read).
 */
export class Anonymiser {
  readonly #identities: SyntheticIdentities;
  readonly #found = new SensitiveValues();

  constructor(identities: SyntheticIdentities) {
    this.#identities = identities;
  }

  /** Notes the personal data of a message, so `anonymise` replaces it wherever it occurs. */
  collect(bytes: Uint8Array, options: { contentType?: string } = {}): void {
    this.#rewrite(bytes, options.contentType);
  }

  anonymise(bytes: Uint8Array, options: { contentType?: string } = {}): Uint8Array {
    const rewritten = this.#rewrite(bytes, options.contentType);
    if (rewritten === undefined) return new Uint8Array();
    const replace = (text: string) => this.#found.replaceAll(text, this.#identities);
    if (rewritten.tree !== undefined) {
      return new TextEncoder().encode(JSON.stringify(inStrings(rewritten.tree, replace), null, rewritten.indent));
    }
    // Only character data and attribute values change: markup (element names, `true`, `false`) never does.
    const text = rewritten.text
      .replace(/>([^<]+)</g, (_m, data: string) => `>${replace(data)}<`)
      .replace(/="([^"]*)"/g, (_m, value: string) => `="${replace(value)}"`);
    return rewritten.latin1 ? new Uint8Array(Buffer.from(text, "latin1")) : new TextEncoder().encode(text);
  }

  /** The message with its free text replaced and its personal data noted (undefined: not readable). */
  #rewrite(bytes: Uint8Array, contentType: string | undefined): Rewritten | undefined {
    const detected = detectFormat(bytes, contentType);
    if (!detected.ok) return undefined;
    switch (detected.format) {
      case "fhir+json": {
        const text = new TextDecoder().decode(bytes);
        let tree: Json;
        try {
          tree = JSON.parse(text) as Json;
        } catch {
          return undefined;
        }
        return { tree: walkFhirJson(tree, this.#found), indent: indentOf(text), text: "", latin1: false };
      }
      case "fhir+xml":
      case "oioxml": {
        const latin1 = isLatin1(bytes);
        const text = latin1 ? Buffer.from(bytes).toString("latin1") : new TextDecoder().decode(bytes);
        const changed =
          detected.format === "oioxml" ? anonymiseOioxml(text, this.#found) : anonymiseFhirXml(text, this.#found);
        return { text: changed, latin1 };
      }
    }
  }
}

interface Rewritten {
  /** FHIR JSON: the walked tree and the original's indentation. */
  tree?: Json;
  indent?: number;
  /** XML: the text with its free text replaced. */
  text: string;
  latin1: boolean;
}

/** Every string value of a JSON tree (not its keys, numbers or booleans) through `replace`. */
function inStrings(node: Json, replace: (text: string) => string): Json {
  if (typeof node === "string") return replace(node);
  if (Array.isArray(node)) return node.map((item) => inStrings(item, replace));
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inStrings(value, replace)]));
}

/** One message on its own: what it says about itself is replaced (use an Anonymiser for a recording). */
export function anonymiseMessage(
  bytes: Uint8Array,
  identities: SyntheticIdentities,
  options: { contentType?: string } = {},
): Uint8Array {
  const anonymiser = new Anonymiser(identities);
  anonymiser.collect(bytes, options);
  return anonymiser.anonymise(bytes, options);
}

/** Whether an XML document declares a single-byte encoding (MedCom letters: ISO-8859-1 or windows-1252). */
function isLatin1(bytes: Uint8Array): boolean {
  const declaration = /^\s*<\?xml[^>]*encoding=["']([^"']+)["']/i.exec(
    Buffer.from(bytes.subarray(0, 200)).toString("latin1"),
  );
  const encoding = declaration?.[1]?.toLowerCase();
  return encoding !== undefined && encoding !== "utf-8" && encoding !== "utf8";
}

/** The indentation of a JSON text (0 when it is on one line), so an anonymised message looks like its original. */
function indentOf(text: string): number {
  const match = /\n( +)"/.exec(text);
  return match?.[1]?.length ?? 0;
}
