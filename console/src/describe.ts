// Campaigns and message states in words, for summaries, the approver's review and timelines.

import type { Campaign } from "./api";
import { t, tk } from "./i18n";
import { formatDate, formatHour, formatList } from "./format";
import { DAYS } from "./model";

export function describePeriod(period: Campaign["period"] | null | undefined): string {
  const start = period?.start ?? null;
  const end = period?.end ?? null;
  if (start && end) return t("period.between", { start: formatDate(start), end: formatDate(end) });
  if (start) return t("period.from", { start: formatDate(start) });
  if (end) return t("period.until", { end: formatDate(end) });
  return t("period.always");
}

function relativeWhen(n: number, anchor: string): string {
  const a = tk(`anchor.${anchor}`);
  if (n === 0) return t("trigger.relative_same", { anchor: a });
  return n < 0 ? t("trigger.relative_before", { n: -n, anchor: a }) : t("trigger.relative_after", { n, anchor: a });
}

export function describeTrigger(trigger: any): string {
  if (!trigger) return "";
  if (trigger.type === "schedule") {
    const days: string[] = trigger.days ?? [];
    const dayText = days.length === 7 ? t("trigger.every_day") : formatList(DAYS.filter((d) => days.includes(d)).map((d) => tk(`day.${d}`)));
    const hours = formatList([...(trigger.hours ?? [])].sort((a: number, b: number) => a - b).map(formatHour));
    return t("trigger.schedule", { days: dayText, hours });
  }
  if (trigger.type === "status_change") return t("trigger.status_change");
  let when = relativeWhen(trigger.offset_days ?? 0, trigger.anchor);
  if (trigger.offset_minutes) when = t("trigger.relative_minutes", { when, m: trigger.offset_minutes });
  if (trigger.at) when = t("trigger.relative_at", { when, at: trigger.at });
  return when;
}

export function describeTarget(trigger: any, target: any): string {
  if (!trigger || !target) return "";
  if (trigger.type === "schedule") {
    const n = target.send_offset_days ?? 0;
    const params = { status: tk(`rstatus.${target.status}`), anchor: tk(`anchor.${target.anchor}`), n: Math.abs(n) };
    if (n === 0) return t("target.schedule_same", params);
    return n < 0 ? t("target.schedule_before", params) : t("target.schedule_after", params);
  }
  if (trigger.type === "status_change") return t("target.status_change", { status: tk(`rstatus.${target.status}`) });
  return t("target.relative", { statuses: formatList((target.statuses ?? []).map((s: string) => tk(`rstatus.${s}`)), "disjunction") });
}

export function describeChannel(channel: Campaign["channel"]): string {
  const primary = tk(`channel.${channel.primary}`);
  return channel.fallback === "sms" ? t("channel.with_fallback", { primary }) : primary;
}

/** A condition in words: "Number of guests more than 2", "ETA provided: No". */
export function describeCondition(c: any): string {
  const name = tk(`cond.${c.type}`, { fallback: c.type });
  const yesNo = (v: any) => (v === false ? t("common.no") : t("common.yes"));
  switch (c.type) {
    case "source":
      return `${name} ${tk(`op.${c.op}`)} ${formatList((c.value ?? []).map((s: string) => tk(`source.${s}`, { fallback: s })))}`;
    case "unit":
    case "preferred_language":
      return `${name} ${tk(`op.${c.op}`)} ${formatList((c.value ?? []).map(String))}`;
    case "guests_count":
    case "hometown":
    case "total_payout":
    case "planned_arrival":
    case "planned_departure":
      return `${name} ${tk(`op.${c.op}`)} ${c.value}`;
    case "authorization_hold":
    case "security_deposit":
    case "payment":
      return `${name}: ${tk(`pay.${c.value}`, { fallback: String(c.value) })}`;
    case "guest_app_form_submitted":
      return `${name} (${c.app_id}): ${yesNo(c.value)}`;
    case "custom_field":
      return `${name} ${c.key}: ${yesNo(c.value)}`;
    case "available_nights":
      return `${name}: ${tk(`cond.side_${c.side}`)}, ${tk(`cond.days_${c.days}`)}, ≤ ${c.max_gap_nights}: ${yesNo(c.value ?? true)}`;
    case "review_submitted": {
      const ratings = Object.entries(c.min_ratings ?? {}).map(([k, v]) => `${k} ≥ ${v}`);
      return `${name}: ${yesNo(c.value)}${ratings.length ? ` (${ratings.join(", ")})` : ""}`;
    }
    default:
      return `${name}: ${yesNo(c.value)}`;
  }
}

/** Why a message is in its state, from its reason code (README "Reasons in final states"). */
export function explainReason(state: string, reason: string | null | undefined): string {
  if (!reason) return tk(`why.${state}`, { fallback: "" });
  const [code, ...rest] = reason.split(":");
  const arg = rest.join(":");
  switch (code) {
    case "conditions_not_met":
      return t("why.conditions_not_met", { condition: tk(`cond.${arg}`, { fallback: arg }) });
    case "reservation_conditions_not_met":
      return t("why.reservation_conditions_not_met", { condition: tk(`cond.${arg}`, { fallback: arg }) });
    case "missing_variable":
      return t("why.missing_variable", { name: arg });
    case "status_changed":
    case "status_not_targeted":
      return t(`why.${code}`, { status: tk(`rstatus.${arg}`, { fallback: arg }) });
    case "rescheduled":
      if (arg === "quiet_hours") return t("why.rescheduled_quiet_hours");
      if (arg === "anchor_moved") return t("why.rescheduled_anchor_moved");
      return t("why.other", { reason });
    case "fallback_after":
      return t("why.fallback_after", { cause: arg.endsWith("opted_out") ? t("why.cause_opted_out") : t("why.cause_failed") });
    case "whatsapp_failed":
    case "sms_failed":
      return t(`why.${code}`, { code: arg || "?" });
    case "no_phone":
    case "opted_out":
    case "reservation_canceled":
    case "expired":
    case "campaign_archived":
    case "campaign_changed":
    case "campaign_paused":
    case "send_outcome_unknown":
      return t(`why.${code}`);
    default:
      return t("why.other", { reason });
  }
}
