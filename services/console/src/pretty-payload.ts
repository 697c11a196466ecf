/**
 * A payload laid out for reading: JSON (FHIR JSON) re-indented, XML (FHIR XML, OIOXML) one element per line and
 * indented by depth. Anything it cannot read is shown exactly as received. Pure.
 */
export function prettyPayload(raw: string, contentType: string): string {
  if (/json/i.test(contentType) || raw.trimStart().startsWith("{")) {
    try {
      return JSON.stringify(JSON.parse(raw), null, 2);
    } catch {
      return raw;
    }
  }
  if (/xml/i.test(contentType) || raw.trimStart().startsWith("<")) return indentXml(raw);
  return raw;
}

function indentXml(raw: string): string {
  const tokens = raw.replace(/>\s+</g, "><").match(/<[^>]+>|[^<]+/g);
  if (tokens === null) return raw;
  const lines: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    const next = tokens[i + 1];
    const after = tokens[i + 2];
    const isOpen = token.startsWith("<") && !token.startsWith("</") && !token.endsWith("/>") && !/^<[?!]/.test(token);
    // <a>text</a> stays on one line.
    if (isOpen && next !== undefined && !next.startsWith("<") && after?.startsWith("</")) {
      lines.push(`${"  ".repeat(depth)}${token}${next.trim()}${after}`);
      i += 2;
      continue;
    }
    if (token.startsWith("</")) depth = Math.max(0, depth - 1);
    const text = token.startsWith("<") ? token : token.trim();
    if (text !== "") lines.push(`${"  ".repeat(depth)}${text}`);
    if (isOpen) depth += 1;
  }
  return lines.join("\n");
}
