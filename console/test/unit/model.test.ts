import { describe, expect, it } from "vitest";
import type { Campaign, CampaignOptions } from "../../src/api";
import { customFieldChange, customFieldRows } from "../../src/fields";
import { emptyDraft, excludesAirbnb, fromCampaign, missingFields, reconcile, stepOf, toBody, withAirbnbExcluded } from "../../src/model";

// The SPEC's example campaign (Appendix A.1), as GET /campaigns/{id} returns it.
const SPEC_EXAMPLE = {
  category: "pre_stay",
  name: "Welcome, 3 days out",
  property_id: "p-lis",
  chatbot_id: "bot-1",
  period: { start: null, end: null },
  trigger: { type: "schedule", days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], hours: [10] },
  target: { status: "confirmed", anchor: "check_in", send_offset_days: -3 },
  channel: { primary: "whatsapp", fallback: "sms" },
  messages: {
    en: {
      whatsapp: { type: "text", body: "Hi {{guest_first_name}}, see you on {{check_in_date}}!" },
      sms: { type: "text", body: "Hi {{guest_first_name}}, see you on {{check_in_date}}!" },
    },
    pt: {
      whatsapp: {
        type: "quick_reply",
        body: "Olá {{guest_first_name}}!",
        buttons: [
          { title: "Check-in online", flow_id: "flow-checkin" },
          { title: "Perguntas", faq_id: "faq-1" },
        ],
      },
      sms: { type: "text", body: "Olá {{guest_first_name}}, até {{check_in_date}}!" },
    },
  },
  reservation_conditions: [{ type: "source", op: "in", value: ["airbnb", "direct"] }],
  message_conditions: [{ type: "check_in_form_submitted", value: false }],
};

const stored = { ...SPEC_EXAMPLE, id: "pre-3d", account_id: "acc-1", created_by: "u-ed", status: "active", version: 3, created_at: "", updated_at: "" } as unknown as Campaign;

describe("draft <-> campaign body", () => {
  it("round-trips the SPEC example", () => {
    expect(toBody(fromCampaign(stored))).toEqual(SPEC_EXAMPLE);
  });
  it("round-trips relative and status-change triggers, periods and call-to-action buttons", () => {
    const relative = {
      ...SPEC_EXAMPLE,
      period: { start: "2026-06-01", end: null },
      trigger: { type: "relative", anchor: "confirmation", offset_days: 1, offset_minutes: 30, at: "10:00" },
      target: { statuses: ["confirmed", "checked_in"] },
      channel: { primary: "whatsapp", fallback: null },
      messages: {
        en: {
          whatsapp: {
            type: "call_to_action",
            body: "Call us",
            buttons: [
              { type: "phone", title: "Call us", phone: "+351210000000" },
              { type: "url", title: "Directions", url: "https://example.com/map" },
            ],
          },
        },
      },
    };
    expect(toBody(fromCampaign({ ...stored, ...relative } as unknown as Campaign))).toEqual(relative);
    const statusChange = { ...SPEC_EXAMPLE, period: { start: null, end: "2026-09-30" }, trigger: { type: "status_change" }, target: { status: "checked_in" } };
    expect(toBody(fromCampaign({ ...stored, ...statusChange } as unknown as Campaign))).toEqual(statusChange);
  });
  it("sends content only for the channels in use", () => {
    const d = emptyDraft();
    d.primary = "sms";
    d.fallback = true; // ignored: no fallback after SMS
    d.messages.en.whatsapp.body = "unused";
    d.messages.en.sms.body = "Hi";
    const body = toBody(d);
    expect(body.channel).toEqual({ primary: "sms", fallback: null });
    expect(body.messages).toEqual({ en: { sms: { type: "text", body: "Hi" } } });
  });
  it("knows which step edits a field", () => {
    expect(stepOf("name")).toBe(1);
    expect(stepOf("period.end")).toBe(2);
    expect(stepOf("trigger.type")).toBe(2);
    expect(stepOf("target.send_offset_days")).toBe(3);
    expect(stepOf("message_conditions[0].value")).toBe(3);
    expect(stepOf("channel.fallback")).toBe(4);
    expect(stepOf("messages.pt.whatsapp.buttons[1].title")).toBe(5);
  });
  it("says what each step misses", () => {
    const d = emptyDraft();
    expect(missingFields(d, 1).map((e) => e.field)).toEqual(["category", "name", "property_id", "chatbot_id"]);
    d.periodMode = "both";
    expect(missingFields(d, 2).map((e) => e.field)).toEqual(["period.start", "period.end"]);
    d.primary = "whatsapp";
    d.fallback = true;
    expect(missingFields(d, 5).map((e) => e.field)).toEqual(["messages.en.whatsapp.body", "messages.en.sms.body"]);
  });
  it("keeps the draft within what the options offer", () => {
    const options = {
      properties: [{ id: "p-csv", triggers: ["schedule", "relative"], chatbot_ids: ["sms-bot"] }],
      chatbots: [{ id: "sms-bot", primary_channels: ["sms"], fallback_channels: [], languages: ["en", "fr"] }],
    } as unknown as CampaignOptions;
    const d = { ...emptyDraft(), property_id: "p-csv", trigger: "status_change" as const, primary: "whatsapp" as const, fallback: true, languages: ["en", "pt"] };
    const next = reconcile(d, options);
    expect(next.trigger).toBe("schedule");
    expect(next.chatbot_id).toBe("sms-bot");
    expect(next.primary).toBe("sms");
    expect(next.fallback).toBe(false);
    expect(next.languages).toEqual(["en"]);
  });
});

describe("quiet hours, quick-reply targets and the fully-paid warning", () => {
  it("round-trips quiet_hours: ignore and leaves the default out", () => {
    const ignoring = { ...SPEC_EXAMPLE, quiet_hours: "ignore" };
    const draft = fromCampaign({ ...stored, quiet_hours: "ignore" } as unknown as Campaign);
    expect(draft.quietHours).toBe("ignore");
    expect(toBody(draft)).toEqual(ignoring);
    expect(toBody({ ...draft, quietHours: "respect" })).not.toHaveProperty("quiet_hours");
    expect(emptyDraft().quietHours).toBe("respect");
    expect(stepOf("quiet_hours")).toBe(2);
  });
  it("needs every quick-reply button to name an FAQ or a flow", () => {
    const d = fromCampaign(stored);
    expect(missingFields(d, 5)).toEqual([]);
    d.messages.pt.whatsapp.quickReplies[1] = { title: "Perguntas", link: "faq_id", target: "" };
    expect(missingFields(d, 5).map((e) => e.field)).toEqual(["messages.pt.whatsapp.buttons[1].faq_id"]);
    d.messages.pt.whatsapp.type = "text";
    expect(missingFields(d, 5)).toEqual([]);
  });
  it("knows when Airbnb is excluded and excludes it through the source condition", () => {
    expect(excludesAirbnb([])).toBe(false);
    expect(excludesAirbnb([{ type: "source", op: "in", value: ["airbnb", "direct"] }])).toBe(false);
    expect(excludesAirbnb([{ type: "source", op: "in", value: ["direct"] }])).toBe(true);
    expect(excludesAirbnb([{ type: "source", op: "not_in", value: ["vrbo", "airbnb"] }])).toBe(true);
    expect(excludesAirbnb([{ type: "source", op: "not_in", value: ["vrbo"] }])).toBe(false);
    expect(excludesAirbnb([{ type: "unit", op: "not_in", value: ["airbnb"] }])).toBe(false);

    const unit = { type: "unit", op: "in", value: ["101"] };
    expect(withAirbnbExcluded([unit])).toEqual([unit, { type: "source", op: "not_in", value: ["airbnb"] }]);
    expect(withAirbnbExcluded([{ type: "source", op: "not_in", value: ["vrbo"] }])).toEqual([{ type: "source", op: "not_in", value: ["vrbo", "airbnb"] }]);
    expect(withAirbnbExcluded([{ type: "source", op: "in", value: ["airbnb", "direct"] }])).toEqual([{ type: "source", op: "in", value: ["direct"] }]);
    expect(withAirbnbExcluded([{ type: "source", op: "in", value: ["airbnb"] }])).toEqual([{ type: "source", op: "not_in", value: ["airbnb"] }]);
    const already = [{ type: "source", op: "not_in", value: ["airbnb"] }];
    expect(withAirbnbExcluded(already)).toBe(already);
    for (const c of [[], [unit], [{ type: "source", op: "in", value: ["airbnb", "vrbo"] }]]) expect(excludesAirbnb(withAirbnbExcluded(c))).toBe(true);
  });
});

describe("custom fields on the reservation page", () => {
  it("shows the PMS's value and the operator's, the operator's winning", () => {
    const rows = customFieldRows({
      custom_fields: { vip: true, pool: true, late: false },
      pms_custom_fields: { vip: false, pool: true },
      operator_custom_fields: { vip: true, late: false },
    });
    expect(rows).toEqual([
      { key: "late", pms: null, operator: false, effective: false },
      { key: "pool", pms: true, operator: null, effective: true },
      { key: "vip", pms: false, operator: true, effective: true },
    ]);
    expect(customFieldRows({})).toEqual([]);
    // An older server without pms_custom_fields: the winner is still shown.
    expect(customFieldRows({ custom_fields: { vip: true }, operator_custom_fields: { vip: true } })).toEqual([{ key: "vip", pms: null, operator: true, effective: true }]);
  });
  it("sends one change, null clearing the operator's value", () => {
    expect(customFieldChange(" vip ", true)).toEqual({ vip: true });
    expect(customFieldChange("vip", null)).toEqual({ vip: null });
  });
});
