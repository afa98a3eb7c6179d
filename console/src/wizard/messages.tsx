// Step 5: the content of one language, per channel and content type, with live counters against
// the limits, SMS parts and encoding, the variable picker and a live preview.

import { useRef, useState } from "preact/hooks";
import type { Channel, ChatbotOption, PropertyOption } from "../api";
import { lang, t, tk } from "../i18n";
import { languageName } from "../format";
import { LIMITS, type CallToAction, type ContentType, type LanguageDraft, type QuickReply } from "../model";
import { charCount, nonGsmCharacters, segments } from "../sms";
import { insertAt, parseTemplate, placeholder, renderTemplate, sampleValues } from "../template";
import { fieldId, FieldErrors, Notice, useFieldAria } from "../ui";

interface Props {
  language: string;
  content: LanguageDraft;
  channels: Channel[];
  variables: string[];
  property?: PropertyOption;
  /** Its FAQs and flows are what quick-reply buttons may name. */
  chatbot?: ChatbotOption;
  removable: boolean;
  onChange: (next: LanguageDraft) => void;
  onRemove: () => void;
}

export function LanguageEditor({ language, content, channels, variables, property, chatbot, removable, onChange, onRemove }: Props) {
  const path = `messages.${language}`;
  const name = languageName(language);
  const headingId = `${fieldId(path)}-heading`;
  return (
    <section class="language" aria-labelledby={headingId} data-language={language}>
      <div class="language-head">
        <h3 id={headingId} tabIndex={-1}>
          {name} {language === "en" ? <span class="tag">{t("step5.language_default")}</span> : null}
        </h3>
        {removable ? (
          <button type="button" class="link danger" onClick={onRemove}>
            {t("step5.remove_language", { language: name })}
          </button>
        ) : null}
      </div>
      <FieldErrors path={path} />
      {channels.includes("whatsapp") ? (
        <WhatsAppEditor path={`${path}.whatsapp`} language={language} value={content.whatsapp} variables={variables} property={property} chatbot={chatbot} onChange={(whatsapp) => onChange({ ...content, whatsapp })} />
      ) : null}
      {channels.includes("sms") ? (
        <SmsEditor path={`${path}.sms`} language={language} value={content.sms} variables={variables} property={property} onChange={(sms) => onChange({ ...content, sms })} />
      ) : null}
    </section>
  );
}

const LIMIT_OF: Record<ContentType, number> = { text: LIMITS.text, quick_reply: LIMITS.quick_reply, call_to_action: LIMITS.call_to_action };

function WhatsAppEditor({ path, language, value, variables, property, chatbot, onChange }: { path: string; language: string; value: LanguageDraft["whatsapp"]; variables: string[]; property?: PropertyOption; chatbot?: ChatbotOption; onChange: (v: LanguageDraft["whatsapp"]) => void }) {
  const typeName = `${fieldId(path)}-type`;
  const limit = LIMIT_OF[value.type];
  return (
    <div class="channel-content" data-channel="whatsapp">
      <h4>{t("channel.whatsapp")}</h4>
      <fieldset class="radios" id={fieldId(`${path}.type`)} tabIndex={-1}>
        <legend>{t("step5.type")}</legend>
        {(["text", "quick_reply", "call_to_action"] as ContentType[]).map((type) => (
          <label key={type} class="radio">
            <input type="radio" name={typeName} value={type} checked={value.type === type} onChange={() => onChange({ ...value, type })} /> {tk(`step5.type_${type}`)} <span class="muted">({LIMIT_OF[type]})</span>
          </label>
        ))}
        <FieldErrors path={`${path}.type`} />
      </fieldset>
      <div class="editor-grid">
        <div>
          <BodyEditor path={`${path}.body`} label={t("step5.body", { channel: t("channel.whatsapp"), language })} value={value.body} limit={limit} variables={variables} onChange={(body) => onChange({ ...value, body })} />
          {value.type === "quick_reply" ? <QuickReplies path={`${path}.buttons`} buttons={value.quickReplies} chatbot={chatbot} onChange={(quickReplies) => onChange({ ...value, quickReplies })} /> : null}
          {value.type === "call_to_action" ? <Actions path={`${path}.buttons`} buttons={value.actions} onChange={(actions) => onChange({ ...value, actions })} /> : null}
          <FieldErrors path={path} />
        </div>
        <Preview channel="whatsapp" body={value.body} language={language} variables={variables} property={property} buttons={value.type === "quick_reply" ? value.quickReplies.map((b) => b.title) : value.type === "call_to_action" ? value.actions.map((b) => b.title) : []} />
      </div>
    </div>
  );
}

function SmsEditor({ path, language, value, variables, property, onChange }: { path: string; language: string; value: LanguageDraft["sms"]; variables: string[]; property?: PropertyOption; onChange: (v: LanguageDraft["sms"]) => void }) {
  return (
    <div class="channel-content" data-channel="sms">
      <h4>{t("channel.sms")}</h4>
      <div class="editor-grid">
        <div>
          <BodyEditor path={`${path}.body`} label={t("step5.body", { channel: t("channel.sms"), language })} value={value.body} limit={LIMITS.sms} variables={variables} onChange={(body) => onChange({ ...value, body })} />
          <FieldErrors path={path} />
        </div>
        <Preview channel="sms" body={value.body} language={language} variables={variables} property={property} buttons={[]} />
      </div>
    </div>
  );
}

function BodyEditor({ path, label, value, limit, variables, onChange }: { path: string; label: string; value: string; limit: number; variables: string[]; onChange: (v: string) => void }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const counterId = `${fieldId(path)}-counter`;
  const problemId = `${fieldId(path)}-problem`;
  const parsed = parseTemplate(value, variables);
  const problem = "problem" in parsed ? parsed.problem : null;
  const aria = useFieldAria(path, counterId, problem ? problemId : null);
  const n = charCount(value);
  const over = n - limit;
  const insert = (text: string) => {
    const el = ref.current;
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    const next = insertAt(value, start, end, text);
    onChange(next.value);
    requestAnimationFrame(() => {
      if (!el) return;
      el.focus();
      el.setSelectionRange(next.caret, next.caret);
    });
  };
  return (
    <div class="field">
      <label for={aria.id}>{label}</label>
      <textarea {...aria} ref={ref} rows={5} value={value} onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)} />
      <p id={counterId} class={`counter${over > 0 ? " over" : ""}`} data-testid="counter">
        {over > 0 ? t("step5.counter_over", { n, over, max: limit }) : t("step5.counter", { n, max: limit })}
      </p>
      {problem ? (
        <p id={problemId} class="field-warning">
          {problem.kind === "unknown_variable" ? t("step5.unknown_variable", { name: problem.name }) : t("step5.malformed", { offset: problem.offset })}
        </p>
      ) : null}
      <VariablePicker idBase={fieldId(path)} variables={variables} onInsert={insert} />
    </div>
  );
}

function VariablePicker({ idBase, variables, onInsert }: { idBase: string; variables: string[]; onInsert: (text: string) => void }) {
  const [name, setName] = useState(variables[0] ?? "");
  const [fallback, setFallback] = useState("");
  return (
    <fieldset class="variable-picker">
      <legend>{t("step5.variables")}</legend>
      <div class="inline">
        <div class="field">
          <label for={`${idBase}-var`}>{t("step5.variable")}</label>
          <select id={`${idBase}-var`} value={name} onChange={(e) => setName((e.target as HTMLSelectElement).value)}>
            {variables.map((v) => (
              <option key={v} value={v}>{`{{${v}}}`}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={`${idBase}-default`}>{t("step5.variable_default")}</label>
          <input id={`${idBase}-default`} value={fallback} onInput={(e) => setFallback((e.target as HTMLInputElement).value)} />
        </div>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            onInsert(placeholder(name, fallback));
            setFallback("");
          }}
        >
          {t("step5.insert")}
        </button>
      </div>
    </fieldset>
  );
}

/** The question of an FAQ in the interface language, else English. */
function question(q: Record<string, string>): string {
  return q[lang()] ?? q.en ?? Object.values(q)[0] ?? "";
}

function QuickReplies({ path, buttons, chatbot, onChange }: { path: string; buttons: QuickReply[]; chatbot?: ChatbotOption; onChange: (b: QuickReply[]) => void }) {
  const set = (i: number, patch: Partial<QuickReply>) => onChange(buttons.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const faqs = chatbot?.faqs ?? [];
  const flows = chatbot?.flows ?? [];
  return (
    <fieldset class="buttons" id={fieldId(path)} tabIndex={-1}>
      <legend>{t("step5.buttons")} (1–3)</legend>
      <p class="hint">{t("step5.buttons_catalogue_hint")}</p>
      {faqs.length === 0 && flows.length === 0 ? (
        <Notice kind="warning">
          <span data-testid="no-catalogue">{t("step5.no_catalogue")}</span>
        </Notice>
      ) : null}
      <FieldErrors path={path} />
      {buttons.map((b, i) => (
        <fieldset class="button-row" key={i}>
          <legend>{t("step5.button_n", { n: i + 1 })}</legend>
          <TitleInput path={`${path}[${i}].title`} value={b.title} onInput={(title) => set(i, { title })} />
          <ButtonTarget path={`${path}[${i}]`} button={b} faqs={faqs} flows={flows} onChange={(link, target) => set(i, { link, target })} />
          <FieldErrors path={`${path}[${i}]`} />
          {buttons.length > 1 ? (
            <button type="button" class="link danger" onClick={() => onChange(buttons.filter((_, j) => j !== i))}>
              {t("common.remove")} <span class="visually-hidden">{t("step5.button_n", { n: i + 1 })}</span>
            </button>
          ) : null}
        </fieldset>
      ))}
      {buttons.length < 3 ? (
        <button type="button" class="secondary" onClick={() => onChange([...buttons, { title: "", link: "flow_id", target: "" }])}>
          {t("step5.add_button")}
        </button>
      ) : null}
    </fieldset>
  );
}

/** One picker over the chatbot's FAQs and flows: no free-text ids. */
function ButtonTarget({ path, button, faqs, flows, onChange }: { path: string; button: QuickReply; faqs: NonNullable<ChatbotOption["faqs"]>; flows: NonNullable<ChatbotOption["flows"]>; onChange: (link: QuickReply["link"], target: string) => void }) {
  const other: QuickReply["link"] = button.link === "faq_id" ? "flow_id" : "faq_id";
  const aria = useFieldAria(`${path}.${button.link}`);
  const value = button.target ? `${button.link}:${button.target}` : "";
  // A stored id the chatbot no longer has stays visible (the server refuses it), never silently dropped.
  const known = button.link === "faq_id" ? faqs.some((f) => f.id === button.target) : flows.some((f) => f.id === button.target);
  return (
    <div class="field">
      <label for={aria.id}>{t("step5.button_opens")}</label>
      <select
        {...aria}
        value={value}
        onChange={(e) => {
          const raw = (e.target as HTMLSelectElement).value;
          const cut = raw.indexOf(":");
          if (cut < 0) onChange(button.link, "");
          else onChange(raw.slice(0, cut) as QuickReply["link"], raw.slice(cut + 1));
        }}
      >
        <option value="">{t("step5.button_choose")}</option>
        {faqs.length ? (
          <optgroup label={t("step5.faqs")}>
            {faqs.map((f) => (
              <option key={f.id} value={`faq_id:${f.id}`}>
                {t("step5.faq_option", { question: question(f.question) })}
              </option>
            ))}
          </optgroup>
        ) : null}
        {flows.length ? (
          <optgroup label={t("step5.flows")}>
            {flows.map((f) => (
              <option key={f.id} value={`flow_id:${f.id}`}>
                {t("step5.flow_option", { name: f.name })}
              </option>
            ))}
          </optgroup>
        ) : null}
        {button.target && !known ? <option value={value}>{t("step5.button_unknown", { id: button.target })}</option> : null}
      </select>
      <FieldErrors path={`${path}.${button.link}`} />
      <FieldErrors path={`${path}.${other}`} />
    </div>
  );
}

function Actions({ path, buttons, onChange }: { path: string; buttons: CallToAction[]; onChange: (b: CallToAction[]) => void }) {
  const set = (i: number, patch: Partial<CallToAction>) => onChange(buttons.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const free = (["url", "phone"] as const).find((k) => !buttons.some((b) => b.type === k));
  return (
    <fieldset class="buttons" id={fieldId(path)} tabIndex={-1}>
      <legend>{t("step5.buttons")} (1–2)</legend>
      <FieldErrors path={path} />
      {buttons.map((b, i) => (
        <fieldset class="button-row" key={i}>
          <legend>{t("step5.button_n", { n: i + 1 })}</legend>
          <div class="field">
            <label for={fieldId(`${path}[${i}].type`)}>{t("step5.button_kind")}</label>
            <select id={fieldId(`${path}[${i}].type`)} value={b.type} onChange={(e) => set(i, { type: (e.target as HTMLSelectElement).value as CallToAction["type"], value: (e.target as HTMLSelectElement).value === "url" ? "https://" : "+" })}>
              <option value="phone">{t("step5.kind_phone")}</option>
              <option value="url">{t("step5.kind_url")}</option>
            </select>
          </div>
          <TitleInput path={`${path}[${i}].title`} value={b.title} onInput={(title) => set(i, { title })} />
          <TextInput path={`${path}[${i}].${b.type}`} label={b.type === "phone" ? t("step5.button_phone") : t("step5.button_url")} type={b.type === "phone" ? "tel" : "url"} value={b.value} onInput={(value) => set(i, { value })} />
          <FieldErrors path={`${path}[${i}]`} />
          {buttons.length > 1 ? (
            <button type="button" class="link danger" onClick={() => onChange(buttons.filter((_, j) => j !== i))}>
              {t("common.remove")} <span class="visually-hidden">{t("step5.button_n", { n: i + 1 })}</span>
            </button>
          ) : null}
        </fieldset>
      ))}
      {buttons.length < 2 && free ? (
        <button type="button" class="secondary" onClick={() => onChange([...buttons, { type: free, title: "", value: free === "url" ? "https://" : "+" }])}>
          {t("step5.add_button")}
        </button>
      ) : null}
    </fieldset>
  );
}

function TitleInput({ path, value, onInput }: { path: string; value: string; onInput: (v: string) => void }) {
  const counterId = `${fieldId(path)}-counter`;
  const aria = useFieldAria(path, counterId);
  const n = charCount(value);
  const over = n - LIMITS.button_title;
  return (
    <div class="field">
      <label for={aria.id}>{t("step5.button_title")}</label>
      <input {...aria} value={value} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      <p id={counterId} class={`counter${over > 0 ? " over" : ""}`}>
        {over > 0 ? t("step5.counter_over", { n, over, max: LIMITS.button_title }) : t("step5.counter", { n, max: LIMITS.button_title })}
      </p>
      <FieldErrors path={path} />
    </div>
  );
}

function TextInput({ path, label, value, onInput, type = "text" }: { path: string; label: string; value: string; onInput: (v: string) => void; type?: string }) {
  const aria = useFieldAria(path);
  return (
    <div class="field">
      <label for={aria.id}>{label}</label>
      <input {...aria} type={type} value={value} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      <FieldErrors path={path} />
    </div>
  );
}

function Preview({ channel, body, language, variables, property, buttons }: { channel: Channel; body: string; language: string; variables: string[]; property?: PropertyOption; buttons: string[] }) {
  const parsed = parseTemplate(body, variables);
  const rendered = "segments" in parsed ? renderTemplate(parsed.segments, sampleValues(property, language)) : { text: body, missing: null };
  const sms = channel === "sms" ? segments(rendered.text) : null;
  const nonGsm = sms?.encoding === "ucs2" ? nonGsmCharacters(rendered.text) : [];
  return (
    <figure class={`preview preview-${channel}`} data-testid={`preview-${channel}`}>
      <figcaption>{t("step5.preview")}</figcaption>
      <div class="bubble" lang={language}>
        {rendered.text || <span class="muted">…</span>}
      </div>
      {buttons.length ? (
        <ul class="bubble-buttons">
          {buttons.map((b, i) => (
            <li key={i}>{b || "…"}</li>
          ))}
        </ul>
      ) : null}
      {rendered.missing ? <p class="field-warning">{t("step5.preview_missing", { name: rendered.missing })}</p> : null}
      {sms ? (
        <p class="sms-parts" data-testid="sms-parts">
          {sms.segments === 0
            ? t("step5.sms_parts_empty")
            : t("step5.sms_parts", { segments: sms.segments, encoding: sms.encoding === "gsm7" ? "GSM-7" : "UCS-2", n: sms.characters, per: sms.perPart })}
          {nonGsm.length ? <span class="muted"> — {t("step5.ucs2_because", { chars: nonGsm.join(" ") })}</span> : null}
        </p>
      ) : null}
      <p class="muted small">{t("step5.sample_note")}</p>
    </figure>
  );
}

