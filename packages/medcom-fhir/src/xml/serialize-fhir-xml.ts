import { PermanentError } from "@carehub/schemas";
import { type FhirObject, isObject } from "../fhir-json.ts";
import { type ElementInfo, type FhirModel, fhirModel } from "./fhir-model.ts";

/** A resource that cannot be written as FHIR XML (an element FHIR R4 does not define). A builder bug. */
export class FhirXmlSerializeError extends PermanentError {
  constructor(message: string) {
    super("CAREHUB_ERR_FHIR_XML_SERIALIZE", message);
    this.name = "FhirXmlSerializeError";
  }
}

function escapeText(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;")
    .replace(/\t/g, "&#9;");
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

class Writer {
  private readonly model: FhirModel;
  private readonly out: string[] = [];

  constructor(model: FhirModel) {
    this.model = model;
  }

  text(): string {
    return this.out.join("");
  }

  resource(value: FhirObject, path: string, root: boolean): void {
    const type = value.resourceType;
    if (typeof type !== "string" || !this.model.isResource(type))
      throw new FhirXmlSerializeError(`${path}: resourceType is not a FHIR R4 resource`);
    this.out.push(root ? `<${type} xmlns="http://hl7.org/fhir">` : `<${type}>`);
    this.content(value, type, path, new Set(["resourceType"]));
    this.out.push(`</${type}>`);
  }

  /** Writes the elements of `value` (a FHIR `typeKey`) in definition order, refusing keys FHIR does not define. */
  private content(value: FhirObject, typeKey: string, path: string, handled: Set<string>): void {
    const elements = this.model.elements(typeKey);
    if (elements === undefined) throw new FhirXmlSerializeError(`${path}: unknown FHIR type ${typeKey}`);
    for (const info of elements) {
      if (info.xmlAttribute) {
        handled.add(info.name);
        continue;
      }
      const v = value[info.name];
      const extra = value[`_${info.name}`];
      if (v === undefined && extra === undefined) continue;
      handled.add(info.name);
      handled.add(`_${info.name}`);
      const values = asList(v);
      const extras = asList(extra);
      const count = Math.max(values.length, extras.length);
      for (let i = 0; i < count; i++) this.element(info, values[i], extras[i], `${path}.${info.name}`);
    }
    for (const key of Object.keys(value))
      if (!handled.has(key))
        throw new FhirXmlSerializeError(`${path}.${key} is not an element of ${typeKey} in FHIR R4`);
  }

  private attributes(value: unknown, info: ElementInfo): string {
    if (!isObject(value)) return "";
    let attrs = typeof value.id === "string" ? ` id="${escapeText(value.id)}"` : "";
    if (this.model.element(info.type, "url")?.xmlAttribute && typeof value.url === "string")
      attrs += ` url="${escapeText(value.url)}"`;
    return attrs;
  }

  private element(info: ElementInfo, value: unknown, extra: unknown, path: string): void {
    const name = info.name;
    if (info.type === "xhtml") {
      if (typeof value === "string") this.out.push(value);
      return;
    }
    if (this.model.primitive(info.type) !== undefined) {
      const id = isObject(extra) && typeof extra.id === "string" ? ` id="${escapeText(extra.id)}"` : "";
      const attr = value === undefined || value === null ? "" : ` value="${escapeText(String(value))}"`;
      const extensions = isObject(extra) ? asList(extra.extension) : [];
      if (extensions.length === 0) {
        this.out.push(`<${name}${id}${attr}/>`);
        return;
      }
      this.out.push(`<${name}${id}${attr}>`);
      const extensionInfo = this.model.element("Element", "extension");
      if (extensionInfo !== undefined)
        for (const e of extensions) this.element(extensionInfo, e, undefined, `${path}.extension`);
      this.out.push(`</${name}>`);
      return;
    }
    if (!isObject(value)) throw new FhirXmlSerializeError(`${path} must be an object`);
    if (info.type === "Resource") {
      this.out.push(`<${name}>`);
      this.resource(value, path, false);
      this.out.push(`</${name}>`);
      return;
    }
    this.out.push(`<${name}${this.attributes(value, info)}>`);
    this.content(value, info.type, path, new Set());
    this.out.push(`</${name}>`);
  }
}

/** Writes a FHIR JSON resource (e.g. a built Bundle) as FHIR R4 XML, elements in definition order. */
export function serializeFhirXml(resource: object): string {
  if (!isObject(resource)) throw new FhirXmlSerializeError("the resource must be an object");
  const writer = new Writer(fhirModel());
  writer.resource(resource, String(resource.resourceType), true);
  return `<?xml version="1.0" encoding="UTF-8"?>${writer.text()}`;
}
