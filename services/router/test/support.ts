import type { Bus } from "@carehub/bus";
import type { LifecycleEvent } from "@carehub/schemas";

export {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  sleep,
  testNamespace,
  waitFor,
} from "@carehub/bus/testing";

/** A message seen on a core NATS subscription. */
export interface SeenMessage {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

/** Records every message published under a subject pattern (core subscription: sees every publish). */
export class SubjectRecorder {
  readonly messages: SeenMessage[] = [];
  readonly #unsubscribe: () => void;

  constructor(bus: Bus, pattern: string) {
    const subscription = bus.nc.subscribe(pattern);
    void (async () => {
      for await (const message of subscription) {
        const headers: Record<string, string> = {};
        for (const [key, values] of message.headers ?? []) if (values[0] !== undefined) headers[key] = values[0];
        this.messages.push({ subject: message.subject, data: message.data, headers });
      }
    })();
    this.#unsubscribe = () => subscription.unsubscribe();
  }

  close(): void {
    this.#unsubscribe();
  }
}

export class EventCollector {
  readonly #recorder: SubjectRecorder;

  constructor(bus: Bus) {
    this.#recorder = new SubjectRecorder(bus, bus.topology.subjects.all.events);
  }

  get events(): LifecycleEvent[] {
    return this.#recorder.messages.map((m) => JSON.parse(new TextDecoder().decode(m.data)) as LifecycleEvent);
  }

  of<T extends LifecycleEvent["type"]>(type: T, hubId?: string): Extract<LifecycleEvent, { type: T }>[] {
    return this.events.filter(
      (e): e is Extract<LifecycleEvent, { type: T }> => e.type === type && (hubId === undefined || e.hubId === hubId),
    );
  }

  close(): void {
    this.#recorder.close();
  }
}
