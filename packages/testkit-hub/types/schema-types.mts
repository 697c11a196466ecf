// The @carehub/schemas types the hand-written declarations (index.d.mts) name. In the repository this resolves to
// the schemas themselves; the build (tsdown.config.ts) turns it into dist/schema-types.d.mts with the types
// inlined (zod's only), so the tarball needs no @carehub/schemas. One list: add a type here, then use it there.
export type {
  DeliveryFormat,
  EndpointInput,
  HubConfig,
  MessageLifecycle,
  RegistryConfigInput,
  RoutingRule,
} from "@carehub/schemas";
