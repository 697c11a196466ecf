export { EndpointRegistry, type RegistrySource } from "./endpoint-registry.ts";
export { loadRegistryFile, parseRegistryText } from "./load-registry-file.ts";
export {
  endpointInboxDurable,
  endpointNatsPermissions,
  endpointReplyPrefix,
  type HubNatsUser,
  hubNatsPermissions,
  type NatsAuthorizationOptions,
  type NatsAuthorizationTopology,
  type NatsPermissions,
  natsAuthorization,
} from "./nats-authorization.ts";
export {
  isNatsAuthorizationError,
  NatsAuthorizationError,
  REGISTRY_NATS_AUTHORIZATION,
} from "./nats-authorization-error.ts";
export { isRegistryConfigError, REGISTRY_INVALID, RegistryConfigError } from "./registry-config-error.ts";
export { type ResolvedSigningSecrets, resolveSigningSecrets, type SecretSources } from "./signing-secrets.ts";
export { hashToken } from "./token-hash.ts";
export { formatPath, validateRegistryConfig } from "./validate-registry-config.ts";
export { type RegistryWatcher, type RegistryWatchOptions, watchRegistry } from "./watch-registry.ts";
