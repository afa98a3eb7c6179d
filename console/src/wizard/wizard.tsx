// The five-step campaign wizard of the seed help article, driven by `GET /campaign-options`.
// Each step checks what must be filled before moving on; everything else is the server's
// validation, whose field errors are shown next to the field they name.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, request, type Campaign, type CampaignOptions, type ChatbotOption, type FieldError, type PropertyOption } from "../api";
import type { Identity } from "../auth";
import { describeTarget, describeTrigger } from "../describe";
import { formatHour, languageName } from "../format";
import { t, tk } from "../i18n";
import {
  channelsInUse,
  DAYS,
  emptyDraft,
  emptyLanguage,
  excludesAirbnb,
  fromCampaign,
  LIMITS,
  missingFields,
  reconcile,
  STATUSES,
  stepOf,
  toBody,
  withAirbnbExcluded,
  type Direction,
  type Draft,
  type PeriodMode,
  type TriggerType,
} from "../model";
import { charCount } from "../sms";
import { apiMessage, ErrorMessage, errorText, ErrorsContext, fieldId, FieldErrors, focusField, Loading, Notice, StatusBadge, useFieldAria } from "../ui";
import { ConditionList } from "./conditions";
import { LanguageEditor } from "./messages";

export function localDraftKey(identity: Identity): string {
  return `relais.wizard.${identity.accountId}.${identity.sub}`;
}

export function loadLocalDraft(identity: Identity): { draft: Draft; step: number } | null {
  try {
    const saved = JSON.parse(localStorage.getItem(localDraftKey(identity)) ?? "null");
    // Fields added since it was saved take their defaults.
    if (saved && typeof saved === "object" && saved.draft && typeof saved.step === "number") return { ...saved, draft: { ...emptyDraft(), ...saved.draft } };
  } catch {
    // unreadable: ignore
  }
  return null;
}

export function clearLocalDraft(identity: Identity) {
  localStorage.removeItem(localDraftKey(identity));
}

interface Props {
  options: CampaignOptions;
  identity: Identity;
  campaignId: string | null;
  resume: boolean;
  navigate: (hash: string, replace?: boolean) => void;
  onChanged: () => void;
}

const STEP_TITLES = ["wizard.step1", "wizard.step2", "wizard.step3", "wizard.step4", "wizard.step5"] as const;

export function Wizard(props: Props) {
  const { options, identity, campaignId } = props;
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [step, setStep] = useState(1);
  const [reached, setReached] = useState(1);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState<"" | "save" | "submit">("");
  const [notice, setNotice] = useState<string>("");
  const [failure, setFailure] = useState<unknown>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const [focusSummary, setFocusSummary] = useState(0);
  const loadedId = useRef<string | null>(null);

  // Load: a stored campaign, the unsaved one kept in this browser, or a new one.
  useEffect(() => {
    let live = true;
    setLoadError(null);
    if (campaignId && loadedId.current === campaignId) return;
    if (campaignId) {
      request<Campaign>("GET", `/campaigns/${encodeURIComponent(campaignId)}`).then(
        (r) => {
          if (!live) return;
          const d = fromCampaign(r.data);
          if (r.etag) d.version = Number(r.etag.replace(/\D/g, "")) || d.version;
          loadedId.current = d.id;
          setDraft(d);
          setStep(1);
          setReached(5);
        },
        (e) => live && setLoadError(e),
      );
    } else {
      const saved = props.resume ? loadLocalDraft(identity) : null;
      if (saved) {
        setDraft(saved.draft);
        setStep(saved.step);
        setReached(saved.step);
      } else {
        const d = emptyDraft();
        if (options.properties.length === 1) d.property_id = options.properties[0].id;
        setDraft(reconcile(d, options));
      }
    }
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [campaignId]);

  // Keep unsaved progress in this browser.
  useEffect(() => {
    if (draft && !draft.id) localStorage.setItem(localDraftKey(identity), JSON.stringify({ draft, step, savedAt: new Date().toISOString() }));
  }, [draft, step]);

  useEffect(() => {
    headingRef.current?.focus();
  }, [step]);

  useEffect(() => {
    if (focusSummary) summaryRef.current?.focus();
  }, [focusSummary]);

  const property = useMemo(() => options.properties.find((p) => p.id === draft?.property_id), [options, draft?.property_id]);
  const chatbot = useMemo(() => options.chatbots.find((b) => b.id === draft?.chatbot_id), [options, draft?.chatbot_id]);

  if (loadError) return <ErrorMessage error={loadError} />;
  if (!draft) return <Loading />;

  const update = (patch: Partial<Draft>) => {
    setDraft((d) => reconcile({ ...(d as Draft), ...patch }, options));
    setNotice("");
  };

  const showErrors = (list: FieldError[]) => {
    setErrors(list);
    if (list.length) {
      const first = Math.min(...list.map((e) => stepOf(e.field)));
      setStep(first);
      setReached((r) => Math.max(r, first));
      setFocusSummary((n) => n + 1);
    }
  };

  const goTo = (next: number) => {
    if (next > step) {
      for (let s = step; s < next; s++) {
        const missing = missingFields(draft, s);
        if (missing.length) {
          showErrors(missing);
          return;
        }
      }
    }
    setErrors((list) => list.filter((e) => e.code !== "required" || e.message));
    setStep(next);
    setReached((r) => Math.max(r, next));
  };

  /** POST or PUT the draft; returns the stored campaign, or null when it was refused. */
  const save = async (): Promise<Campaign | null> => {
    setFailure(null);
    setNotice("");
    try {
      const body = toBody(draft);
      const response = draft.id
        ? await request<Campaign>("PUT", `/campaigns/${encodeURIComponent(draft.id)}`, body, draft.version != null ? `"${draft.version}"` : null)
        : await request<Campaign>("POST", "/campaigns", body);
      const stored = response.data;
      clearLocalDraft(identity);
      setDraft((d) => ({ ...(d as Draft), id: stored.id, version: stored.version, lifecycle: stored.status }));
      setErrors([]);
      loadedId.current = stored.id;
      if (!draft.id) props.navigate(`#/campaigns/${encodeURIComponent(stored.id)}/edit`, true);
      props.onChanged();
      return stored;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.errors.length) showErrors(e.errors);
      else setFailure(e);
      return null;
    }
  };

  const onSave = async () => {
    setBusy("save");
    const stored = await save();
    setBusy("");
    if (stored) setNotice(t("wizard.saved"));
  };

  const onSubmit = async () => {
    for (let s = 1; s <= 5; s++) {
      const missing = missingFields(draft, s);
      if (missing.length) {
        showErrors(missing);
        return;
      }
    }
    setBusy("submit");
    const stored = await save();
    if (stored && (stored.status === "draft" || stored.status === "rejected")) {
      try {
        await request<Campaign>("POST", `/campaigns/${encodeURIComponent(stored.id)}/submit`, undefined, `"${stored.version}"`);
      } catch (e) {
        setFailure(e);
        setBusy("");
        return;
      }
    }
    setBusy("");
    if (stored) {
      props.onChanged();
      props.navigate(`#/campaigns/${encodeURIComponent(stored.id)}?submitted=1`);
    }
  };

  const title = draft.id ? t("wizard.edit_title", { name: draft.name }) : t("wizard.new_title");

  if (options.properties.length === 0) {
    return (
      <section class="wizard">
        <h1>{t("wizard.new_title")}</h1>
        <Notice kind="warning">{t("wizard.support_only")}</Notice>
      </section>
    );
  }

  return (
    <ErrorsContext.Provider value={{ errors }}>
      <section class="wizard" aria-labelledby="wizard-title">
        <h1 id="wizard-title">
          {title} {draft.lifecycle ? <StatusBadge status={draft.lifecycle} /> : null}
        </h1>
        {draft.lifecycle === "active" || draft.lifecycle === "paused" ? <Notice kind="warning">{t("action.edit_active_warning", { status: tk(`status.${draft.lifecycle}`) })}</Notice> : null}
        <nav aria-label={t("wizard.steps")} class="steps">
          <ol>
            {STEP_TITLES.map((key, i) => {
              const n = i + 1;
              const invalid = errors.some((e) => stepOf(e.field) === n);
              return (
                <li key={key} class={`${n === step ? "current" : ""}${invalid ? " invalid" : ""}`}>
                  <button type="button" class="step-button" aria-current={n === step ? "step" : undefined} disabled={n > reached} onClick={() => goTo(n)}>
                    <span class="step-number">{n}</span> {t(key)}
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>

        {errors.length ? (
          <div class="error-summary" role="alert" tabIndex={-1} ref={summaryRef} aria-labelledby="error-summary-title">
            <h2 id="error-summary-title">{t("wizard.errors_title")}</h2>
            <p>{t("wizard.errors_intro", { n: errors.length })}</p>
            <ul>
              {errors.map((e) => (
                <li key={`${e.field}:${e.code}`}>
                  <a
                    href={`#${fieldId(e.field)}`}
                    onClick={(ev) => {
                      ev.preventDefault();
                      const target = stepOf(e.field);
                      if (target !== step) {
                        setStep(target);
                        setTimeout(() => focusField(e.field), 50);
                      } else focusField(e.field);
                    }}
                  >
                    {errorText(e)} <code>{e.field}</code>
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {failure ? <ErrorMessage error={failure} /> : null}
        {notice ? <Notice kind="success">{notice}</Notice> : null}

        <form
          class="step"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (step < 5) goTo(step + 1);
            else onSubmit();
          }}
        >
          <h2 ref={headingRef} tabIndex={-1} id="step-title">
            {t("wizard.step", { n: step, title: t(STEP_TITLES[step - 1]) })}
          </h2>
          {step === 1 ? <Step1 draft={draft} options={options} property={property} update={update} /> : null}
          {step === 2 ? <Step2 draft={draft} property={property} update={update} /> : null}
          {step === 3 ? <Step3 draft={draft} options={options} property={property} update={update} /> : null}
          {step === 4 ? <Step4 draft={draft} chatbot={chatbot} update={update} /> : null}
          {step === 5 ? <Step5 draft={draft} options={options} chatbot={chatbot} property={property} update={update} /> : null}

          <div class="wizard-actions">
            {step > 1 ? (
              <button type="button" class="secondary" onClick={() => goTo(step - 1)}>
                {t("wizard.previous")}
              </button>
            ) : null}
            <button type="button" class="secondary" onClick={onSave} disabled={busy !== ""}>
              {busy === "save" ? t("wizard.saving") : t("wizard.save_draft")}
            </button>
            {step < 5 ? (
              <button type="submit">{t("wizard.next")}</button>
            ) : (
              <button type="submit" disabled={busy !== ""}>
                {busy === "submit" ? t("wizard.saving") : draft.lifecycle === "pending" ? t("common.save") : t("wizard.submit")}
              </button>
            )}
          </div>
          {!draft.id ? <p class="muted small">{t("wizard.autosaved")}</p> : null}
          {failure ? <p class="visually-hidden">{apiMessage(failure)}</p> : null}
        </form>
      </section>
    </ErrorsContext.Provider>
  );
}

// ---- step 1: category, name, property, chatbot

function Step1({ draft, options, property, update }: { draft: Draft; options: CampaignOptions; property?: PropertyOption; update: (p: Partial<Draft>) => void }) {
  const nameCounter = `${fieldId("name")}-counter`;
  const nameAria = useFieldAria("name", nameCounter);
  const propertyAria = useFieldAria("property_id", "property-hint");
  const chatbotAria = useFieldAria("chatbot_id", "chatbot-hint");
  const n = charCount(draft.name.trim());
  const chatbots = options.chatbots.filter((b) => property?.chatbot_ids.includes(b.id));
  return (
    <>
      <fieldset class="radios categories" id={fieldId("category")} tabIndex={-1}>
        <legend>{t("step1.category")}</legend>
        {options.categories.map((c) => (
          <label key={c} class="radio">
            <input type="radio" name="category" value={c} checked={draft.category === c} onChange={() => update({ category: c })} />
            <span>
              <strong>{tk(`category.${c}`)}</strong> <span class="muted">{tk(`category.${c}.hint`)}</span>
            </span>
          </label>
        ))}
        <FieldErrors path="category" />
      </fieldset>
      <div class="field">
        <label for={nameAria.id}>{t("step1.name")}</label>
        <input {...nameAria} value={draft.name} autoComplete="off" onInput={(e) => update({ name: (e.target as HTMLInputElement).value })} />
        <p id={nameCounter} class={`counter${n > LIMITS.name ? " over" : ""}`} data-testid="name-counter">
          {n > LIMITS.name ? t("step1.name_over", { n, over: n - LIMITS.name, max: LIMITS.name }) : t("step1.name_counter", { n, max: LIMITS.name })}
        </p>
        <FieldErrors path="name" />
      </div>
      <div class="field">
        <label for={propertyAria.id}>{t("step1.property")}</label>
        <select {...propertyAria} value={draft.property_id} onChange={(e) => update({ property_id: (e.target as HTMLSelectElement).value })}>
          <option value="">{t("step1.choose")}</option>
          {options.properties.map((p) => (
            <option key={p.id} value={p.id}>
              {t("step1.property_option", { name: p.name, pms: p.pms_name })}
            </option>
          ))}
        </select>
        <p id="property-hint" class="hint">
          {t("step1.property_hint")}
        </p>
        <FieldErrors path="property_id" />
      </div>
      <div class="field">
        <label for={chatbotAria.id}>{t("step1.chatbot")}</label>
        <select {...chatbotAria} value={draft.chatbot_id} disabled={!property} onChange={(e) => update({ chatbot_id: (e.target as HTMLSelectElement).value })}>
          <option value="">{t("step1.choose")}</option>
          {chatbots.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name ? `${b.name} (${b.id})` : b.id} — {b.channels.map((c) => tk(`channel.${c}`)).join(" + ")}
            </option>
          ))}
        </select>
        <p id="chatbot-hint" class="hint">
          {t("step1.chatbot_hint")}
        </p>
        {property && chatbots.length === 0 ? <Notice kind="warning">{t("wizard.no_chatbot")}</Notice> : null}
        <FieldErrors path="chatbot_id" />
      </div>
    </>
  );
}

// ---- step 2: trigger period and trigger

function Step2({ draft, property, update }: { draft: Draft; property?: PropertyOption; update: (p: Partial<Draft>) => void }) {
  const tz = property?.time_zone ?? "";
  const startAria = useFieldAria("period.start", "period-hint");
  const endAria = useFieldAria("period.end", "period-hint");
  const offered = (property?.triggers ?? ["schedule", "relative"]) as TriggerType[];
  const allDays = draft.days.length === 7;
  return (
    <>
      <fieldset class="radios" id={fieldId("period")} tabIndex={-1}>
        <legend>{t("step2.period")}</legend>
        {(["always", "start", "end", "both"] as PeriodMode[]).map((mode) => (
          <label key={mode} class="radio">
            <input type="radio" name="period" value={mode} checked={draft.periodMode === mode} onChange={() => update({ periodMode: mode })} /> {tk(`step2.period_${mode}`)}
          </label>
        ))}
        <div class="inline">
          {draft.periodMode === "start" || draft.periodMode === "both" ? (
            <div class="field">
              <label for={startAria.id}>{t("step2.start")}</label>
              <input {...startAria} type="date" value={draft.start} onInput={(e) => update({ start: (e.target as HTMLInputElement).value })} />
              <FieldErrors path="period.start" />
            </div>
          ) : null}
          {draft.periodMode === "end" || draft.periodMode === "both" ? (
            <div class="field">
              <label for={endAria.id}>{t("step2.end")}</label>
              <input {...endAria} type="date" value={draft.end} onInput={(e) => update({ end: (e.target as HTMLInputElement).value })} />
              <FieldErrors path="period.end" />
            </div>
          ) : null}
        </div>
        <p id="period-hint" class="hint">
          {t("step2.period_tz", { tz })}
        </p>
        <FieldErrors path="period" />
      </fieldset>

      <fieldset class="radios" id={fieldId("trigger.type")} tabIndex={-1} data-testid="trigger-options">
        <legend>{t("step2.trigger")}</legend>
        {offered.map((type) => (
          <label key={type} class="radio">
            <input type="radio" name="trigger" value={type} checked={draft.trigger === type} onChange={() => update({ trigger: type })} />
            <span>
              <strong>{tk(`step2.trigger_${type}`)}</strong> <span class="muted">{tk(`step2.trigger_${type}_hint`)}</span>
            </span>
          </label>
        ))}
        {property && !property.pms_delivers_events ? (
          <p class="hint" data-testid="no-events">
            {t("step2.no_events", { pms: property.pms_name, property: property.name })}
          </p>
        ) : null}
        <FieldErrors path="trigger.type" />
        <FieldErrors path="trigger" />
      </fieldset>

      {draft.trigger === "schedule" ? (
        <>
          <fieldset class="checks days" id={fieldId("trigger.days")} tabIndex={-1}>
            <legend>{t("step2.days")}</legend>
            <label class="check">
              <input type="checkbox" checked={allDays} onChange={() => update({ days: allDays ? [] : [...DAYS] })} /> <strong>{t("step2.every_day")}</strong>
            </label>
            {DAYS.map((d) => (
              <label key={d} class="check">
                <input type="checkbox" checked={draft.days.includes(d)} onChange={(e) => update({ days: (e.target as HTMLInputElement).checked ? [...draft.days, d] : draft.days.filter((x) => x !== d) })} /> {tk(`day.${d}`)}
              </label>
            ))}
            <FieldErrors path="trigger.days" prefix />
          </fieldset>
          <fieldset class="checks hours" id={fieldId("trigger.hours")} tabIndex={-1}>
            <legend>{t("step2.hours", { tz })}</legend>
            <div class="hour-grid">
              {Array.from({ length: 24 }, (_, h) => (
                <label key={h} class="check">
                  <input type="checkbox" checked={draft.hours.includes(h)} onChange={(e) => update({ hours: (e.target as HTMLInputElement).checked ? [...draft.hours, h] : draft.hours.filter((x) => x !== h) })} /> {formatHour(h)}
                </label>
              ))}
            </div>
            <FieldErrors path="trigger.hours" prefix />
          </fieldset>
        </>
      ) : null}

      {draft.trigger === "relative" ? <RelativeTrigger draft={draft} update={update} /> : null}
      <p class="sentence" data-testid="trigger-sentence">
        {describeTrigger(toBody(draft).trigger)}
      </p>
      <QuietHours draft={draft} property={property} update={update} />
    </>
  );
}

/** Campaign field `quiet_hours` (SPEC 3), with what the property's quiet hours are. */
function QuietHours({ draft, property, update }: { draft: Draft; property?: PropertyOption; update: (p: Partial<Draft>) => void }) {
  const quiet = property?.quiet_hours;
  const policy = draft.quietHours ?? "respect";
  return (
    <fieldset class="radios" id={fieldId("quiet_hours")} tabIndex={-1} aria-describedby="quiet-hours-line" data-testid="quiet-hours">
      <legend>{t("step2.quiet_hours")}</legend>
      <p id="quiet-hours-line" class="hint" data-testid="quiet-hours-line">
        {!property
          ? t("step2.quiet_hours_no_property")
          : quiet
            ? t("step2.quiet_hours_are", { property: property.name, start: quiet.start, end: quiet.end, tz: property.time_zone })
            : t("step2.quiet_hours_none", { property: property.name })}
      </p>
      {(["respect", "ignore"] as const).map((value) => (
        <label key={value} class="radio">
          <input type="radio" name="quiet-hours" value={value} checked={policy === value} onChange={() => update({ quietHours: value })} />
          <span>
            <strong>{tk(`step2.quiet_hours_${value}`)}</strong> <span class="muted">{tk(`step2.quiet_hours_${value}_hint`)}</span>
          </span>
        </label>
      ))}
      <FieldErrors path="quiet_hours" />
    </fieldset>
  );
}

function RelativeTrigger({ draft, update }: { draft: Draft; update: (p: Partial<Draft>) => void }) {
  const days = useFieldAria("trigger.offset_days");
  const at = useFieldAria("trigger.at");
  const minutes = useFieldAria("trigger.offset_minutes");
  const anchor = useFieldAria("trigger.anchor");
  return (
    <fieldset class="relative">
      <legend>{t("step2.rel_when")}</legend>
      <div class="inline">
        {draft.relDirection !== "same" ? (
          <div class="field narrow">
            <label for={days.id}>{t("step2.rel_amount")}</label>
            <input {...days} type="number" min={1} max={366} value={draft.relDays} onInput={(e) => update({ relDays: Number((e.target as HTMLInputElement).value) })} />
          </div>
        ) : null}
        <div class="field">
          <label for="rel-direction">{t("step2.rel_direction")}</label>
          <select id="rel-direction" value={draft.relDirection} onChange={(e) => update({ relDirection: (e.target as HTMLSelectElement).value as Direction, relDays: draft.relDays || 1 })}>
            {(["before", "same", "after"] as Direction[]).map((d) => (
              <option key={d} value={d}>
                {tk(`direction.${d}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={anchor.id}>{t("step2.rel_anchor")}</label>
          <select {...anchor} value={draft.relAnchor} onChange={(e) => update({ relAnchor: (e.target as HTMLSelectElement).value as Draft["relAnchor"] })}>
            {["confirmation", "check_in", "check_out"].map((a) => (
              <option key={a} value={a}>
                {tk(`anchor.${a}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={at.id}>{t("step2.rel_at")}</label>
          <input {...at} type="time" value={draft.relAt} onInput={(e) => update({ relAt: (e.target as HTMLInputElement).value })} />
        </div>
        <div class="field narrow">
          <label for={minutes.id}>{t("step2.rel_minutes")}</label>
          <input {...minutes} type="number" value={draft.relMinutes} onInput={(e) => update({ relMinutes: Number((e.target as HTMLInputElement).value) || 0 })} />
        </div>
      </div>
      <FieldErrors path="trigger.offset_days" />
      <FieldErrors path="trigger.anchor" />
      <FieldErrors path="trigger.at" />
      <FieldErrors path="trigger.offset_minutes" />
    </fieldset>
  );
}

// ---- step 3: target and conditions

function Step3({ draft, options, property, update }: { draft: Draft; options: CampaignOptions; property?: PropertyOption; update: (p: Partial<Draft>) => void }) {
  const status = useFieldAria("target.status");
  const anchor = useFieldAria("target.anchor");
  const offset = useFieldAria("target.send_offset_days");
  const body = toBody(draft);
  return (
    <>
      {draft.trigger === "schedule" ? (
        <fieldset>
          <legend>{t("step3.status")} + {t("step3.anchor")}</legend>
          <p class="hint">{t("step3.schedule_intro")}</p>
          <div class="inline">
            <div class="field">
              <label for={status.id}>{t("step3.status")}</label>
              <select {...status} value={draft.status} onChange={(e) => update({ status: (e.target as HTMLSelectElement).value })}>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {tk(`rstatus.${s}`)}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for={anchor.id}>{t("step3.anchor")}</label>
              <select {...anchor} value={draft.anchor} onChange={(e) => update({ anchor: (e.target as HTMLSelectElement).value as Draft["anchor"] })}>
                <option value="check_in">{t("step3.anchor_check_in")}</option>
                <option value="check_out">{t("step3.anchor_check_out")}</option>
              </select>
            </div>
            {draft.offsetDirection !== "same" ? (
              <div class="field narrow">
                <label for={offset.id}>{t("step3.offset")}</label>
                <input {...offset} type="number" min={1} max={366} value={draft.offsetDays} onInput={(e) => update({ offsetDays: Number((e.target as HTMLInputElement).value) })} />
              </div>
            ) : null}
            <div class="field">
              <label for="target-direction">{t("step3.direction")}</label>
              <select id="target-direction" value={draft.offsetDirection} onChange={(e) => update({ offsetDirection: (e.target as HTMLSelectElement).value as Direction, offsetDays: draft.offsetDays || 1 })}>
                {(["before", "same", "after"] as Direction[]).map((d) => (
                  <option key={d} value={d}>
                    {tk(`direction.${d}`)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <FieldErrors path="target.status" />
          <FieldErrors path="target.anchor" />
          <FieldErrors path="target.send_offset_days" />
        </fieldset>
      ) : null}
      {draft.trigger === "status_change" ? (
        <fieldset class="radios" id={fieldId("target.status")} tabIndex={-1}>
          <legend>{t("step3.status_entered")}</legend>
          <p class="hint">{t("step3.status_change_intro")}</p>
          {STATUSES.map((s) => (
            <label key={s} class="radio">
              <input type="radio" name="status-entered" value={s} checked={draft.status === s} onChange={() => update({ status: s })} /> {tk(`rstatus.${s}`)}
            </label>
          ))}
          <FieldErrors path="target.status" />
        </fieldset>
      ) : null}
      {draft.trigger === "relative" ? (
        <fieldset class="checks" id={fieldId("target.statuses")} tabIndex={-1}>
          <legend>{t("step3.statuses")}</legend>
          <p class="hint">{t("step3.relative_intro")}</p>
          {STATUSES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" checked={draft.statuses.includes(s)} onChange={(e) => update({ statuses: (e.target as HTMLInputElement).checked ? [...draft.statuses, s] : draft.statuses.filter((x) => x !== s) })} /> {tk(`rstatus.${s}`)}
            </label>
          ))}
          <FieldErrors path="target.statuses" prefix />
        </fieldset>
      ) : null}
      <FieldErrors path="target" />
      <p class="sentence" data-testid="target-sentence">
        {describeTarget(body.trigger, body.target)}
      </p>

      <h3>{t("step3.conditions")}</h3>
      <fieldset>
        <legend>{t("step3.reservation_conditions")}</legend>
        <p class="hint">{t("step3.reservation_conditions_hint")}</p>
        <ConditionList kind="reservation_conditions" types={options.reservation_condition_types} conditions={draft.reservation_conditions} property={property} onChange={(reservation_conditions) => update({ reservation_conditions })} />
      </fieldset>
      <fieldset>
        <legend>{t("step3.message_conditions")}</legend>
        <p class="hint">{t("step3.message_conditions_hint")}</p>
        <ConditionList
          kind="message_conditions"
          types={options.message_condition_types}
          conditions={draft.message_conditions}
          property={property}
          onChange={(message_conditions) => update({ message_conditions })}
          airbnb={{ excluded: excludesAirbnb(draft.reservation_conditions), exclude: () => update({ reservation_conditions: withAirbnbExcluded(draft.reservation_conditions) }) }}
        />
      </fieldset>
    </>
  );
}

// ---- step 4: channel

function Step4({ draft, chatbot, update }: { draft: Draft; chatbot?: ChatbotOption; update: (p: Partial<Draft>) => void }) {
  const primaries = chatbot?.primary_channels ?? [];
  const fallbackOffered = draft.primary === "whatsapp" && (chatbot?.fallback_channels ?? []).includes("sms");
  return (
    <>
      <fieldset class="radios" id={fieldId("channel.primary")} tabIndex={-1} data-testid="primary-channels">
        <legend>{t("step4.channel")}</legend>
        <p class="hint">{t("step4.owned")}</p>
        {primaries.map((c) => (
          <label key={c} class="radio">
            <input type="radio" name="primary" value={c} checked={draft.primary === c} onChange={() => update({ primary: c, fallback: c === "whatsapp" ? draft.fallback : false })} /> {tk(`channel.${c}`)}
          </label>
        ))}
        <FieldErrors path="channel.primary" />
      </fieldset>
      <fieldset class="checks" id={fieldId("channel.fallback")} tabIndex={-1} data-testid="fallback">
        <legend>{t("step4.fallback")}</legend>
        {fallbackOffered ? (
          <label class="check">
            <input type="checkbox" name="fallback" checked={draft.fallback} onChange={(e) => update({ fallback: (e.target as HTMLInputElement).checked })} /> {t("step4.fallback_sms")}
          </label>
        ) : draft.primary === "sms" ? (
          <p class="hint" data-testid="no-fallback">
            {t("step4.no_fallback_sms_primary")}
          </p>
        ) : draft.primary === "whatsapp" ? (
          <p class="hint" data-testid="no-fallback">
            {t("step4.no_fallback_chatbot")}
          </p>
        ) : null}
        <FieldErrors path="channel.fallback" />
      </fieldset>
      <FieldErrors path="channel" />
    </>
  );
}

// ---- step 5: messages

function Step5({ draft, options, chatbot, property, update }: { draft: Draft; options: CampaignOptions; chatbot?: ChatbotOption; property?: PropertyOption; update: (p: Partial<Draft>) => void }) {
  const available = (chatbot?.languages ?? []).filter((l) => l !== "en" && !draft.languages.includes(l));
  const [adding, setAdding] = useState(available[0] ?? "");
  useEffect(() => {
    if (!available.includes(adding)) setAdding(available[0] ?? "");
  }, [available.join(",")]);
  const channels = channelsInUse(draft);
  const addLanguage = () => {
    if (!adding) return;
    update({ languages: [...draft.languages, adding], messages: { ...draft.messages, [adding]: draft.messages[adding] ?? emptyLanguage() } });
    requestAnimationFrame(() => document.getElementById(`${fieldId(`messages.${adding}`)}-heading`)?.focus());
  };
  return (
    <>
      <fieldset class="languages">
        <legend>{t("step5.languages")}</legend>
        <p class="hint">{t("step5.languages_hint")}</p>
        <p>{draft.languages.map(languageName).join(" · ")}</p>
        {available.length ? (
          <div class="inline">
            <label for="add-language">{t("step5.add_language")}</label>
            <select id="add-language" value={adding} onChange={(e) => setAdding((e.target as HTMLSelectElement).value)}>
              {available.map((l) => (
                <option key={l} value={l}>
                  {languageName(l)}
                </option>
              ))}
            </select>
            <button type="button" class="secondary" onClick={addLanguage}>
              {t("step5.add")}
            </button>
          </div>
        ) : null}
        <FieldErrors path="messages" />
      </fieldset>
      {draft.languages.map((language) => (
        <LanguageEditor
          key={language}
          language={language}
          content={draft.messages[language] ?? emptyLanguage()}
          channels={channels}
          variables={options.variables}
          property={property}
          chatbot={chatbot}
          removable={language !== "en"}
          onChange={(content) => update({ messages: { ...draft.messages, [language]: content } })}
          onRemove={() => update({ languages: draft.languages.filter((l) => l !== language) })}
        />
      ))}
    </>
  );
}
