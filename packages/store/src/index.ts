export { type CareItemRecord, careItem } from "./care-overview/care-item.ts";
export { onCareList } from "./care-overview/care-lists.ts";
export { courseId, parseCourseId } from "./care-overview/care-member.ts";
export type { CareBoard } from "./care-overview/care-overview-store.ts";
export { type CareLinks, CareOverviewStore } from "./care-overview/care-overview-store.ts";
export { type CareViewer, visibleItems } from "./care-overview/course-access.ts";
export { courseState } from "./care-overview/course-state.ts";
export { CARE_PACKAGES, type CarePackage, carePackage } from "./care-overview/package-codes.ts";
export {
  analysisCodes,
  daysBetween,
  MAX_STAT_DAYS,
  type PeriodAnalysisCount,
  type PeriodMessageCount,
  type PeriodStats,
  periodOf,
  type StatPeriod,
  statDay,
} from "./day-stats.ts";
export { decodeEntity, encodeEntity } from "./entity-codec.ts";
export { type AppointmentTime, type FoldResult, factKey, foldFacts, type StatusFact } from "./entity-fold.ts";
export { createEntityReader, type EntityReader } from "./entity-reader.ts";
export {
  applyEntityUpdate,
  type EntityApplyOptions,
  type EntityState,
  type EntityUpdate,
  type EntityView,
  effectiveCounterparts,
  entityParties,
  entityView,
  type PartyRef,
  type PendingEffect,
  type SubjectRef,
  subjectKey,
  toBusinessEntity,
  withAppointments,
} from "./entity-state.ts";
export { hubIdOfMember, indexMember } from "./index-member.ts";
export { parseTimerMember, type StoreKeys, storeKeys, type TimerRef, timerMember } from "./keys.ts";
export { decodeMessage, encodeMessage, toLifecycle, toSummary } from "./message-codec.ts";
export { type ListMessagesQuery, listCursorAt } from "./message-query.ts";
export {
  applyEnvelope,
  applyEvent,
  awaitsAcknowledgement,
  emptyMessage,
  type Hop,
  listingTime,
  type MessageState,
  overallStatus,
  type ReceiverState,
  receiverStatus,
} from "./message-state.ts";
export { patientHash, patientIndexHash } from "./patient-hash.ts";
export {
  APPOINTMENT_MACHINE,
  checkTransition,
  machineFor,
  REFERRAL_MACHINE,
  type StateMachine,
  type SubjectType,
  TASK_MACHINE,
  type TransitionCheck,
} from "./state-machines.ts";
export {
  anyMayState,
  type EntityParties,
  ORIGINATOR_STATUSES,
  STATUS_NOT_A_PARTY,
  type StatusAuthority,
  statusAuthority,
} from "./status-authority.ts";
export { forwardedEntity, resolveStatusSubject, type StatusAddressing } from "./status-subject.ts";
export {
  type CareLinkInput,
  type ClaimedTimer,
  createStore,
  type MessageChange,
  type PatientListQuery,
  type ReadModelQueries,
  ReadModelStore,
  type StoreOptions,
  type WriteResult,
} from "./store.ts";
export {
  CorruptRecordError,
  InvalidCursorError,
  InvalidQueryError,
  STORE_ERROR_CODES,
  StoreContendedError,
  StoreUnavailableError,
} from "./store-errors.ts";
export type { StaleLimits } from "./write-plan.ts";
