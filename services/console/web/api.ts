/** The console API as the web application calls it: JSON in and out, the session travels as an HttpOnly cookie. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const answer = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok) {
    throw new ApiError(response.status, answer.code ?? "unknown", answer.message ?? response.statusText);
  }
  return answer as T;
}

export interface SessionInfo {
  operator: { id: string; name: string; role: "viewer" | "operator" | "admin" };
  permissions: string[];
  expiresAt: string;
}

export interface Vocabulary {
  endpoints: Array<{ id: string; name: string }>;
  kinds: string[];
  statuses: string[];
}
