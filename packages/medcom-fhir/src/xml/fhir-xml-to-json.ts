import type { ValidationIssue } from "@carehub/schemas";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { FhirObject } from "../fhir-json.ts";
import { fhirIssue } from "../issues.ts";
import { type ParseLimits, resolveLimits } from "../limits.ts";
import { type FhirModel, fhirModel } from "./fhir-model.ts";

export type XmlToJsonResult = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

/** The namespace of a FHIR XML document's root element (as written, no prefix). */
export const FHIR_NS = "http://hl7.org/fhir";
/** Stop converting after this many problems: one is enough to reject, a few help the sender. */
const MAX_ISSUES = 20;

/** The narrative element: read raw, its nesting not counted against the depth limit. */
export const NARRATIVE = "div";

type XmlNode = Record<string, unknown>;
type Attributes = Record<string, string>;

function parserFor(maxDepth: number): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseTagValue: false,
    parseAttributeValue: false,
    // Entities are decoded here, after DOCTYPE/ENTITY declarations were refused: only the XML built-ins.
    processEntities: false,
    trimValues: false,
    // The narrative stays raw XHTML text, as FHIR JSON carries it (the header reader skips it alike: NARRATIVE).
    stopNodes: [`*.${NARRATIVE}`],
    maxNestedTags: maxDepth,
  });
}
const parsers = new Map<number, XMLParser>();

/** A `<!` that opens anything but a comment or CDATA (DOCTYPE, ENTITY, ELEMENT, ...). */
function hasDeclaration(xml: string): boolean {
  for (let i = xml.indexOf("<!"); i >= 0; i = xml.indexOf("<!", i + 2)) {
    if (!xml.startsWith("<!--", i) && !xml.startsWith("<![CDATA[", i)) return true;
  }
  return false;
}

const ENTITY = /&([^&;\s]*)(;?)/g;
const BUILT_IN: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the XML built-in and numeric character references; undefined when another entity is used. */
export function decodeEntities(value: string): string | undefined {
  if (!value.includes("&")) return value;
  let bad = false;
  const decoded = value.replace(ENTITY, (_m, ref: string, semicolon: string) => {
    const builtIn = semicolon === ";" ? BUILT_IN[ref] : undefined;
    if (builtIn !== undefined) return builtIn;
    const code = ref.startsWith("#x")
      ? Number.parseInt(ref.slice(2), 16)
      : ref.startsWith("#")
        ? Number(ref.slice(1))
        : Number.NaN;
    if (semicolon === ";" && Number.isInteger(code) && code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    bad = true;
    return "";
  });
  return bad ? undefined : decoded;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

function tagOf(node: XmlNode): string | undefined {
  for (const key in node) if (key !== ":@") return key;
  return undefined;
}

function childrenOf(node: XmlNode, tag: string): XmlNode[] {
  const children = node[tag];
  return Array.isArray(children) ? (children as XmlNode[]) : [];
}

function attributesOf(node: XmlNode): Attributes {
  const attrs = node[":@"];
  return typeof attrs === "object" && attrs !== null ? (attrs as Attributes) : {};
}

const INTEGER = /^[-+]?(0|[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

class Converter {
  readonly issues: ValidationIssue[] = [];
  private readonly model: FhirModel;

  constructor(model: FhirModel) {
    this.model = model;
  }

  private problem(code: Parameters<typeof fhirIssue>[0], path: string, message: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push(fhirIssue(code, path, message));
  }

  private attribute(attrs: Attributes, name: string, path: string): string | undefined {
    const raw = attrs[name];
    if (raw === undefined) return undefined;
    const decoded = decodeEntities(raw);
    if (decoded === undefined)
      this.problem("CAREHUB_ERR_FHIR_XML_SYNTAX", path, "an attribute uses an entity other than the XML built-ins");
    return decoded;
  }

  resource(node: XmlNode, resourceType: string, path: string): FhirObject {
    const out: FhirObject = { resourceType };
    this.children(childrenOf(node, resourceType), resourceType, out, path);
    return out;
  }

  private typedValue(raw: string, type: string, path: string): string | number | boolean | undefined {
    const kind = this.model.primitive(type);
    if (kind === "boolean") {
      if (raw === "true" || raw === "false") return raw === "true";
      this.problem("CAREHUB_ERR_FHIR_XML_VALUE", path, `a ${type} must be true or false`);
      return undefined;
    }
    if (kind === "number") {
      const ok = type === "decimal" ? DECIMAL.test(raw) : INTEGER.test(raw);
      if (ok) return Number(raw);
      this.problem("CAREHUB_ERR_FHIR_XML_VALUE", path, `the value is not a valid ${type}`);
      return undefined;
    }
    return raw;
  }

  /** Converts the child elements of one FHIR element (of type `typeKey`) into `out`. */
  private children(nodes: XmlNode[], typeKey: string, out: FhirObject, path: string): void {
    const counts = new Map<string, number>();
    const primitiveArrays = new Set<string>();
    for (const node of nodes) {
      const tag = tagOf(node);
      if (tag === undefined || tag === "#text" || tag.startsWith("?")) continue;
      const info = this.model.element(typeKey, tag);
      const index = counts.get(tag) ?? 0;
      counts.set(tag, index + 1);
      const here = info?.repeats ? `${path}.${tag}[${index}]` : `${path}.${tag}`;
      if (info === undefined || info.xmlAttribute) {
        this.problem("CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", here, `${tag} is not an element of ${typeKey} in FHIR R4`);
        continue;
      }
      if (!info.repeats && index > 0) {
        this.problem("CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", here, `${tag} may occur only once in ${typeKey}`);
        continue;
      }
      const attrs = attributesOf(node);
      if (info.type === "xhtml") {
        this.assign(out, tag, this.xhtml(node, tag, attrs), undefined, info.repeats);
      } else if (this.model.primitive(info.type) !== undefined) {
        const raw = this.attribute(attrs, "value", here);
        const value = raw === undefined ? null : (this.typedValue(raw, info.type, here) ?? null);
        const extra: FhirObject = {};
        const id = this.attribute(attrs, "id", here);
        if (id !== undefined) extra.id = id;
        this.children(childrenOf(node, tag), "Element", extra, here);
        const hasExtra = Object.keys(extra).length > 0;
        this.assign(out, tag, value, hasExtra ? extra : null, info.repeats);
        if (info.repeats) primitiveArrays.add(tag);
      } else if (info.type === "Resource") {
        const inner = childrenOf(node, tag).find((n) => {
          const t = tagOf(n);
          return t !== undefined && t !== "#text";
        });
        const innerType = inner === undefined ? undefined : tagOf(inner);
        if (inner === undefined || innerType === undefined || !this.model.isResource(innerType)) {
          this.problem("CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", here, `${tag} must hold one FHIR R4 resource`);
          continue;
        }
        this.assign(out, tag, this.resource(inner, innerType, here), undefined, info.repeats);
      } else {
        const value: FhirObject = {};
        const id = this.attribute(attrs, "id", here);
        if (id !== undefined) value.id = id;
        if (this.model.element(info.type, "url")?.xmlAttribute) {
          const url = this.attribute(attrs, "url", here);
          if (url !== undefined) value.url = url;
        }
        this.children(childrenOf(node, tag), info.type, value, here);
        this.assign(out, tag, value, undefined, info.repeats);
      }
    }
    for (const tag of primitiveArrays) tidyPrimitiveArray(out, tag);
  }

  private xhtml(node: XmlNode, tag: string, attrs: Attributes): string {
    const text = childrenOf(node, tag)
      .map((n) => (typeof n["#text"] === "string" ? n["#text"] : ""))
      .join("");
    const attributes = Object.entries(attrs)
      .map(([k, v]) => ` ${k}="${escapeAttribute(decodeEntities(v) ?? v)}"`)
      .join("");
    return `<${tag}${attributes}>${text}</${tag}>`;
  }

  private assign(out: FhirObject, tag: string, value: unknown, extra: FhirObject | null | undefined, repeats: boolean) {
    if (!repeats) {
      if (value !== null) out[tag] = value;
      if (extra !== undefined && extra !== null) out[`_${tag}`] = extra;
      return;
    }
    pushTo(out, tag, value);
    if (extra !== undefined) pushTo(out, `_${tag}`, extra);
  }
}

function pushTo(out: FhirObject, key: string, value: unknown): void {
  const list = out[key];
  if (Array.isArray(list)) list.push(value);
  else out[key] = [value];
}

/** FHIR JSON drops `_x` arrays with no extension and `x` arrays with no value; the two stay aligned otherwise. */
function tidyPrimitiveArray(out: FhirObject, tag: string): void {
  const values = out[tag] as unknown[];
  const extras = out[`_${tag}`] as unknown[] | undefined;
  if (extras?.every((e) => e === null)) delete out[`_${tag}`];
  if (values.every((v) => v === null)) delete out[tag];
}

/**
 * Converts FHIR R4 XML to FHIR JSON. Which elements are arrays, which primitives are numbers or booleans,
 * and where resources nest come from the FHIR R4 definitions. DOCTYPE and entity declarations are refused
 * before parsing (no entity expansion, no external entities); size and nesting depth are bounded.
 */
export function fhirXmlToJson(xml: string, limits?: Partial<ParseLimits>): XmlToJsonResult {
  const bounds = resolveLimits(limits);
  const fail = (issue: ValidationIssue): XmlToJsonResult => ({ ok: false, issues: [issue] });
  if (xml.length > bounds.maxBytes || Buffer.byteLength(xml) > bounds.maxBytes)
    return fail(
      fhirIssue("CAREHUB_ERR_FHIR_TOO_LARGE", "(input)", `the message is larger than ${bounds.maxBytes} bytes`),
    );
  if (hasDeclaration(xml))
    return fail(
      fhirIssue(
        "CAREHUB_ERR_FHIR_XML_DOCTYPE",
        "(input)",
        "DOCTYPE and ENTITY declarations are not allowed in a message",
      ),
    );
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    return fail(
      fhirIssue(
        "CAREHUB_ERR_FHIR_XML_SYNTAX",
        "(input)",
        `the input is not well-formed XML (${valid.err.code} at line ${valid.err.line}, column ${valid.err.col})`,
      ),
    );
  let parser = parsers.get(bounds.maxDepth);
  if (parser === undefined) {
    parser = parserFor(bounds.maxDepth);
    parsers.set(bounds.maxDepth, parser);
  }
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(xml) as XmlNode[];
  } catch (error) {
    const deep = error instanceof Error && /nested/i.test(error.message);
    return fail(
      deep
        ? fhirIssue("CAREHUB_ERR_FHIR_TOO_DEEP", "(input)", `the document nests deeper than ${bounds.maxDepth} levels`)
        : fhirIssue("CAREHUB_ERR_FHIR_XML_SYNTAX", "(input)", "the input is not well-formed XML"),
    );
  }
  const roots = nodes.filter((n) => {
    const tag = tagOf(n);
    return tag !== undefined && tag !== "#text" && !tag.startsWith("?");
  });
  const root = roots[0];
  const rootTag = root === undefined ? undefined : tagOf(root);
  if (root === undefined || rootTag === undefined || roots.length !== 1)
    return fail(
      fhirIssue("CAREHUB_ERR_FHIR_XML_SYNTAX", "(input)", "the XML document must have exactly one root element"),
    );
  if (attributesOf(root).xmlns !== FHIR_NS)
    return fail(
      fhirIssue("CAREHUB_ERR_FHIR_XML_NAMESPACE", rootTag, `the root element is not in the ${FHIR_NS} namespace`),
    );
  const model = fhirModel();
  if (!model.isResource(rootTag))
    return fail(fhirIssue("CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", rootTag, `${rootTag} is not a FHIR R4 resource`));
  const converter = new Converter(model);
  const value = converter.resource(root, rootTag, rootTag);
  if (converter.issues.length > 0) return { ok: false, issues: converter.issues };
  return { ok: true, value };
}
