import { describe, expect, it } from "vitest";
import { HubRequestError, HubResponseError, HubUnreachableError } from "./errors.ts";
import { createClient, retryAfterMs } from "./hub-client.ts";

// The hub client's mapping of HTTP answers, with a fetch that answers from a table (the real gateway is
// exercised in test/sdk-*.e2e.test.ts).
function clientAnswering(status: number, body: string, seen: Request[] = []) {
  return createClient({
    baseUrl: "http://hub.test/",
    token: "secret",
    fetch: async (input, init) => {
      seen.push(new Request(input, init));
      return new Response(body, { status, headers: { "content-type": "application/json" } });
    },
  });
}

describe("hub client", () => {
  it("posts the bytes with the content type and bearer token, and reads the gateway's answer", async () => {
    const seen: Request[] = [];
    const client = clientAnswering(202, JSON.stringify({ id: "h1", messageId: "m1", status: "received" }), seen);
    await expect(client.send("{}", { contentType: "application/fhir+json" })).resolves.toEqual({
      id: "h1",
      messageId: "m1",
      status: "received",
      duplicate: false,
    });
    expect(seen[0]?.url).toBe("http://hub.test/v1/messages");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer secret");
    expect(seen[0]?.headers.get("content-type")).toBe("application/fhir+json");
  });

  it("reports a repeat as a duplicate, and a message whose id the gateway could not read without one", async () => {
    const repeat = clientAnswering(
      200,
      JSON.stringify({ id: "h1", messageId: "m1", status: "received", duplicate: true }),
    );
    await expect(repeat.send("{}", { contentType: "application/fhir+json" })).resolves.toMatchObject({
      duplicate: true,
    });
    const unread = clientAnswering(202, JSON.stringify({ id: "h2", status: "received" }));
    await expect(unread.send("{", { contentType: "application/fhir+json" })).resolves.toEqual({
      id: "h2",
      messageId: undefined,
      status: "received",
      duplicate: false,
    });
  });

  it("raises the gateway's own error code, retryable for 503 and not for 401", async () => {
    const down = clientAnswering(503, JSON.stringify({ code: "CAREHUB_ERR_GATEWAY_UNAVAILABLE", message: "bus down" }));
    const error = await down.send("{}", { contentType: "application/fhir+json" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubRequestError);
    expect(error).toMatchObject({ code: "CAREHUB_ERR_GATEWAY_UNAVAILABLE", status: 503, retryable: true });
    const denied = clientAnswering(401, JSON.stringify({ code: "CAREHUB_ERR_AUTH", message: "no" }));
    await expect(denied.send("{}", { contentType: "application/fhir+json" })).rejects.toMatchObject({
      code: "CAREHUB_ERR_AUTH",
      retryable: false,
    });
  });

  it("tells an unreachable hub and a garbled answer apart, both retryable", async () => {
    const unreachable = createClient({
      baseUrl: "http://hub.test",
      token: "t",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const error = await unreachable.send("{}", { contentType: "application/fhir+json" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubUnreachableError);
    expect(error).toMatchObject({ code: "CAREHUB_ERR_CLIENT_HUB_UNREACHABLE", retryable: true });
    const garbled = clientAnswering(202, "<html>proxy</html>");
    const second = await garbled.send("{}", { contentType: "application/fhir+json" }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(HubResponseError);
  });

  it("answers undefined for an id the query API does not know", async () => {
    const client = clientAnswering(404, JSON.stringify({ code: "CAREHUB_ERR_NOT_FOUND", message: "no such message" }));
    await expect(client.getMessage("nope")).resolves.toBeUndefined();
    await expect(client.getReferral("nope")).resolves.toBeUndefined();
  });

  it("asks for a referral, task or appointment by originator and id when the originator is given", async () => {
    const seen: Request[] = [];
    const client = clientAnswering(404, JSON.stringify({ code: "CAREHUB_ERR_QUERY_NOT_FOUND", message: "no" }), seen);
    await client.getReferral("ref 1", "gp-1");
    await client.getTask("t-1");
    await client.getAppointment("a-1", "gp-1");
    expect(seen.map((r) => new URL(r.url).pathname)).toEqual([
      "/v1/referrals/gp-1/ref%201",
      "/v1/tasks/t-1",
      "/v1/appointments/gp-1/a-1",
    ]);
  });
});

describe("retryAfterMs", () => {
  const answer = (status: number, retryAfter?: string) => ({
    status,
    headers: new Headers(retryAfter === undefined ? {} : { "retry-after": retryAfter }),
  });

  it("reads seconds or an HTTP date from a busy answer, and nothing from any other", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(answer(503, "2"), now)).toBe(2_000);
    expect(retryAfterMs(answer(429, "Thu, 01 Jan 2026 00:00:05 GMT"), now)).toBe(5_000);
    expect(retryAfterMs(answer(503), now)).toBeUndefined();
    expect(retryAfterMs(answer(503, "soon"), now)).toBeUndefined();
    expect(retryAfterMs(answer(500, "2"), now)).toBeUndefined();
  });
});
