// Dates in the user's locale. Instants (RFC 3339) are shown in the browser's time zone; the
// property-local dates of the API (YYYY-MM-DD) are shown as they are, never shifted.

import { locale } from "./i18n";

export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function formatDate(isoDate: string | null | undefined): string {
  if (!isoDate) return "";
  const [y, m, d] = isoDate.split("-").map(Number);
  if (!y || !m || !d) return isoDate;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** "10:00" in the user's locale (e.g. "10:00 AM" in en-US). */
export function formatHour(hour: number): string {
  return new Intl.DateTimeFormat(locale(), { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(new Date(Date.UTC(2000, 0, 1, hour)));
}

export function formatList(items: string[], type: "conjunction" | "disjunction" = "conjunction"): string {
  try {
    return new Intl.ListFormat(locale(), { style: "long", type }).format(items);
  } catch {
    return items.join(", ");
  }
}

/** A language tag's name in the interface language ("pt" -> "Portuguese" / "portugais"). */
export function languageName(tag: string): string {
  try {
    const name = new Intl.DisplayNames([locale()], { type: "language" }).of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag;
  }
}
