import type { ContentOf } from "@carehub/schemas";

type Category = ContentOf<"referral">["category"];

/** A package (pakkeforløb) a package referral opens a course of. */
export interface CarePackage {
  /** The code a package referral carries as its category. */
  code: Category;
  name: string;
  /** The SKS diagnosis codes (or code prefixes) the package is for, as the package referral's reasonCode names them. */
  diagnoses: readonly string[];
}

/**
 * The packages a referral can open a course of (issue 12: KOL and low-back pain). Sources:
 * - the codes: carehub's referral-category CodeSystem
 *   (`https://carehub.dev/fhir/CodeSystem/carehub-referral-category`, schemas/profiles/README.md), which
 *   already carried `package-kol` and `package-low-back-pain` for the package referrals (pakkehenvisning);
 * - the diagnoses: the SKS classification (Sundhedsdatastyrelsen), chapter J44 "Kronisk obstruktiv
 *   lungesygdom" and M54.5 "Lændesmerter", the diagnoses the simulator's package referrals carry
 *   (services/simulator/src/clinical-content.ts).
 * A new package is a row here and a code in that CodeSystem; nothing else names them.
 */
export const CARE_PACKAGES: readonly CarePackage[] = [
  { code: "package-kol", name: "KOL (kronisk obstruktiv lungesygdom)", diagnoses: ["DJ44"] },
  { code: "package-low-back-pain", name: "Lænderygsmerter", diagnoses: ["DM545"] },
];

/** The package a referral category opens a course of, or undefined for an ordinary referral. */
export function carePackage(category: string): CarePackage | undefined {
  return CARE_PACKAGES.find((p) => p.code === category);
}
