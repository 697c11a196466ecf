import type { ContentOf, MessageKind } from "@carehub/schemas";

type ReferralCategory = ContentOf<"referral">["category"];

/** What carehub knows about one OIOXML letter element. */
export interface LetterType {
  /** The letter element under Emessage. */
  element: string;
  kind: MessageKind;
  /** Accepted Letter/StatisticalCode values (some senders write REF06, others XREF06). */
  statisticalCodes: readonly string[];
  /** Accepted Letter/VersionCode values: the schema versions carehub was built against. */
  versionCodes: readonly string[];
  /** Receipts have no patient, and the VANS receipt's sender is a network id, not a GLN. */
  receipt?: "XCTL01" | "XCTL02" | "XCTL03";
  referralCategory?: ReferralCategory;
}

export const LETTER_TYPES: readonly LetterType[] = [
  {
    element: "LaboratoryReport",
    kind: "lab-result",
    statisticalCodes: ["XRPT01"],
    versionCodes: ["XR0130K", "XR0131K"],
  },
  { element: "MicrobiologyWebReport", kind: "lab-result", statisticalCodes: ["XRPT05"], versionCodes: ["XR0530M"] },
  {
    element: "HospitalReferral",
    kind: "referral",
    statisticalCodes: ["XREF01", "REF01"],
    versionCodes: ["XH0130R"],
    referralCategory: "hospital",
  },
  {
    element: "PrivateSpecialistReferral",
    kind: "referral",
    statisticalCodes: ["REF06", "XREF06"],
    versionCodes: ["XH0630R", "XH0631R"],
    referralCategory: "private-specialist",
  },
  {
    element: "PhysiotherapyReferral",
    kind: "referral",
    statisticalCodes: ["REF07", "XREF07"],
    versionCodes: ["XH0730R", "XH0731R"],
    referralCategory: "physiotherapy",
  },
  { element: "BookingConfirmation", kind: "status-update", statisticalCodes: ["XDIS13"], versionCodes: ["XD1333L"] },
  { element: "LaboratoryRequest", kind: "lab-requisition", statisticalCodes: ["XREQ01"], versionCodes: ["XQ0130K"] },
  {
    element: "NegativeVansReceipt",
    kind: "acknowledgement",
    statisticalCodes: ["XCTL01"],
    versionCodes: ["XC0130Q"],
    receipt: "XCTL01",
  },
  {
    element: "NegativeReceipt",
    kind: "acknowledgement",
    statisticalCodes: ["XCTL02"],
    versionCodes: ["XC0230Q"],
    receipt: "XCTL02",
  },
  {
    element: "PositiveReceipt",
    kind: "acknowledgement",
    statisticalCodes: ["XCTL03"],
    versionCodes: ["XC0330Q"],
    receipt: "XCTL03",
  },
];

const BY_ELEMENT = new Map(LETTER_TYPES.map((t) => [t.element, t]));

export function letterTypeFor(element: string): LetterType | undefined {
  return BY_ELEMENT.get(element);
}

/** Both OIOXML namespace families, any schema release date. */
export const OIOXML_NAMESPACE =
  /^http:\/\/rep\.oio\.dk\/(?:sundcom\.dk\/)?medcom\.dk\/xml\/schemas\/\d{4}\/\d{2}\/\d{2}\/$/;

export const LETTER_STATUS_CODES = ["nytbrev", "rettetbrev", "annulleretbrev"] as const;
export const RESULT_STATUS_CODES = ["proeve_modtaget", "svar_midlertidigt", "svar_endeligt", "svar_rettet"] as const;
export type ResultStatusCode = (typeof RESULT_STATUS_CODES)[number];
export const REPORT_STATUS_CODES = ["del_svar", "komplet_svar", "modtaget"] as const;
export const ACKNOWLEDGEMENT_CODES = ["minuspositivkvitt", "pluspositivkvitt"] as const;
