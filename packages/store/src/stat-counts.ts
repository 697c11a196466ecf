import { MessageStatusFilter, type StatusCounts } from "@carehub/schemas";

/** Turns the `<ns>:idx:stats` hash (`f|<sender>|<kind>|<status>`, `t|<receiver>|<kind>|<status>`) into rows. */
export function parseStatCounts(fields: Record<string, string>): StatusCounts {
  const items: StatusCounts["items"] = [];
  for (const [field, value] of Object.entries(fields)) {
    const [role, endpoint, kind, status] = field.split("|");
    const parsed = MessageStatusFilter.safeParse(status);
    const count = Number(value);
    if ((role !== "f" && role !== "t") || endpoint === undefined || kind === undefined || !parsed.success) continue;
    if (!Number.isInteger(count) || count <= 0) continue;
    items.push({ endpoint, role: role === "f" ? "sender" : "receiver", kind, status: parsed.data, count });
  }
  items.sort(
    (a, b) =>
      a.endpoint.localeCompare(b.endpoint) ||
      a.role.localeCompare(b.role) ||
      a.kind.localeCompare(b.kind) ||
      a.status.localeCompare(b.status),
  );
  return { items };
}
