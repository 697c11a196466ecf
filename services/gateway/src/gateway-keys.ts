/**
 * The Redis keys the gateway reads and writes besides the stored acknowledgements, which
 * `@carehub/acknowledgements` reads (docs/contracts.md "Redis keys").
 */
export interface GatewayKeys {
  /** Hub id of the first copy of a sender's message. */
  messageId(endpoint: string, messageId: string): string;
}

export function gatewayKeys(namespace: string): GatewayKeys {
  return {
    messageId: (endpoint, messageId) => `${namespace}:msgid:${endpoint}:${messageId}`,
  };
}
