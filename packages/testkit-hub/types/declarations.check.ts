// The drift check of the hand-written declarations (index.d.mts) against the source, at type level only (run by
// `pnpm typecheck`; nothing here executes). A new export, a changed signature, a new option or TestHub method
// that index.d.mts does not follow fails the typecheck.
import type * as Source from "../src/index.ts";
import type * as Declared from "./index.mjs";

type Assert<T extends true> = T;
/** A is usable wherever B is promised. */
type Fits<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export type DeclarationChecks = [
  // Every value export is declared, and nothing is declared that the bundle does not export.
  Assert<Same<keyof typeof Source, keyof typeof Declared>>,
  // Each export keeps what its declaration promises (parameters: what a caller passes is accepted).
  Assert<Fits<typeof Source.startTestHub, typeof Declared.startTestHub>>,
  Assert<Fits<typeof Source.testRegistry, typeof Declared.testRegistry>>,
  Assert<Fits<typeof Source.registryHubOptions, typeof Declared.registryHubOptions>>,
  Assert<Fits<typeof Source.normalise, typeof Declared.normalise>>,
  Assert<Fits<typeof Source.cleanupHubNamespace, typeof Declared.cleanupHubNamespace>>,
  Assert<Same<typeof Source.TEST_HUB_IDENTITY, typeof Declared.TEST_HUB_IDENTITY>>,
  Assert<Fits<Source.TestHubAssertionError, Declared.TestHubAssertionError>>,
  Assert<Fits<typeof Source.TestReceiver.start, typeof Declared.TestReceiver.start>>,
  Assert<Fits<Source.TestReceiver, Declared.TestReceiver>>,
  Assert<Same<keyof Source.TestReceiver, keyof Declared.TestReceiver>>,
  // The plain-data types are one (types/public-types.mts); this says the source still uses them.
  Assert<Same<Source.TestHubOptions, Declared.TestHubOptions>>,
  Assert<Same<Source.SnapshotEntry, Declared.SnapshotEntry>>,
  Assert<Same<Source.Delivery, Declared.Delivery>>,
  // The handle: every method declared, each as the source has it (the hub and ledger as far as declared).
  Assert<Fits<Source.TestHub, Declared.TestHub>>,
  Assert<Same<keyof Source.TestHub, keyof Declared.TestHub>>,
];
