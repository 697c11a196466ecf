import { type FhirObject, type FhirResource, isObject, str } from "../fhir-json.ts";

export interface IndexedEntry {
  resource: FhirResource;
  /** Position in Bundle.entry, for issue paths. */
  index: number;
  path: string;
}

const RELATIVE_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/**
 * The resources of a Bundle, found by reference. A reference resolves by an exact fullUrl match first,
 * then as `Type/id` (relative, or the tail of an absolute URL), the way MedCom messages reference.
 */
export class BundleIndex {
  readonly entries: IndexedEntry[] = [];
  private readonly byFullUrl = new Map<string, IndexedEntry>();
  private readonly byTypeAndId = new Map<string, IndexedEntry>();

  add(entry: IndexedEntry, fullUrl: string | undefined): IndexedEntry | undefined {
    this.entries.push(entry);
    if (fullUrl !== undefined && !this.byFullUrl.has(fullUrl)) this.byFullUrl.set(fullUrl, entry);
    const id = entry.resource.id;
    if (typeof id !== "string") return undefined;
    const key = `${entry.resource.resourceType}/${id}`;
    const earlier = this.byTypeAndId.get(key);
    if (earlier !== undefined) return earlier;
    this.byTypeAndId.set(key, entry);
    return undefined;
  }

  ofType(resourceType: string): IndexedEntry[] {
    return this.entries.filter((e) => e.resource.resourceType === resourceType);
  }

  resolve(reference: string | undefined, resourceType?: string): IndexedEntry | undefined {
    if (reference === undefined) return undefined;
    let found = this.byFullUrl.get(reference);
    if (found === undefined) {
      const m = RELATIVE_REFERENCE.exec(reference);
      if (m !== null) found = this.byTypeAndId.get(`${m[1]}/${m[2]}`);
    }
    if (found === undefined) return undefined;
    return resourceType === undefined || found.resource.resourceType === resourceType ? found : undefined;
  }

  /** Resolves a Reference element (an object with `reference`). */
  resolveRef(ref: unknown, resourceType?: string): IndexedEntry | undefined {
    return this.resolve(str(ref, "reference"), resourceType);
  }
}

/** Whether a Reference points at `resourceType/id` (relative, absolute URL tail, or the entry's fullUrl). */
export function referencesId(ref: unknown, resourceType: string, id: string, fullUrl?: string): boolean {
  const reference = str(ref, "reference");
  if (reference === undefined) return false;
  if (fullUrl !== undefined && reference === fullUrl) return true;
  const m = RELATIVE_REFERENCE.exec(reference);
  return m !== null && m[1] === resourceType && m[2] === id;
}

/** `Type/id` → id when the reference names that type, else undefined. */
export function referencedId(ref: unknown, resourceType: string): string | undefined {
  const reference = isObject(ref) ? str(ref as FhirObject, "reference") : undefined;
  if (reference === undefined) return undefined;
  const m = RELATIVE_REFERENCE.exec(reference);
  return m !== null && m[1] === resourceType ? m[2] : undefined;
}
