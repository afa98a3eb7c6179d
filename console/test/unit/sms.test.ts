import { describe, expect, it } from "vitest";
import { nonGsmCharacters, segments } from "../../src/sms";

// The same figures as shared/domain/src/sms.rs's tests.
describe("SMS segments", () => {
  const seg = (body: string) => {
    const s = segments(body);
    return [s.encoding, s.characters, s.segments];
  };
  it("counts GSM-7 with 160 in one part and 153 per part", () => {
    expect(seg("")).toEqual(["gsm7", 0, 0]);
    expect(seg("Hi Ana, see you on 10 June!")).toEqual(["gsm7", 27, 1]);
    expect(seg("a".repeat(160))).toEqual(["gsm7", 160, 1]);
    expect(seg("a".repeat(161))).toEqual(["gsm7", 161, 2]);
    expect(seg("a".repeat(306))).toEqual(["gsm7", 306, 2]);
    expect(seg("a".repeat(307))).toEqual(["gsm7", 307, 3]);
  });
  it("counts extension characters twice and never splits an escape pair", () => {
    expect(seg("Total: 45€")).toEqual(["gsm7", 11, 1]);
    expect(seg("{[~]}|^\\")).toEqual(["gsm7", 16, 1]);
    expect(seg("€".repeat(80))).toEqual(["gsm7", 160, 1]);
    expect(seg(`${"a".repeat(152)}€${"a".repeat(10)}`)).toEqual(["gsm7", 164, 2]);
    expect(seg(`${"a".repeat(152)}€${"a".repeat(152)}`)).toEqual(["gsm7", 306, 3]);
  });
  it("switches the whole body to UCS-2 with 70 / 67 per part", () => {
    expect(seg("Olá, até já ✨")).toEqual(["ucs2", 13, 1]);
    expect(seg("ê".repeat(70))).toEqual(["ucs2", 70, 1]);
    expect(seg("ê".repeat(71))).toEqual(["ucs2", 71, 2]);
    expect(segments("ê".repeat(71)).perPart).toBe(67);
    // An emoji is a surrogate pair: two code units, never split.
    expect(seg(`${"a".repeat(66)}😀`)).toEqual(["ucs2", 68, 1]);
    expect(seg(`${"a".repeat(66)}😀${"a".repeat(3)}`)).toEqual(["ucs2", 71, 2]);
    expect(nonGsmCharacters("À bientôt 🌞 ô")).toEqual(["À", "ô", "🌞"]);
  });
});
