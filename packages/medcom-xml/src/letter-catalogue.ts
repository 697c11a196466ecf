import { LETTER_TYPES } from "./letter-types.ts";

const HEADER = `# MedCom OIOXML letters in carehub

Generated from \`packages/medcom-xml/src/letter-types.ts\` (the one table that classifies letter types); a test
(\`letter-catalogue.test.ts\`) fails when this file and the table differ. Regenerate with
\`pnpm --filter @carehub/medcom-xml exec node --experimental-strip-types scripts/write-letter-catalogue.ts\`.

Every letter below is recognised, its envelope validated (Envelope Sent date/time and Identifier,
AcknowledgementCode, Letter Identifier / VersionCode / StatisticalCode / StatusCode, sender and receiver
EANIdentifier as 13-digit GLNs with the GS1 check digit, CPR when the letter has a Patient, every Date and Time,
the windows-1252 / ISO-8859-1 / UTF-8 encoding) and routed by its Receiver (and every CCReceiver that has an
EANIdentifier). A CCReceiver without an EANIdentifier (the 2005 schemas give it only Identifier + IdentifierCode)
is a copy holder named for the reader, not an address: it is not routed to.

**Reader** says how much of the content carehub reads:

- \`lab-result\`, \`microbiology-result\`: per-result status, analysis code, value; consent; corrections (\`svar_rettet\` / \`rettetbrev\`).
- \`pathology-result\`: the report's status, sample id, consent and corrections (findings are coded text).
- \`referral\`: referral id (= letter id), category, priority, reason code.
- \`lab-requisition\`: consent.
- \`booking\`: the referral or appointment the booking confirms, and its time.
- \`receipt\`: the letter it answers (correlation), the refuse code. XCTL01 comes from a VANS: its sender is a
  network id (e.g. \`DKKMDKMDNET\`), accepted only from an endpoint registered as a VANS.
- \`envelope\`: routed on its envelope only; content kind \`letter\` with its StatisticalCode, family, and
  \`corrected\` / \`cancelled\` from StatusCode.

| element | StatisticalCode | VersionCodes | kind | reader | family | MedCom name |
| --- | --- | --- | --- | --- | --- | --- |
`;

/** docs/oioxml-letters.md, rendered from LETTER_TYPES. */
export function renderLetterCatalogue(): string {
  const rows = LETTER_TYPES.map(
    (t) =>
      `| \`${t.element}\` | ${t.statisticalCodes.join(", ")} | ${t.versionCodes.join(", ")} | \`${t.kind}\` | ${t.reader} | ${t.family ?? ""} | ${t.title} |`,
  );
  return `${HEADER}${rows.join("\n")}\n`;
}
