import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ParsedMessage } from "@carehub/schemas";
import { parseDeliveredMessage } from "./medcom-acknowledgement.ts";

export interface Recorded {
  contentType: string;
  body: Uint8Array;
}

/**
 * A stand-in for the gateway's POST /v1/messages on a loopback port: records what the SDK sends (the
 * acknowledgements) and can be told to refuse the next requests with 503, as a gateway whose bus is down.
 */
export async function startRecordingGateway() {
  const received: Recorded[] = [];
  let refuse = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      if (refuse > 0) {
        refuse--;
        response.writeHead(503, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: "CAREHUB_ERR_GATEWAY_UNAVAILABLE", message: "bus down" }));
        return;
      }
      received.push({
        contentType: request.headers["content-type"] ?? "",
        body: new Uint8Array(Buffer.concat(chunks)),
      });
      response.writeHead(202, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ id: `hub-${received.length}`, messageId: `ack-${received.length}`, status: "received" }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    refuseNext(n: number) {
      refuse = n;
    },
    /** The recorded messages, parsed; throws if the SDK sent anything invalid. */
    parsed(): ParsedMessage[] {
      return received.map((r) => {
        const result = parseDeliveredMessage(r.body, r.contentType);
        if (!result.ok) throw new Error(`the SDK sent an invalid message: ${JSON.stringify(result.issues)}`);
        return result.message;
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
