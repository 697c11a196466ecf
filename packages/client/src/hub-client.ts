import type { BusinessEntity, MessageLifecycle, StatusCounts } from "@carehub/schemas";
import { HubRequestError, HubResponseError, HubUnreachableError } from "./errors.ts";
import { fetchTransport, type HubAnswer, nodeHttpTransport } from "./http-transport.ts";

export interface ClientOptions {
  /** The hub's HTTP base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The endpoint's bearer token (plaintext; the registry holds only its sha256). */
  token: string;
  /** The endpoint's registry id, when known: used in logs and by consumeInbox. */
  endpointId?: string;
  /**
   * A fetch implementation (tests, proxies). Without it the client sends over node:http(s) with keep-alive
   * connections, and does not follow redirects.
   */
  fetch?: typeof fetch;
  /** Give up on one HTTP request after this long. Default 15 s. */
  requestTimeoutMs?: number;
  /**
   * When the hub answers 503 or 429 with `Retry-After` (it is busy: CAREHUB_ERR_GATEWAY_OVERLOADED, or behind:
   * CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG), wait that
   * long and ask again, at most this many times. Default 3; 0 turns it off.
   */
  busyRetries?: number;
  /** A `Retry-After` longer than this is not waited for (the error is thrown). Default 30 s. */
  maxRetryAfterMs?: number;
}

export interface SendOptions {
  /** `application/fhir+json`, `application/fhir+xml` or `application/xml` (OIOXML). */
  contentType: string;
}

/** What the gateway answers once the bytes are safely on the hub (202), or for a repeat of a message id (200). */
export interface SendResult {
  /** The hub's id of the message (of the first copy for a duplicate). */
  id: string;
  /** The sender's message id (MessageHeader.id / letter id) as the hub read it; absent when it could not. */
  messageId: string | undefined;
  status: string;
  duplicate: boolean;
}

/**
 * A body of the query API, typed by the schemas the hub's OpenAPI document is generated from. The client
 * does not re-validate it: a newer hub may add fields.
 */
export type QueryRecord = MessageLifecycle | BusinessEntity | StatusCounts;

export interface CarehubClient {
  readonly baseUrl: string;
  readonly endpointId: string | undefined;
  send(message: string | Uint8Array, options: SendOptions): Promise<SendResult>;
  /** The lifecycle record of a message by its hub id; `undefined` when the hub does not know the id. */
  getMessage(id: string): Promise<MessageLifecycle | undefined>;
  /**
   * A referral's business state by its referral id (ServiceRequest identifier). Ids are the originator's, so
   * pass `originator` (its registry id) to be exact; without it the hub answers only when exactly one referral
   * with this id is readable (a 409 `CAREHUB_ERR_QUERY_AMBIGUOUS` otherwise, thrown as an error).
   */
  getReferral(id: string, originator?: string): Promise<BusinessEntity | undefined>;
  /** A task's business state by its task id (and, to be exact, its originator). */
  getTask(id: string, originator?: string): Promise<BusinessEntity | undefined>;
  /** An appointment by its id and the originator of the referral or task it was booked for. */
  getAppointment(id: string, originator?: string): Promise<BusinessEntity | undefined>;
  getStats(): Promise<StatusCounts>;
}

/** How long a busy answer (503 / 429) asks the caller to wait, from `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(
  response: { status: number; headers: Pick<HubAnswer["headers"], "get"> },
  now = Date.now(),
): number | undefined {
  if (response.status !== 503 && response.status !== 429) return undefined;
  const header = response.headers.get("retry-after")?.trim();
  if (header === undefined || header === "") return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1_000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function createClient(options: ClientOptions): CarehubClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const transport = options.fetch === undefined ? nodeHttpTransport : fetchTransport(options.fetch);
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const authorization = `Bearer ${options.token}`;

  const busyRetries = options.busyRetries ?? 3;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;

  /** One request, asked again after `Retry-After` while the hub says it is busy (the gateway's back-pressure). */
  async function request(method: string, path: string, body?: string | Uint8Array, contentType?: string) {
    for (let retry = 0; ; retry++) {
      const response = await requestOnce(method, path, body, contentType);
      const wait = retryAfterMs(response);
      if (wait === undefined || wait > maxRetryAfterMs || retry >= busyRetries) return response;
      await response.discard();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async function requestOnce(method: string, path: string, body?: string | Uint8Array, contentType?: string) {
    const headers: Record<string, string> = { authorization, accept: "application/json" };
    if (contentType !== undefined) headers["content-type"] = contentType;
    try {
      return await transport(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        timeoutMs,
      });
    } catch (error) {
      throw new HubUnreachableError(`${method} ${path}: the hub did not answer`, error);
    }
  }

  async function readJson(response: HubAnswer, what: string): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new HubResponseError(`${what}: HTTP ${response.status} with a body cut short`, { cause: error });
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new HubResponseError(`${what}: HTTP ${response.status} with a body that is not JSON`, { cause: error });
    }
  }

  async function failure(response: HubAnswer, what: string): Promise<never> {
    const body = (await readJson(response, what).catch(() => undefined)) as
      | { code?: unknown; message?: unknown }
      | undefined;
    const code =
      typeof body?.code === "string" && body.code.startsWith("CAREHUB_ERR_") ? body.code : "CAREHUB_ERR_CLIENT_HTTP";
    const message = typeof body?.message === "string" ? body.message : `HTTP ${response.status}`;
    throw new HubRequestError(response.status, code, `${what}: ${message}`);
  }

  async function query<T extends QueryRecord>(path: string): Promise<T | undefined> {
    const response = await request("GET", path);
    if (response.status === 404) {
      await response.discard();
      return undefined;
    }
    if (!response.ok) return failure(response, `GET ${path}`);
    const body = await readJson(response, `GET ${path}`);
    if (typeof body !== "object" || body === null) throw new HubResponseError(`GET ${path}: not a JSON object`);
    return body as T;
  }

  return {
    baseUrl,
    endpointId: options.endpointId,
    async send(message, sendOptions) {
      const response = await request("POST", "/v1/messages", message, sendOptions.contentType);
      if (response.status !== 200 && response.status !== 202) return failure(response, "POST /v1/messages");
      const body = (await readJson(response, "POST /v1/messages")) as Partial<Record<keyof SendResult, unknown>>;
      if (typeof body.id !== "string") throw new HubResponseError("POST /v1/messages: the answer has no id");
      return {
        id: body.id,
        // The gateway leaves it out when the bytes name no message id (intake will reject them).
        messageId: typeof body.messageId === "string" ? body.messageId : undefined,
        status: typeof body.status === "string" ? body.status : "received",
        duplicate: body.duplicate === true,
      };
    },
    getMessage: (id) => query<MessageLifecycle>(`/v1/messages/${encodeURIComponent(id)}`),
    getReferral: (id, originator) => query<BusinessEntity>(entityPath("referrals", id, originator)),
    getTask: (id, originator) => query<BusinessEntity>(entityPath("tasks", id, originator)),
    getAppointment: (id, originator) => query<BusinessEntity>(entityPath("appointments", id, originator)),
    async getStats() {
      const stats = await query<StatusCounts>("/v1/stats");
      if (stats === undefined) throw new HubResponseError("GET /v1/stats: not found");
      return stats;
    },
  };
}

/** `/v1/<kind>/<originator>/<id>`, or `/v1/<kind>/<id>` when the originator is not given. */
function entityPath(kind: string, id: string, originator: string | undefined): string {
  const scope = originator === undefined ? "" : `${encodeURIComponent(originator)}/`;
  return `/v1/${kind}/${scope}${encodeURIComponent(id)}`;
}
