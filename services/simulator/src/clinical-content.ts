import type { Random } from "./random.ts";

/**
 * Plausible clinical content for simulated messages: codes from the national repertoires (NPU, SKS, MedCom)
 * and short made-up texts that never name a person.
 */

export const REFERRAL_REASONS: readonly (readonly [string, string])[] = [
  ["DI109", "Hypertension, uspecificeret"],
  ["DE119", "Type 2-diabetes uden komplikationer"],
  ["DI489", "Atrieflimren og atrieflagren, uspecificeret"],
  ["DK802", "Galdesten uden kolecystit"],
  ["DM169", "Hofteledsartrose, uspecificeret"],
  ["DR079", "Brystsmerter, uspecificeret"],
];
export const KOL_REASON = ["DJ449", "Kronisk obstruktiv lungesygdom, uspecificeret"] as const;
export const LOW_BACK_PAIN_REASON = ["DM545", "Lændesmerter"] as const;

export const TASK_CODES: readonly (readonly [string, string])[] = [
  ["akut-besoeg", "Akut sygeplejebesøg i hjemmet med måling af vitale værdier"],
  ["saarpleje", "Sårpleje to gange ugentligt"],
  ["medicindispensering", "Dispensering af medicin fra næste uge"],
  ["blodproeve-i-hjemmet", "Blodprøvetagning i hjemmet"],
  ["genoptraening", "Genoptræning efter udskrivelse"],
];

/** The municipal rehabilitation a package course asks for, per package (the task a hospital sends the municipality). */
export const PACKAGE_REHABILITATION: Readonly<
  Record<"package-kol" | "package-low-back-pain", readonly [string, string]>
> = {
  "package-kol": ["kol-rehabilitering", "KOL-rehabilitering i kommunen, 8 uger"],
  "package-low-back-pain": ["laenderyg-genoptraening", "Genoptræning for lænderygsmerter i kommunen"],
};

export const CARE_COMMUNICATION_CATEGORIES = [
  "carecoordination",
  "nursing",
  "medicine",
  "examination-results",
  "discharge",
  "training",
  "home-care-assessment",
] as const;

const CARE_TEXTS = [
  "Borgeren er set i dag. Vi aftaler opfølgning i næste uge.",
  "Kan I bekræfte den aktuelle medicinliste?",
  "Der er bestilt hjælpemidler; de leveres i løbet af ugen.",
  "Blodtrykket er stabilt, og borgeren har det godt.",
  "Vi har brug for en opdateret plan for sårpleje.",
];
const REPLY_TEXTS = ["Tak, det er noteret.", "Medicinlisten er opdateret i dag.", "Vi følger op som aftalt."];

export function careText(random: Random, reply: boolean): string {
  return random.pick(reply ? REPLY_TEXTS : CARE_TEXTS);
}

export const NURSES = [
  { family: "Holm", given: ["Lene"], role: "sygeplejerske", phone: "+4586000001" },
  { family: "Kjær", given: ["Mads"], role: "sygeplejerske", phone: "+4586000002" },
  { family: "Dahl", given: ["Sofie"], role: "sygeplejerske", phone: "+4586000003" },
];
export const DOCTORS = [
  { family: "Berg", given: ["Anders"], role: "laege", phone: "+4586000011" },
  { family: "Lund", given: ["Ida"], role: "laege", phone: "+4586000012" },
];

/** Home-care measurements (NPU / MedCom codes from the HomeCareObservation repertoire) with plausible ranges. */
export const HOMECARE_PANEL: readonly {
  system: string;
  code: string;
  display: string;
  unit?: string;
  ucum?: string;
  range: [number, number];
  decimals: number;
}[] = [
  {
    system: "urn:oid:1.2.208.176.2.1",
    code: "NPU19748",
    display: "C-reaktivt protein [CRP];P",
    unit: "mg/L",
    ucum: "mg/L",
    range: [1, 180],
    decimals: 0,
  },
  {
    system: "urn:oid:1.2.208.176.2.1",
    code: "NPU02319",
    display: "Hæmoglobin;B",
    unit: "mmol/L",
    ucum: "mmol/L",
    range: [5.5, 10.5],
    decimals: 1,
  },
  {
    system: "urn:oid:1.2.208.176.2.1",
    code: "NPU21692",
    display: "Puls;Hjerte",
    unit: "/min",
    ucum: "/min",
    range: [48, 130],
    decimals: 0,
  },
  {
    system: "urn:oid:1.2.208.176.2.1",
    code: "NPU08676",
    display: "Legeme temp.;Pt",
    unit: "°C",
    ucum: "Cel",
    range: [36, 40.2],
    decimals: 1,
  },
  {
    system: "urn:oid:1.2.208.176.2.1",
    code: "NPU10197",
    display: "O2 sat.;Hb(kB)",
    unit: "%",
    ucum: "%",
    range: [84, 100],
    decimals: 0,
  },
  {
    system: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-observation-codes",
    code: "MCS88122",
    display: "Respirationsfrekvens;Pt",
    unit: "/min",
    ucum: "/min",
    range: [10, 32],
    decimals: 0,
  },
];

/** Lab analyses (klinisk biokemi) for XRPT01 reports. */
export const LAB_PANEL: readonly {
  code: string;
  shortName: string;
  unit: string;
  range: [number, number];
  decimals: number;
}[] = [
  { code: "NPU02319", shortName: "Hæmoglobin;B", unit: "mmol/L", range: [5.5, 10.5], decimals: 1 },
  { code: "NPU19748", shortName: "CRP;P", unit: "mg/L", range: [1, 120], decimals: 0 },
  { code: "NPU18016", shortName: "Kreatinin;P", unit: "umol/L", range: [45, 180], decimals: 0 },
  { code: "NPU03230", shortName: "Kalium;P", unit: "mmol/L", range: [3.2, 5.4], decimals: 1 },
  { code: "NPU03429", shortName: "Natrium;P", unit: "mmol/L", range: [130, 146], decimals: 0 },
  { code: "NPU27300", shortName: "HbA1c;B", unit: "mmol/mol", range: [30, 90], decimals: 0 },
];

export function measure(random: Random, range: [number, number], decimals: number): number {
  const value = range[0] + random.next() * (range[1] - range[0]);
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** A value as OIOXML writes it: Danish decimal comma, at most 12 characters. */
export function danishNumber(value: number): string {
  return value.toString().replace(".", ",").slice(0, 12);
}
