// Message templates, as the server parses and renders them (shared/domain/src/template.rs):
// `{{name}}` or `{{name|default}}`; unknown names and malformed placeholders are refused; a
// variable without value and without default never renders blank (the message waits).

export type TemplateProblem =
  | { kind: "unknown_variable"; name: string }
  | { kind: "malformed"; offset: number; reason: "unclosed" | "nested" | "empty_name" | "bad_name" | "brace_in_default" };

export type Segment = { text: string } | { name: string; fallback: string | null };

export function parseTemplate(body: string, known: readonly string[]): { segments: Segment[] } | { problem: TemplateProblem } {
  const segments: Segment[] = [];
  let rest = 0;
  const charOffset = (index: number) => Array.from(body.slice(0, index)).length;
  for (;;) {
    const open = body.indexOf("{{", rest);
    if (open < 0) break;
    if (open > rest) segments.push({ text: body.slice(rest, open) });
    const innerStart = open + 2;
    const close = body.indexOf("}}", innerStart);
    if (close < 0) return { problem: { kind: "malformed", offset: charOffset(open), reason: "unclosed" } };
    const inner = body.slice(innerStart, close);
    const nested = inner.indexOf("{{");
    if (nested >= 0) return { problem: { kind: "malformed", offset: charOffset(innerStart + nested), reason: "nested" } };
    const bar = inner.indexOf("|");
    const rawName = bar >= 0 ? inner.slice(0, bar) : inner;
    const fallback = bar >= 0 ? inner.slice(bar + 1) : null;
    const name = rawName.trim();
    if (name === "") return { problem: { kind: "malformed", offset: charOffset(open), reason: "empty_name" } };
    if (!/^[A-Za-z0-9_]+$/.test(name)) return { problem: { kind: "malformed", offset: charOffset(open), reason: "bad_name" } };
    if (!known.includes(name)) return { problem: { kind: "unknown_variable", name } };
    if (fallback !== null && /[{}]/.test(fallback)) {
      return { problem: { kind: "malformed", offset: charOffset(innerStart + rawName.length + 1 + fallback.search(/[{}]/)), reason: "brace_in_default" } };
    }
    segments.push({ name, fallback });
    rest = close + 2;
  }
  if (rest < body.length) segments.push({ text: body.slice(rest) });
  return { segments };
}

export interface Rendered {
  text: string;
  /** The first variable with neither a value nor a default (the server would hold the message). */
  missing: string | null;
}

export function renderTemplate(segments: Segment[], values: Record<string, string | undefined>): Rendered {
  let text = "";
  let missing: string | null = null;
  for (const s of segments) {
    if ("text" in s) {
      text += s.text;
      continue;
    }
    const value = values[s.name];
    if (value !== undefined && value.trim() !== "") text += value;
    else if (s.fallback !== null) text += s.fallback;
    else {
      missing ??= s.name;
      text += `{{${s.name}}}`;
    }
  }
  return { text, missing };
}

/** The placeholder the variable picker inserts. */
export function placeholder(name: string, fallback: string): string {
  const cleaned = fallback.replace(/[{}]/g, "");
  return cleaned.trim() === "" ? `{{${name}}}` : `{{${name}|${cleaned}}}`;
}

/** Insert `text` into `value` replacing [start, end); returns the new value and caret. */
export function insertAt(value: string, start: number, end: number, text: string): { value: string; caret: number } {
  const s = Math.max(0, Math.min(start, value.length));
  const e = Math.max(s, Math.min(end, value.length));
  return { value: value.slice(0, s) + text + value.slice(e), caret: s + text.length };
}

export interface SampleProperty {
  name: string;
  check_in_time: string;
  check_out_time: string;
  units: { id: string; name?: string | null }[];
}

function isoDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A long date in the message's language, as the server writes it ("June 10, 2026", "10 juin 2026"). */
export function messageDate(iso: string, language: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  try {
    return new Intl.DateTimeFormat(language, { dateStyle: "long", timeZone: "UTC" }).format(date);
  } catch {
    return new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" }).format(date);
  }
}

/** The sample reservation of the live preview: arriving in ten days for three nights. */
export function sampleValues(property: SampleProperty | undefined, language: string, today = new Date()): Record<string, string> {
  const checkIn = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 10);
  const checkOut = new Date(checkIn.getFullYear(), checkIn.getMonth(), checkIn.getDate() + 3);
  const unit = property?.units?.[0];
  return {
    guest_first_name: "Ana",
    guest_last_name: "Silva",
    guest_full_name: "Ana Silva",
    property_name: property?.name ?? "Casa Azul",
    reservation_id: "R-12345",
    check_in_date: messageDate(isoDate(checkIn), language),
    check_out_date: messageDate(isoDate(checkOut), language),
    check_in_time: "16:30",
    check_out_time: property?.check_out_time ?? "11:00",
    eta: "16:30",
    nights: "3",
    adults: "2",
    children: "1",
    guests_count: "3",
    ...(unit ? { unit_name: unit.name ?? unit.id } : {}),
    total_amount: "450.00",
    balance_due: "0.00",
    host_payout: "400.00",
    currency: "EUR",
    guest_language: language,
    hometown: "Porto",
  };
}
