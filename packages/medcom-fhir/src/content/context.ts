import type { FhirObject } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { MessageProfile } from "../message-profiles.ts";
import type { BundleIndex, IndexedEntry } from "../read/bundle-index.ts";
import type { PatientReading } from "../read/patient.ts";
import type { ProvenanceReading } from "../read/provenance.ts";

/** Everything a kind's content reader may look at. */
export interface ReadContext {
  root: FhirObject;
  bundle: BundleIndex;
  header: IndexedEntry;
  profile: MessageProfile;
  /** The MessageHeader.focus resource, resolved to the profile's focus type. */
  focus?: IndexedEntry;
  patient?: PatientReading;
  provenance: ProvenanceReading;
  issues: IssueSink;
  /**
   * Where to report the rules the current release of the standard added: `issues` itself, or, when the
   * message declares an earlier release (MessageProfile.earlierReleases), a view that reports them as warnings.
   */
  newRules: IssueSink;
}
