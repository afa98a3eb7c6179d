import { describe, expect, it } from "vitest";
import { insertAt, messageDate, parseTemplate, placeholder, renderTemplate, sampleValues } from "../../src/template";

const KNOWN = ["guest_first_name", "check_in_date", "eta", "unit_name"];

describe("templates", () => {
  it("renders values and defaults, and names the first missing variable", () => {
    const parsed = parseTemplate("Hi {{ guest_first_name }}, ETA {{eta|soon}}, unit {{unit_name}}", KNOWN);
    if (!("segments" in parsed)) throw new Error("should parse");
    expect(renderTemplate(parsed.segments, { guest_first_name: "Ana" })).toEqual({ text: "Hi Ana, ETA soon, unit {{unit_name}}", missing: "unit_name" });
    expect(renderTemplate(parsed.segments, { guest_first_name: "Ana", eta: "16:30", unit_name: "101" })).toEqual({ text: "Hi Ana, ETA 16:30, unit 101", missing: null });
    // Blank values are missing; an empty default is an explicit choice.
    const blank = parseTemplate("[{{unit_name|}}]", KNOWN);
    if (!("segments" in blank)) throw new Error("should parse");
    expect(renderTemplate(blank.segments, { unit_name: "  " }).text).toBe("[]");
  });
  it("refuses what the server refuses", () => {
    expect(parseTemplate("Hi {{nope}}", KNOWN)).toEqual({ problem: { kind: "unknown_variable", name: "nope" } });
    expect(parseTemplate("Hi {{guest_first_name", KNOWN)).toMatchObject({ problem: { kind: "malformed", reason: "unclosed", offset: 3 } });
    expect(parseTemplate("{{}}", KNOWN)).toMatchObject({ problem: { reason: "empty_name" } });
    expect(parseTemplate("{{eta|a{b}}", KNOWN)).toMatchObject({ problem: { reason: "brace_in_default" } });
    expect(parseTemplate("a }} b", KNOWN)).toEqual({ segments: [{ text: "a }} b" }] });
  });
  it("builds placeholders and inserts them at the caret", () => {
    expect(placeholder("eta", "")).toBe("{{eta}}");
    expect(placeholder("eta", "later {soon}")).toBe("{{eta|later soon}}");
    expect(insertAt("Hi !", 3, 3, "{{guest_first_name}}")).toEqual({ value: "Hi {{guest_first_name}}!", caret: 23 });
    expect(insertAt("Hi XX!", 3, 5, "Y")).toEqual({ value: "Hi Y!", caret: 4 });
  });
  it("writes dates in the message's language", () => {
    expect(messageDate("2026-06-10", "en")).toBe("June 10, 2026");
    expect(messageDate("2026-06-10", "fr")).toBe("10 juin 2026");
    expect(messageDate("2026-06-10", "pt")).toBe("10 de junho de 2026");
    const values = sampleValues({ name: "Casa", check_in_time: "15:00", check_out_time: "11:00", units: [] }, "en", new Date(2026, 5, 1));
    expect(values.check_in_date).toBe("June 11, 2026");
    expect(values.unit_name).toBeUndefined();
  });
});
