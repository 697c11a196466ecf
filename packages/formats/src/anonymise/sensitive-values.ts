import type { SyntheticIdentities } from "./synthetic-identity.ts";

/**
 * The personal values found in one message, by category, before anything is replaced. Each is later replaced
 * everywhere it occurs in the message text (ids built from a name, narratives, free text), so a value the
 * structured walk found is gone from the whole message, not only from the field it was found in.
 */
export class SensitiveValues {
  readonly patientIds = new Set<string>();
  /** Single words of names (given, family, a whole name's words). */
  readonly nameWords = new Set<string>();
  readonly addresses = new Set<string>();
  readonly phones = new Set<string>();
  readonly emails = new Set<string>();

  addName(value: string | undefined): void {
    if (value === undefined) return;
    for (const word of value.split(/[\s,.]+/)) if (word.length >= 2) this.nameWords.add(word);
  }

  add(set: Set<string>, value: unknown): void {
    if (typeof value === "string" && value.trim() !== "") set.add(value.trim());
  }

  #compiled: { size: number; pattern: RegExp; replacements: Map<string, string> } | undefined;

  get size(): number {
    return this.patientIds.size + this.nameWords.size + this.addresses.size + this.phones.size + this.emails.size;
  }

  /** Every occurrence of every value replaced by its stand-in, in one pass (a stand-in is never rewritten). */
  replaceAll(text: string, identities: SyntheticIdentities): string {
    if (this.size === 0) return text;
    if (this.#compiled?.size !== this.size) this.#compiled = { size: this.size, ...this.#compile(identities) };
    const { pattern, replacements } = this.#compiled;
    return text.replace(pattern, (found) => replacements.get(found.toLowerCase()) ?? found);
  }

  #compile(identities: SyntheticIdentities): { pattern: RegExp; replacements: Map<string, string> } {
    const replacements = new Map<string, string>();
    for (const id of this.patientIds) {
      const synthetic = identities.patientIdentifier(id);
      replacements.set(id.toLowerCase(), synthetic);
      // A CPR number written DDMMYY-SSSS in free text.
      if (/^\d{10}$/.test(id))
        replacements.set(`${id.slice(0, 6)}-${id.slice(6)}`, `${synthetic.slice(0, 6)}-${synthetic.slice(6)}`);
    }
    for (const address of this.addresses) replacements.set(address.toLowerCase(), identities.address(address));
    for (const phone of this.phones) replacements.set(phone.toLowerCase(), identities.phone(phone));
    for (const email of this.emails) replacements.set(email.toLowerCase(), identities.email(email));
    for (const word of this.nameWords) {
      if (!replacements.has(word.toLowerCase())) replacements.set(word.toLowerCase(), identities.name(word));
    }
    const originals = [...replacements.keys()].sort((a, b) => b.length - a.length);
    // Short values only as whole words ("Ib" must not rewrite "Fibrin"); longer ones anywhere, so an id made
    // from a name ("BrunoElmerPatient") and its references change together and stay consistent.
    const pattern = originals
      .map((value) =>
        value.length >= 4 ? escapeRegExp(value) : `(?<![\\p{L}\\d])${escapeRegExp(value)}(?![\\p{L}\\d])`,
      )
      .join("|");
    return { pattern: new RegExp(pattern, "giu"), replacements };
  }
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
