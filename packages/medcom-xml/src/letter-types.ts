import type { ContentOf, MessageKind } from "@carehub/schemas";

type ReferralCategory = ContentOf<"referral">["category"];

type LetterFamily = ContentOf<"letter">["family"];

/**
 * How carehub reads a letter's content. `envelope` letters are routed on their envelope only: their content is
 * recorded as which letter they are (kind `letter`), never read.
 */
export type ContentReader =
  | "lab-result"
  | "microbiology-result"
  | "pathology-result"
  | "referral"
  | "lab-requisition"
  | "booking"
  | "receipt"
  | "envelope";

/** What carehub knows about one OIOXML letter element. */
export interface LetterType {
  /** The letter element under Emessage. */
  element: string;
  kind: MessageKind;
  reader: ContentReader;
  /** The family the letter belongs to, for `envelope` letters (docs/oioxml-letters.md). */
  family?: LetterFamily;
  /** Accepted Letter/StatisticalCode values (some senders write REF06, others XREF06). */
  statisticalCodes: readonly string[];
  /** Accepted Letter/VersionCode values: the schema versions MedCom published for this letter. */
  versionCodes: readonly string[];
  /** Receipts have no patient, and the VANS receipt's sender is a network id, not a GLN. */
  receipt?: "XCTL01" | "XCTL02" | "XCTL03";
  /** Letters whose schema has no Patient element (prescriptions carry the patient inside each drug line). */
  noPatient?: true;
  referralCategory?: ReferralCategory;
  /** The MedCom name of the standard, for the documentation. */
  title: string;
}

/** XNNNnn also written without the leading X (REF06 and XREF06 are the same letter). */
function codes(code: string): string[] {
  return code.startsWith("X") ? [code, code.slice(1)] : [code, `X${code}`];
}

function envelopeOnly(
  element: string,
  code: string,
  versionCodes: string[],
  family: LetterFamily,
  title: string,
  extra: Partial<LetterType> = {},
): LetterType {
  return {
    element,
    kind: "letter",
    reader: "envelope",
    family,
    statisticalCodes: codes(code),
    versionCodes,
    title,
    ...extra,
  };
}

/**
 * Every MedCom OIOXML letter type: the ONE table that classifies them. Element names, StatisticalCodes and
 * VersionCodes as MedCom's published OIOXML schemas (2005/08/07 … 2015/02/16) spell them. docs/oioxml-letters.md
 * is tied to this table by a test.
 */
export const LETTER_TYPES: readonly LetterType[] = [
  // Laboratory results (XRPT): read for rules and tracking (consent, corrections, sample).
  {
    element: "LaboratoryReport",
    kind: "lab-result",
    reader: "lab-result",
    statisticalCodes: ["XRPT01"],
    versionCodes: ["XR0130K", "XR0131K"],
    title: "Laboratoriesvar, klinisk biokemi",
  },
  {
    element: "MicrobiologyReport",
    kind: "lab-result",
    reader: "pathology-result",
    statisticalCodes: codes("XRPT02"),
    versionCodes: ["XR0230M", "XR0231M"],
    title: "Mikrobiologisvar",
  },
  {
    element: "CervixcytologyReport",
    kind: "lab-result",
    reader: "pathology-result",
    statisticalCodes: codes("XRPT03"),
    versionCodes: ["XR0330P", "XR0331P"],
    title: "Cervixcytologisvar",
  },
  {
    element: "HistopathologyReport",
    kind: "lab-result",
    reader: "pathology-result",
    statisticalCodes: codes("XRPT04"),
    versionCodes: ["XR0430P", "XR0431P", "XR0432P"],
    title: "Histopatologisvar",
  },
  {
    element: "MicrobiologyWebReport",
    kind: "lab-result",
    reader: "microbiology-result",
    statisticalCodes: ["XRPT05"],
    versionCodes: ["XR0530M", "XR0531M", "XR0532M"],
    title: "Mikrobiologisvar (web)",
  },
  {
    element: "MiBaReport",
    kind: "lab-result",
    reader: "pathology-result",
    statisticalCodes: codes("XRPT06"),
    versionCodes: ["XR0630M"],
    title: "MiBa-svar",
  },
  {
    element: "GeneticsReport",
    kind: "lab-result",
    reader: "pathology-result",
    statisticalCodes: codes("XRPT07"),
    versionCodes: ["XR0730G"],
    title: "Genetiksvar",
  },
  envelopeOnly("DiabeticFootStatus", "XRPT01", ["XR0130F"], "report", "Diabetisk fodstatus"),
  // Referrals (XREF): read for the referral's id, category, priority and reason.
  {
    element: "HospitalReferral",
    kind: "referral",
    reader: "referral",
    statisticalCodes: ["XREF01", "REF01"],
    versionCodes: ["XH0130R"],
    referralCategory: "hospital",
    title: "Sygehushenvisning",
  },
  {
    element: "XrayRequest",
    kind: "referral",
    reader: "referral",
    statisticalCodes: codes("XREF02"),
    versionCodes: ["XH0230R"],
    referralCategory: "other",
    title: "Røntgenhenvisning",
  },
  {
    element: "PrivateSpecialistReferral",
    kind: "referral",
    reader: "referral",
    statisticalCodes: ["REF06", "XREF06"],
    versionCodes: ["XH0630R", "XH0631R"],
    referralCategory: "private-specialist",
    title: "Speciallægehenvisning",
  },
  {
    element: "PhysiotherapyReferral",
    kind: "referral",
    reader: "referral",
    statisticalCodes: ["REF07", "XREF07"],
    versionCodes: ["XH0730R", "XH0731R"],
    referralCategory: "physiotherapy",
    title: "Fysioterapihenvisning",
  },
  {
    element: "PsychologistReferral",
    kind: "referral",
    reader: "referral",
    statisticalCodes: codes("XREF10"),
    versionCodes: ["XH1030R"],
    referralCategory: "other",
    title: "Psykologhenvisning",
  },
  {
    element: "TeddyReferral",
    kind: "referral",
    reader: "referral",
    statisticalCodes: codes("XREF12"),
    versionCodes: ["XH1230R"],
    referralCategory: "other",
    title: "Henvisning (Teddy)",
  },
  // Requisitions (XREQ): read for consent.
  ...(
    [
      ["LaboratoryRequest", "XREQ01", ["XQ0130K", "XQ0131K"], "Rekvisition, klinisk biokemi"],
      ["MicrobiologyRequest", "XREQ02", ["XQ0230M"], "Rekvisition, mikrobiologi"],
      ["PathologyRequest", "XREQ03", ["XQ0330P", "XQ0331P"], "Rekvisition, patologi"],
      ["MultiSampleMicrobiologyRequest", "XREQ04", ["XQ0430M"], "Rekvisition, mikrobiologi (flere prøver)"],
    ] as const
  ).map(
    ([element, code, versionCodes, title]): LetterType => ({
      element,
      kind: "lab-requisition",
      reader: "lab-requisition",
      statisticalCodes: codes(code),
      versionCodes,
      title,
    }),
  ),
  {
    element: "BookingConfirmation",
    kind: "status-update",
    reader: "booking",
    statisticalCodes: ["XDIS13"],
    versionCodes: ["XD1333L"],
    title: "Bookingbekræftelse",
  },
  // Receipts (XCTL): read to correlate with the letter they answer.
  {
    element: "NegativeVansReceipt",
    kind: "acknowledgement",
    reader: "receipt",
    statisticalCodes: ["XCTL01"],
    versionCodes: ["XC0130Q"],
    receipt: "XCTL01",
    title: "Negativ VANS-kvittering",
  },
  {
    element: "NegativeReceipt",
    kind: "acknowledgement",
    reader: "receipt",
    statisticalCodes: ["XCTL02"],
    versionCodes: ["XC0230Q"],
    receipt: "XCTL02",
    title: "Negativ kvittering",
  },
  {
    element: "PositiveReceipt",
    kind: "acknowledgement",
    reader: "receipt",
    statisticalCodes: ["XCTL03"],
    versionCodes: ["XC0330Q"],
    receipt: "XCTL03",
    title: "Positiv kvittering",
  },
  // Discharge letters and other clinical letters (XDIS): routed on their envelope.
  envelopeOnly("DischargeLetter", "XDIS01", ["XD0133L"], "discharge", "Udskrivningsepikrise"),
  envelopeOnly("OutPatientDischargeLetter", "XDIS02", ["XD0233L"], "discharge", "Ambulantepikrise"),
  envelopeOnly("CasualtyWardLetter", "XDIS03", ["XD0333L"], "discharge", "Skadestuenotat"),
  envelopeOnly("RadiologyReport", "XDIS05", ["XD0533L"], "report", "Røntgensvar"),
  envelopeOnly("DoctorsCallCenterLetter", "XDIS06", ["XD0633L"], "discharge", "Lægevagtsnotat"),
  envelopeOnly("PrivateSpecialistLetter", "XDIS07", ["XD0733L"], "discharge", "Speciallægeepikrise"),
  envelopeOnly("SpecialistLetter", "XDIS07", ["XD0733L"], "discharge", "Speciallægeepikrise"),
  envelopeOnly("PhysiotherapyLetter", "XDIS08", ["XD0833L"], "discharge", "Fysioterapiepikrise"),
  envelopeOnly("TeddyLetter", "XDIS08", ["XD0833L"], "discharge", "Epikrise (Teddy)"),
  envelopeOnly("PsychologistLetter", "XDIS10", ["XD1033L", "XD1034L"], "discharge", "Psykologepikrise"),
  envelopeOnly("AnswerOfAdmission", "XDIS14", ["XD1430C", "XD1431C"], "admission", "Svar på indlæggelsesrapport"),
  envelopeOnly("ReportOfAdmission", "XDIS16", ["XD1630C"], "admission", "Indlæggelsesrapport"),
  envelopeOnly("NotificationOfDischarge", "XDIS17", ["XD1730C"], "admission", "Udskrivningsadvis"),
  envelopeOnly("ReportOfDischarge", "XDIS18", ["XD1830C"], "admission", "Udskrivningsrapport"),
  envelopeOnly("WarningOfDischarge", "XDIS19", ["XD1930C"], "admission", "Varsling om færdigbehandling"),
  envelopeOnly("NotificationOfAdmission", "XDIS20", ["XD2030C"], "admission", "Indlæggelsesadvis"),
  envelopeOnly("BirthNotification", "XDIS32", ["XD3234L"], "report", "Fødselsanmeldelse"),
  envelopeOnly("AdministrativeEmail", "XDIS90", ["XD9034L"], "correspondence", "Administrativ e-mail"),
  envelopeOnly("ClinicalEmail", "XDIS91", ["XD9133L", "XD9134L"], "correspondence", "Korrespondancemeddelelse"),
  envelopeOnly("BinaryLetter", "XBIN01", ["XB0130X", "XB0131X"], "binary", "Binært brev"),
  // Prescriptions: the patient is inside each drug line, not a Patient element.
  envelopeOnly("Prescription", "XPRE01", ["XLMS015", "XLMS016"], "prescription", "Recept", { noPatient: true }),
  envelopeOnly("PrescriptionRequest", "XPRE60", ["XR6031W"], "prescription", "Receptfornyelse", {
    noPatient: true,
  }),
  // Registers and files.
  envelopeOnly("DiabetesReport", "XI0001", ["XI0001D", "XI0002D"], "register", "Diabetesindberetning"),
  envelopeOnly(
    "LaboratoryAnalysisFile",
    "XDAO01",
    ["XA0130Z", "XA0132Z", "XA0133Z", "XA0135Z", "XA0137Z", "XA0138Z", "XA0139Z", "XA0140Z"],
    "register",
    "Laboratorieanalysefil",
    { noPatient: true },
  ),
  envelopeOnly("MDSRepertoire", "XDAR05", ["XD0132Z"], "register", "MDS-repertoire", { noPatient: true }),
  // Invoices (XRUC): no single patient.
  ...(
    [
      ["GeneralPractitionerInvoice", "XRUC01", ["XU0131U"], "Afregning, almen praksis"],
      ["PrivateSpecialistInvoice", "XRUC02", ["XU0231U"], "Afregning, speciallæge"],
      ["DentistInvoice", "XRUC03", ["XU0331U", "XU0332U"], "Afregning, tandlæge"],
      ["PhysiotherapyInvoice", "XRUC04", ["XU0432U"], "Afregning, fysioterapi"],
      ["ChiropractorInvoice", "XRUC06", ["XU0631U"], "Afregning, kiropraktor"],
      ["LaboratoryInvoice", "XRUC07", ["XU0731U"], "Afregning, laboratorium"],
      ["EmergencyServicePractitionerInvoice", "XRUC08", ["XU0831U"], "Afregning, lægevagt"],
      ["PsychologistInvoice", "XRUC10", ["XU1031U"], "Afregning, psykolog"],
      ["ChiropodyInvoice", "XRUC11", ["XU1131U"], "Afregning, fodterapi"],
    ] as const
  ).map(([element, code, versionCodes, title]) =>
    envelopeOnly(element, code, [...versionCodes], "invoice", title, { noPatient: true }),
  ),
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
