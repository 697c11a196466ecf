import type { z } from "zod";
import { BusinessEntity, MessageLifecycle, MessagePage, StatusCounts } from "./api.ts";
import { AuditRecord } from "./audit.ts";
import { MessageContent } from "./content.ts";
import { Envelope, ParsedMessage } from "./envelope.ts";
import { LifecycleEvent } from "./events.ts";
import { RecordedMessage, RecordingHeader } from "./recording.ts";
import { Endpoint, RegistryConfig } from "./registry.ts";
import { ValidationIssue } from "./validation.ts";

/**
 * The schemas published as JSON Schema files under schemas/generated/ (file name → schema).
 * `pnpm schemas:generate` writes them; `pnpm schemas:check` (run in CI) fails if they drifted.
 */
export const PUBLISHED_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  envelope: Envelope,
  "parsed-message": ParsedMessage,
  "message-content": MessageContent,
  "lifecycle-event": LifecycleEvent,
  endpoint: Endpoint,
  "registry-config": RegistryConfig,
  "validation-issue": ValidationIssue,
  "api-message-lifecycle": MessageLifecycle,
  "api-message-page": MessagePage,
  "api-business-entity": BusinessEntity,
  "api-status-counts": StatusCounts,
  "audit-record": AuditRecord,
  "recording-header": RecordingHeader,
  "recorded-message": RecordedMessage,
};
