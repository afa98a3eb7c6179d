// The wizard's working state (a "draft") and its translation to and from the API's campaign
// body (SPEC 2.3, Appendix A.2). Field paths are the server's: `messages.pt.whatsapp.buttons[1].title`.

import type { Campaign, CampaignOptions, CampaignStatus, Channel, FieldError } from "./api";

export type PeriodMode = "always" | "start" | "end" | "both";
export type Direction = "before" | "same" | "after";
export type TriggerType = "schedule" | "status_change" | "relative";
export type ContentType = "text" | "quick_reply" | "call_to_action";
export type QuietHoursPolicy = "respect" | "ignore";

export interface QuickReply {
  title: string;
  link: "flow_id" | "faq_id";
  target: string;
}

export interface CallToAction {
  type: "phone" | "url";
  title: string;
  value: string;
}

export interface LanguageDraft {
  whatsapp: { type: ContentType; body: string; quickReplies: QuickReply[]; actions: CallToAction[] };
  sms: { body: string };
}

export interface Draft {
  id: string | null;
  version: number | null;
  lifecycle: CampaignStatus | null;
  // step 1
  category: string;
  name: string;
  property_id: string;
  chatbot_id: string;
  // step 2
  periodMode: PeriodMode;
  start: string;
  end: string;
  trigger: TriggerType;
  days: string[];
  hours: number[];
  relAnchor: "confirmation" | "check_in" | "check_out";
  relDays: number;
  relDirection: Direction;
  relMinutes: number;
  relAt: string;
  /** `respect`: a message due inside the property's quiet hours goes out when they end. */
  quietHours: QuietHoursPolicy;
  // step 3
  status: string;
  anchor: "check_in" | "check_out";
  offsetDays: number;
  offsetDirection: Direction;
  statuses: string[];
  reservation_conditions: any[];
  message_conditions: any[];
  // step 4
  primary: Channel | "";
  fallback: boolean;
  // step 5
  languages: string[];
  messages: Record<string, LanguageDraft>;
}

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const STATUSES = ["confirmed", "checked_in", "checked_out", "canceled"];
export const LIMITS = { name: 40, text: 1600, quick_reply: 1024, call_to_action: 640, sms: 160, button_title: 20 } as const;

export function emptyLanguage(): LanguageDraft {
  return {
    whatsapp: { type: "text", body: "", quickReplies: [{ title: "", link: "flow_id", target: "" }], actions: [{ type: "url", title: "", value: "https://" }] },
    sms: { body: "" },
  };
}

export function emptyDraft(): Draft {
  return {
    id: null,
    version: null,
    lifecycle: null,
    category: "",
    name: "",
    property_id: "",
    chatbot_id: "",
    periodMode: "always",
    start: "",
    end: "",
    trigger: "schedule",
    days: [...DAYS],
    hours: [10],
    relAnchor: "check_in",
    relDays: 2,
    relDirection: "before",
    relMinutes: 0,
    relAt: "10:00",
    quietHours: "respect",
    status: "confirmed",
    anchor: "check_in",
    offsetDays: 3,
    offsetDirection: "before",
    statuses: ["confirmed", "checked_in"],
    reservation_conditions: [],
    message_conditions: [],
    primary: "",
    fallback: false,
    languages: ["en"],
    messages: { en: emptyLanguage() },
  };
}

const signed = (n: number, direction: Direction) => (direction === "same" ? 0 : direction === "before" ? -Math.abs(n) : Math.abs(n));
const split = (n: number): [number, Direction] => (n === 0 ? [0, "same"] : n < 0 ? [-n, "before"] : [n, "after"]);

/** The channels the draft sends on (primary first). */
export function channelsInUse(d: Draft): Channel[] {
  if (d.primary === "") return [];
  return d.primary === "whatsapp" && d.fallback ? ["whatsapp", "sms"] : [d.primary];
}

function whatsappBody(w: LanguageDraft["whatsapp"]): any {
  if (w.type === "text") return { type: "text", body: w.body };
  if (w.type === "quick_reply") {
    return { type: "quick_reply", body: w.body, buttons: w.quickReplies.map((b) => ({ title: b.title, [b.link]: b.target })) };
  }
  return { type: "call_to_action", body: w.body, buttons: w.actions.map((b) => ({ type: b.type, title: b.title, [b.type]: b.value })) };
}

/** The body of `POST /campaigns` / `PUT /campaigns/{id}`. */
export function toBody(d: Draft): any {
  const trigger =
    d.trigger === "schedule"
      ? { type: "schedule", days: DAYS.filter((x) => d.days.includes(x)), hours: [...d.hours].sort((a, b) => a - b) }
      : d.trigger === "status_change"
        ? { type: "status_change" }
        : {
            type: "relative",
            anchor: d.relAnchor,
            offset_days: signed(d.relDays, d.relDirection),
            ...(d.relMinutes ? { offset_minutes: d.relMinutes } : {}),
            ...(d.relAt ? { at: d.relAt } : {}),
          };
  const target =
    d.trigger === "schedule"
      ? { status: d.status, anchor: d.anchor, send_offset_days: signed(d.offsetDays, d.offsetDirection) }
      : d.trigger === "status_change"
        ? { status: d.status }
        : { statuses: STATUSES.filter((s) => d.statuses.includes(s)) };
  const channels = channelsInUse(d);
  const messages: Record<string, any> = {};
  for (const language of d.languages) {
    const content = d.messages[language] ?? emptyLanguage();
    const entry: any = {};
    if (channels.includes("whatsapp")) entry.whatsapp = whatsappBody(content.whatsapp);
    if (channels.includes("sms")) entry.sms = { type: "text", body: content.sms.body };
    messages[language] = entry;
  }
  return {
    category: d.category,
    name: d.name,
    property_id: d.property_id,
    chatbot_id: d.chatbot_id,
    period: {
      start: d.periodMode === "start" || d.periodMode === "both" ? d.start || null : null,
      end: d.periodMode === "end" || d.periodMode === "both" ? d.end || null : null,
    },
    trigger,
    target,
    channel: { primary: d.primary, fallback: d.primary === "whatsapp" && d.fallback ? "sms" : null },
    messages,
    reservation_conditions: d.reservation_conditions,
    message_conditions: d.message_conditions,
    // Left out when `respect`, the default (as the API gives it back; PUT replaces the whole body).
    ...(d.quietHours === "ignore" ? { quiet_hours: "ignore" } : {}),
  };
}

/** A stored campaign as a draft the wizard can edit. */
export function fromCampaign(c: Campaign): Draft {
  const d = emptyDraft();
  d.id = c.id;
  d.version = c.version;
  d.lifecycle = c.status;
  d.category = c.category;
  d.name = c.name;
  d.property_id = c.property_id;
  d.chatbot_id = c.chatbot_id;
  const start = c.period?.start ?? null;
  const end = c.period?.end ?? null;
  d.periodMode = start && end ? "both" : start ? "start" : end ? "end" : "always";
  d.start = start ?? "";
  d.end = end ?? "";
  d.trigger = c.trigger.type;
  if (c.trigger.type === "schedule") {
    d.days = [...c.trigger.days];
    d.hours = [...c.trigger.hours];
    d.status = c.target.status;
    d.anchor = c.target.anchor;
    [d.offsetDays, d.offsetDirection] = split(c.target.send_offset_days ?? 0);
  } else if (c.trigger.type === "status_change") {
    d.status = c.target.status;
  } else {
    d.relAnchor = c.trigger.anchor;
    [d.relDays, d.relDirection] = split(c.trigger.offset_days ?? 0);
    d.relMinutes = c.trigger.offset_minutes ?? 0;
    d.relAt = c.trigger.at ?? "";
    d.statuses = c.target.statuses ?? ["confirmed", "checked_in"];
  }
  d.quietHours = c.quiet_hours === "ignore" ? "ignore" : "respect";
  d.primary = c.channel.primary;
  d.fallback = c.channel.fallback === "sms";
  const languages = Object.keys(c.messages);
  d.languages = ["en", ...languages.filter((l) => l !== "en")];
  d.messages = {};
  for (const language of d.languages) {
    const m = c.messages[language] ?? {};
    const l = emptyLanguage();
    if (m.whatsapp) {
      l.whatsapp.type = m.whatsapp.type;
      l.whatsapp.body = m.whatsapp.body ?? "";
      if (m.whatsapp.type === "quick_reply") {
        l.whatsapp.quickReplies = (m.whatsapp.buttons ?? []).map((b: any) => ({
          title: b.title ?? "",
          link: b.faq_id != null ? "faq_id" : "flow_id",
          target: b.faq_id ?? b.flow_id ?? "",
        }));
      } else if (m.whatsapp.type === "call_to_action") {
        l.whatsapp.actions = (m.whatsapp.buttons ?? []).map((b: any) => ({ type: b.type, title: b.title ?? "", value: b[b.type] ?? "" }));
      }
    }
    if (m.sms) l.sms.body = m.sms.body ?? "";
    d.messages[language] = l;
  }
  d.reservation_conditions = c.reservation_conditions ?? [];
  d.message_conditions = c.message_conditions ?? [];
  return d;
}

/** The wizard step (1..5) where a field path is edited. */
export function stepOf(path: string): number {
  const head = path.split(/[.[]/)[0];
  switch (head) {
    case "category":
    case "name":
    case "property_id":
    case "chatbot_id":
      return 1;
    case "period":
    case "trigger":
    case "quiet_hours":
      return 2;
    case "target":
    case "reservation_conditions":
    case "message_conditions":
      return 3;
    case "channel":
      return 4;
    default:
      return 5;
  }
}

/** Make the draft consistent with what the options offer (after a property or chatbot change). */
export function reconcile(d: Draft, options: CampaignOptions): Draft {
  const next = { ...d };
  const property = options.properties.find((p) => p.id === next.property_id);
  if (property && !property.chatbot_ids.includes(next.chatbot_id)) {
    next.chatbot_id = property.chatbot_ids.length === 1 ? property.chatbot_ids[0] : "";
  }
  if (property && !property.triggers.includes(next.trigger)) next.trigger = "schedule";
  const chatbot = options.chatbots.find((b) => b.id === next.chatbot_id);
  if (chatbot) {
    if (next.primary !== "" && !chatbot.primary_channels.includes(next.primary)) next.primary = "";
    if (next.primary === "" && chatbot.primary_channels.length === 1) next.primary = chatbot.primary_channels[0];
    if (!(next.primary === "whatsapp" && chatbot.fallback_channels.includes("sms"))) next.fallback = false;
    const languages = next.languages.filter((l) => l === "en" || chatbot.languages.includes(l));
    if (languages.length !== next.languages.length) next.languages = languages;
  }
  return next;
}

/** What must be filled before leaving a step (the server checks everything else on save). */
export function missingFields(d: Draft, step: number): FieldError[] {
  const out: FieldError[] = [];
  const need = (field: string, ok: boolean) => {
    if (!ok) out.push({ field, code: "required", message: "" });
  };
  if (step === 1) {
    need("category", d.category !== "");
    need("name", d.name.trim() !== "");
    need("property_id", d.property_id !== "");
    need("chatbot_id", d.chatbot_id !== "");
  } else if (step === 2) {
    if (d.periodMode === "start" || d.periodMode === "both") need("period.start", d.start !== "");
    if (d.periodMode === "end" || d.periodMode === "both") need("period.end", d.end !== "");
    if (d.trigger === "schedule") {
      need("trigger.days", d.days.length > 0);
      need("trigger.hours", d.hours.length > 0);
    }
  } else if (step === 3) {
    if (d.trigger === "relative") need("target.statuses", d.statuses.length > 0);
    else need("target.status", d.status !== "");
  } else if (step === 4) {
    need("channel.primary", d.primary !== "");
  } else if (step === 5) {
    const channels = channelsInUse(d);
    for (const language of d.languages) {
      const m = d.messages[language];
      if (channels.includes("whatsapp")) need(`messages.${language}.whatsapp.body`, (m?.whatsapp.body ?? "").trim() !== "");
      if (channels.includes("whatsapp") && m?.whatsapp.type === "quick_reply") {
        // Each button answers an FAQ or hands over to a flow of the chatbot's catalogue.
        m.whatsapp.quickReplies.forEach((b, i) => need(`messages.${language}.whatsapp.buttons[${i}].${b.link}`, b.target !== ""));
      }
      if (channels.includes("sms")) need(`messages.${language}.sms.body`, (m?.sms.body ?? "").trim() !== "");
    }
  }
  return out;
}

// ---- the seed's warning next to "fully paid": Airbnb bookings count as fully paid only 24 h
// after arrival, so arrival messages conditioned on it should exclude Airbnb (source condition).

/** Whether the reservation conditions keep Airbnb bookings out. */
export function excludesAirbnb(conditions: any[]): boolean {
  return conditions.some(
    (c) =>
      c?.type === "source" &&
      Array.isArray(c.value) &&
      ((c.op === "not_in" && c.value.includes("airbnb")) || (c.op === "in" && c.value.length > 0 && !c.value.includes("airbnb"))),
  );
}

/** The reservation conditions with Airbnb excluded, changing the source condition if there is one. */
export function withAirbnbExcluded(conditions: any[]): any[] {
  if (excludesAirbnb(conditions)) return conditions;
  const index = conditions.findIndex((c) => c?.type === "source");
  if (index < 0) return [...conditions, { type: "source", op: "not_in", value: ["airbnb"] }];
  const c = conditions[index];
  const value: string[] = Array.isArray(c.value) ? c.value : [];
  let next;
  if (c.op === "not_in") next = { ...c, value: [...value, "airbnb"] };
  else {
    const rest = value.filter((v) => v !== "airbnb");
    next = rest.length ? { ...c, value: rest } : { type: "source", op: "not_in", value: ["airbnb"] };
  }
  return conditions.map((x, i) => (i === index ? next : x));
}
