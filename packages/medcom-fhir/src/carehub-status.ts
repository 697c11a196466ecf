import type { BusinessStatus } from "@carehub/schemas";

/**
 * carehub's business statuses in the FHIR status vocabularies of the three subjects. FHIR's vocabularies are
 * coarser (e.g. ServiceRequest has no "booked"), so the exact business status also travels in the
 * carehub-status-change extension; these columns keep each resource valid FHIR and readable by others.
 */
export const BUSINESS_STATUS_MAP: Readonly<
  Record<BusinessStatus, { serviceRequest: string; task: string; appointment: string }>
> = {
  received: { serviceRequest: "active", task: "received", appointment: "proposed" },
  accepted: { serviceRequest: "active", task: "accepted", appointment: "pending" },
  rejected: { serviceRequest: "revoked", task: "rejected", appointment: "cancelled" },
  "in-progress": { serviceRequest: "active", task: "in-progress", appointment: "arrived" },
  booked: { serviceRequest: "active", task: "accepted", appointment: "booked" },
  rescheduled: { serviceRequest: "active", task: "accepted", appointment: "booked" },
  cancelled: { serviceRequest: "revoked", task: "cancelled", appointment: "cancelled" },
  completed: { serviceRequest: "completed", task: "completed", appointment: "fulfilled" },
  "no-show": { serviceRequest: "active", task: "failed", appointment: "noshow" },
  deleted: { serviceRequest: "entered-in-error", task: "entered-in-error", appointment: "entered-in-error" },
  // The states the originating referral / task requisition itself creates.
  sent: { serviceRequest: "active", task: "requested", appointment: "proposed" },
  requested: { serviceRequest: "active", task: "requested", appointment: "proposed" },
  // Agreed, not yet booked (issue 12): FHIR's "ready" task and "proposed" appointment say just that.
  planned: { serviceRequest: "active", task: "ready", appointment: "proposed" },
};

export const BUSINESS_STATUSES = Object.keys(BUSINESS_STATUS_MAP) as BusinessStatus[];

export function isBusinessStatus(value: string | undefined): value is BusinessStatus {
  return value !== undefined && Object.hasOwn(BUSINESS_STATUS_MAP, value);
}

export const SUBJECT_RESOURCE = { referral: "ServiceRequest", task: "Task", appointment: "Appointment" } as const;
