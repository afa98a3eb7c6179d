// The public HTTP API (SPEC 6), with the same tokens and roles as any other client.

import { config } from "./config";
import { currentIdentity } from "./auth";

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field: string | null,
    public errors: FieldError[],
  ) {
    super(message);
  }
}

/** Called when the API answers 401: the session is over. */
export let onUnauthorized: (message: string) => void = () => {};
export function setUnauthorizedHandler(handler: (message: string) => void) {
  onUnauthorized = handler;
}

export interface Response<T> {
  data: T;
  etag: string | null;
}

export async function request<T>(method: string, path: string, body?: unknown, ifMatch?: string | null): Promise<Response<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  const identity = currentIdentity();
  if (identity) headers.authorization = `Bearer ${identity.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (ifMatch) headers["if-match"] = ifMatch;
  let response: globalThis.Response;
  try {
    response = await fetch(`${config.api_base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "network", String(e), null, []);
  }
  const text = await response.text();
  let doc: any = null;
  if (text) {
    try {
      doc = JSON.parse(text);
    } catch {
      doc = null;
    }
  }
  if (!response.ok) {
    const error = doc?.error ?? {};
    const apiError = new ApiError(
      response.status,
      error.code ?? `http_${response.status}`,
      error.message ?? response.statusText,
      error.field ?? null,
      Array.isArray(doc?.errors) ? doc.errors : error.field ? [{ field: error.field, code: error.code, message: error.message }] : [],
    );
    if (response.status === 401) onUnauthorized(apiError.message);
    throw apiError;
  }
  return { data: doc as T, etag: response.headers.get("etag") };
}

export const get = <T>(path: string) => request<T>("GET", path).then((r) => r.data);

// ---- shapes (functions/http/openapi.json)

export type CampaignStatus = "draft" | "pending" | "active" | "rejected" | "paused" | "archived";
export type Channel = "whatsapp" | "sms";

export interface Unit {
  id: string;
  name?: string | null;
}

export interface PropertyOption {
  id: string;
  name: string;
  time_zone: string;
  check_in_time: string;
  check_out_time: string;
  pms: string;
  pms_name: string;
  pms_delivers_events: boolean;
  triggers: string[];
  units: Unit[];
  /** Property-local; a campaign that respects them sends at their end what falls due inside. */
  quiet_hours?: { start: string; end: string } | null;
  chatbot_ids: string[];
}

export interface FaqOption {
  id: string;
  /** Language tag -> question; `en` always. */
  question: Record<string, string>;
}

export interface FlowOption {
  id: string;
  name: string;
}

export interface ChatbotOption {
  id: string;
  name?: string | null;
  property_ids: string[];
  channels: Channel[];
  primary_channels: Channel[];
  fallback_channels: Channel[];
  languages: string[];
  /** What a quick-reply button may name (`faq_id`, `flow_id`). */
  faqs?: FaqOption[];
  flows?: FlowOption[];
}

export interface CampaignOptions {
  properties: PropertyOption[];
  chatbots: ChatbotOption[];
  variables: string[];
  categories: string[];
  reservation_statuses: string[];
  days: string[];
  relative_anchors: string[];
  reservation_condition_types: string[];
  message_condition_types: string[];
  limits: any;
}

export interface Campaign {
  id: string;
  account_id: string;
  created_by: string;
  status: CampaignStatus;
  rejection_reason?: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  activated_at?: string | null;
  /** Approved by an approver, waiting for Meta to approve its WhatsApp templates (SPEC 2.4). */
  awaiting_meta?: boolean;
  /** Meta's review of the WhatsApp template of each language. */
  whatsapp_templates?: Record<string, { status: "pending" | "approved" | "rejected"; reason?: string | null }>;
  category: string;
  name: string;
  property_id: string;
  chatbot_id: string;
  period: { start: string | null; end: string | null };
  trigger: any;
  target: any;
  channel: { primary: Channel; fallback?: Channel | null };
  messages: Record<string, { whatsapp?: any; sms?: any }>;
  reservation_conditions: any[];
  message_conditions: any[];
  /** Left out when `respect` (the default). */
  quiet_hours?: "respect" | "ignore" | null;
}

export interface Notification {
  id: string;
  at: string;
  kind: string;
  campaign_id: string;
  title: string;
  body: string;
  read: boolean;
}

export interface TimelineEntry {
  at: string;
  state: string;
  reason?: string | null;
  channel?: Channel | null;
}

export interface MessageView {
  id: string;
  campaign_id: string;
  campaign_name?: string | null;
  due_at: string;
  expires_at: string;
  state: string;
  reason?: string | null;
  language?: string | null;
  channel?: Channel | null;
  /** Left out when there is none (the OpenAPI document says required). */
  attempts?: { channel: Channel; at: string; status: string; error?: string | null; provider_message_id?: string | null }[];
  timeline?: TimelineEntry[];
}

export interface ReservationTimeline {
  reservation_id: string;
  property_id: string;
  status: string;
  check_in: string;
  check_out: string;
  transitions: { seq: number; from?: string | null; to: string; at: string }[];
  /** What conditions read: the PMS's values with the operators' over them. */
  custom_fields?: Record<string, boolean>;
  /** The PMS's own values (also those an operator overrides). */
  pms_custom_fields?: Record<string, boolean>;
  /** Set by operators (`PATCH /reservations/{id}/custom-fields`). */
  operator_custom_fields?: Record<string, boolean>;
  /** Timeline entries besides messages: `custom_field`, `faq_answered`, `flow_chosen`. */
  events?: ReservationEvent[];
  messages: MessageView[];
}

export type ReservationEvent =
  | { kind: "custom_field"; at: string; by: string; key: string; value: boolean | null }
  | { kind: "faq_answered"; at: string; campaign_id: string; message_id: string; faq_id: string; language: string }
  | { kind: "flow_chosen"; at: string; campaign_id: string; message_id: string; flow_id: string };

/** `GET /me`, `PUT /me`. */
export interface Me {
  id: string;
  account_id: string;
  role: string;
  name?: string | null;
  email?: string | null;
  email_notifications: boolean;
  language: "en" | "fr";
}

export interface PreviewRecipient {
  reservation_id: string;
  guest: string;
  due_at: string;
  estimated: boolean;
  decision: string;
  reason?: string | null;
  message?: { channel: Channel; language: string; body: string; sms?: { encoding: string; characters: number; segments: number } | null } | null;
  fallback?: { channel: Channel; language: string; body: string; sms?: { encoding: string; characters: number; segments: number } | null } | null;
  conditions: { condition: any; holds: boolean }[];
}

export interface PreviewResult {
  campaign_id: string;
  from: string;
  until: string;
  days: number;
  recipients: PreviewRecipient[];
  summary: Record<string, number>;
  notes: string[];
}
