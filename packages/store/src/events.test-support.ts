import type { Envelope, EventOf, LifecycleEvent, LifecycleEventType } from "@carehub/schemas";

/** Builders for lifecycle events and envelopes with the contract's event ids, for tests. */

type Extra<T extends LifecycleEventType> = Omit<EventOf<T>, "schemaVersion" | "eventId" | "at" | "hubId" | "type">;

export function event<T extends LifecycleEventType>(
  type: T,
  hubId: string,
  at: number,
  extra: Extra<T>,
  idSuffix?: string,
): LifecycleEvent {
  const parts = [hubId, type];
  const endpoint = (extra as { endpoint?: string }).endpoint;
  const attempt = (extra as { attempt?: number }).attempt;
  if (endpoint !== undefined) parts.push(endpoint);
  if (attempt !== undefined) parts.push(String(attempt));
  const eventId = idSuffix === undefined ? parts.join(":") : `${hubId}:${idSuffix}`;
  return {
    schemaVersion: 1,
    type,
    hubId,
    at: new Date(at).toISOString(),
    eventId,
    ...extra,
  } as unknown as LifecycleEvent;
}

/** The usual life of a message: received, routed to the receivers, delivered, acknowledged. */
export function happyPath(
  hubId: string,
  t0: number,
  options: { sender?: string; receivers?: string[]; kind?: Envelope["kind"]; acknowledge?: boolean } = {},
): LifecycleEvent[] {
  const sender = options.sender ?? "gp-1";
  const receivers = options.receivers ?? ["hosp-1"];
  const kind = options.kind ?? "care-communication";
  const base = { messageId: `msg-${hubId}`, sourceEndpoint: sender, kind };
  const out: LifecycleEvent[] = [
    event("received", hubId, t0, { ...base, contentType: "application/fhir+json", size: 2048 }),
    event("routed", hubId, t0 + 10, { ...base, receivers, ruleCopies: [] }),
  ];
  receivers.forEach((endpoint, i) => {
    out.push(event("delivered", hubId, t0 + 20 + i, { ...base, endpoint, attempt: 1, durationMs: 12 }));
    if (options.acknowledge !== false) {
      out.push(
        event("acknowledged", hubId, t0 + 1_000 + i, {
          ...base,
          endpoint,
          code: "ok",
          ackHubId: `ack-${hubId}-${endpoint}`,
        }),
      );
    }
  });
  return out;
}

export function envelope(hubId: string, receivedAt: number, overrides: Partial<Envelope> = {}): Envelope {
  return {
    schemaVersion: 1,
    hubId,
    kind: "care-communication",
    format: "fhir+json",
    standard: "CareCommunication",
    messageId: `msg-${hubId}`,
    sender: { sor: "123456789012", name: "Lægerne i Byen" },
    receivers: [{ sor: "223456789012" }],
    links: {},
    ackRequested: true,
    content: { kind: "care-communication", threadId: "thread-1", category: "other" },
    sourceEndpoint: "gp-1",
    receivedAt: new Date(receivedAt).toISOString(),
    payload: { stream: "T_INGRESS", seq: 1, contentType: "application/fhir+json", sha256: "0".repeat(64), size: 2048 },
    ...overrides,
  };
}

/** A lab result's envelope (XRPT01) from `lab-1` with these analysis codes. */
export function labResult(hubId: string, receivedAt: number, codes: string[]): Envelope {
  return envelope(hubId, receivedAt, {
    kind: "lab-result",
    sourceEndpoint: "lab-1",
    content: {
      kind: "lab-result",
      letterType: "XRPT01",
      consentGiven: null,
      corrected: false,
      results: codes.map((analysisCode) => ({ analysisCode, status: "svar_endeligt" })),
    },
  });
}
