import { z } from "zod";

/** SOR id: numeric, at least 11 digits (DK-core min-digits-sor). */
export const SorId = z.string().regex(/^\d{11,18}$/, "a SOR id is 11 to 18 digits");
/** GLN / EAN location number: 13 digits, GS1 mod-10 check digit. */
export const Gln = z
  .string()
  .regex(/^\d{13}$/, "a GLN is 13 digits")
  .refine(isValidGln, "GLN check digit (GS1 mod-10) is wrong");
/**
 * A VANS network id (e.g. `DKKMDKMDNET`): how a VANS provider signs its negative VANS receipt (XCTL01) instead
 * of a GLN. Upper-case letters and digits with at least one letter, so it can never be mistaken for a GLN.
 */
export const VansId = z
  .string()
  .regex(/^(?=.*[A-Z])[A-Z0-9]{4,35}$/, "a VANS id is 4 to 35 upper-case letters and digits, at least one letter");
export const Ydernummer = z.string().regex(/^\d{4,7}$/, "a ydernummer is 4 to 7 digits");

export function isValidGln(value: string): boolean {
  return /^\d{13}$/.test(value) && glnCheckDigit(value.slice(0, 12)) === Number(value[12]);
}

/** GS1 mod-10 check digit of the first 12 digits of a GLN: weights 1,3,1,3,… from the left. */
export function glnCheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/**
 * Whether the first six digits of a CPR or replacement CPR are a possible DDMMYY date — the only check
 * carehub makes (DK-core): no modulus 11, since numbers issued since 2007 need not pass it and MedCom's
 * test patients do not. 29 February is allowed when YY is divisible by 4 (the century is not known here).
 */
export function isValidCprDate(value: string): boolean {
  if (!/^\d{6}/.test(value)) return false;
  const day = Number(value.slice(0, 2));
  const month = Number(value.slice(2, 4));
  const yy = Number(value.slice(4, 6));
  if (month < 1 || month > 12 || day < 1) return false;
  const maxDay = month === 2 ? (yy % 4 === 0 ? 29 : 28) : new Date(Date.UTC(2001, month, 0)).getUTCDate();
  return day <= maxDay;
}

/**
 * A party as the message names it. Routing is by SOR (FHIR) or GLN (OIOXML); a party must
 * carry at least one of them. Identifiers are checked by the format packages, which report
 * precise errors; here they are kept as given so that a rejected message can still be recorded.
 */
export const Party = z
  .object({
    sor: z.string().optional(),
    gln: z.string().optional(),
    ydernummer: z.string().optional(),
    name: z.string().optional(),
    /** Only the sender of a VANS receipt (XCTL01): the VANS provider's network id, in place of a GLN. */
    vans: z.string().optional(),
  })
  .refine(
    (p) => p.sor !== undefined || p.gln !== undefined || p.vans !== undefined,
    "a party needs a SOR id, a GLN or (a VANS) a VANS id",
  );
export type Party = z.infer<typeof Party>;

/** A patient identifier. The value is personal data: never log it, never use it as a key. */
export const PatientIdentifier = z.object({
  system: z.enum(["cpr", "x-ecpr", "d-ecpr", "other"]),
  value: z.string(),
});
export type PatientIdentifier = z.infer<typeof PatientIdentifier>;

/** A reference to an earlier message, as messages make them (MessageHeader id, or GLN#letter id). */
export const MessageRef = z.object({
  messageId: z.string().min(1),
  senderGln: z.string().optional(),
});
export type MessageRef = z.infer<typeof MessageRef>;
