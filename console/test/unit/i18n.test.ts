import { describe, expect, it } from "vitest";
import { DICTIONARIES, translate } from "../../src/i18n";

describe("interface text", () => {
  it("has every English text in French, none empty", () => {
    const en = Object.keys(DICTIONARIES.en).sort();
    expect(Object.keys(DICTIONARIES.fr).sort()).toEqual(en);
    for (const lang of ["en", "fr"] as const) {
      for (const [key, value] of Object.entries(DICTIONARIES[lang])) expect(value.trim(), `${lang} ${key}`).not.toBe("");
    }
  });
  it("uses the same parameters in both languages", () => {
    const params = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const [key, value] of Object.entries(DICTIONARIES.en)) {
      expect(params(DICTIONARIES.fr[key as keyof typeof DICTIONARIES.fr]), key).toEqual(params(value));
    }
  });
  it("fills parameters and keeps template braces", () => {
    expect(translate(DICTIONARIES.en, "why.missing_variable", { name: "eta" })).toContain("{{eta}}");
    expect(translate(DICTIONARIES.fr, "wizard.step", { n: 2, title: "Déclencheur" })).toBe("Étape 2 sur 5 : Déclencheur");
  });
});
