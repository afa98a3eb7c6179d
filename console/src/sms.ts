// SMS segment counting, as the server counts it (shared/domain/src/sms.rs, GSM 03.38):
// a body made only of GSM-7 characters is GSM-7 (extension characters take two septets; 160 in
// one part, 153 per part when concatenated, an escape pair never split); anything else makes the
// whole body UCS-2 (UTF-16 code units; 70 in one part, 67 per part, a surrogate pair never split).

export type Encoding = "gsm7" | "ucs2";

export interface Segments {
  encoding: Encoding;
  /** GSM-7: septets; UCS-2: UTF-16 code units. */
  characters: number;
  /** Number of SMS parts (0 for an empty body). */
  segments: number;
  /** Room per part for this body: 160/153 (GSM-7) or 70/67 (UCS-2). */
  perPart: number;
}

export const GSM7_SINGLE = 160;
export const GSM7_MULTI = 153;
export const UCS2_SINGLE = 70;
export const UCS2_MULTI = 67;

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅå" +
  "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
  " !\"#¤%&'()*+,-./" +
  "0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
  "¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION = "\u000C^{}\\[~]|€";

/** Septets a character takes in GSM-7: 1, 2, or null when it is not in the alphabet. */
export function gsm7Septets(c: string): number | null {
  if (GSM7_BASIC.includes(c)) return 1;
  if (GSM7_EXTENSION.includes(c)) return 2;
  return null;
}

function pack(units: number[], single: number, multi: number): number {
  const total = units.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  if (total <= single) return 1;
  let parts = 1;
  let used = 0;
  for (const u of units) {
    if (used + u > multi) {
      parts += 1;
      used = 0;
    }
    used += u;
  }
  return parts;
}

export function segments(body: string): Segments {
  const chars = Array.from(body);
  const septets = chars.map(gsm7Septets);
  if (septets.every((s) => s !== null)) {
    const units = septets as number[];
    const characters = units.reduce((a, b) => a + b, 0);
    const n = pack(units, GSM7_SINGLE, GSM7_MULTI);
    return { encoding: "gsm7", characters, segments: n, perPart: n > 1 ? GSM7_MULTI : GSM7_SINGLE };
  }
  const units = chars.map((c) => c.length);
  const characters = units.reduce((a, b) => a + b, 0);
  const n = pack(units, UCS2_SINGLE, UCS2_MULTI);
  return { encoding: "ucs2", characters, segments: n, perPart: n > 1 ? UCS2_MULTI : UCS2_SINGLE };
}

/** Characters that force UCS-2 (each distinct one once, in order). */
export function nonGsmCharacters(body: string): string[] {
  const out: string[] = [];
  for (const c of Array.from(body)) {
    if (gsm7Septets(c) === null && !out.includes(c)) out.push(c);
  }
  return out;
}

/** Length as the server's limits count it: Unicode scalar values. */
export function charCount(text: string): number {
  return Array.from(text).length;
}
