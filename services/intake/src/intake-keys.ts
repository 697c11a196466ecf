/** The Redis keys intake reads and writes besides the stored acknowledgements (docs/contracts.md "Redis keys"). */
export function intakeKeys(namespace: string) {
  return {
    /** Hub id of the first copy of a sender's message (also written by the gateway). */
    messageId: (endpoint: string, messageId: string) => `${namespace}:msgid:${endpoint}:${messageId}`,
  };
}
