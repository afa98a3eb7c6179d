// Reservation and message conditions (SPEC 2.3, Appendix A.3): each type with its operator and
// value input. Conditions are kept in the API's own shape.

import { useState } from "preact/hooks";
import type { PropertyOption } from "../api";
import { t, tk } from "../i18n";
import { fieldId, FieldErrors, useFieldAria } from "../ui";

const SOURCES = ["airbnb", "booking_com", "vrbo", "expedia", "direct", "other"];
const BOOLEAN_TYPES = ["fully_paid", "check_in_form_submitted", "contract_signed", "eta_provided", "etd_provided", "returning_guest", "auto_review_enabled"];

export function defaultCondition(type: string, property?: PropertyOption): any {
  switch (type) {
    case "source":
      return { type, op: "in", value: ["airbnb"] };
    case "unit":
      return { type, op: "in", value: property?.units?.length ? [property.units[0].id] : [] };
    case "guests_count":
      return { type, op: "more_than", value: 2 };
    case "guest_app_form_submitted":
      return { type, app_id: "", value: true };
    case "planned_arrival":
    case "planned_departure":
      return { type, op: "after", value: "18:00" };
    case "preferred_language":
      return { type, op: "is", value: ["fr"] };
    case "hometown":
      return { type, op: "contains", value: "" };
    case "total_payout":
      return { type, op: "more_than", value: "500.00" };
    case "authorization_hold":
    case "security_deposit":
    case "payment":
      return { type, value: "succeeded" };
    case "available_nights":
      return { type, side: "after", days: "any", max_gap_nights: 1, value: true };
    case "custom_field":
      return { type, key: "", value: true };
    default:
      return { type, value: true };
  }
}

const OPS: Record<string, string[]> = {
  source: ["in", "not_in"],
  unit: ["in", "not_in"],
  guests_count: ["is", "is_not", "more_than", "less_than"],
  planned_arrival: ["before", "after"],
  planned_departure: ["before", "after"],
  preferred_language: ["is", "is_not"],
  hometown: ["is", "is_not", "contains"],
  total_payout: ["more_than", "less_than", "is"],
};

/** Whether the reservation conditions exclude Airbnb, and how to make them (the "fully paid" warning). */
export interface AirbnbExclusion {
  excluded: boolean;
  exclude: () => void;
}

interface ListProps {
  kind: "reservation_conditions" | "message_conditions";
  types: string[];
  conditions: any[];
  property?: PropertyOption;
  onChange: (next: any[]) => void;
  airbnb?: AirbnbExclusion;
}

export function ConditionList({ kind, types, conditions, property, onChange, airbnb }: ListProps) {
  const [adding, setAdding] = useState(types[0] ?? "");
  const addId = `${kind}-add`;
  const update = (index: number, value: any) => onChange(conditions.map((c, i) => (i === index ? value : c)));
  const remove = (index: number) => onChange(conditions.filter((_, i) => i !== index));
  return (
    <div class="conditions" data-testid={kind}>
      <FieldErrors path={kind} />
      {conditions.length === 0 ? <p class="muted">{t("common.none")}</p> : null}
      <ol class="condition-list">
        {conditions.map((c, index) => (
          <li key={index}>
            <ConditionRow path={`${kind}[${index}]`} index={index} condition={c} property={property} airbnb={airbnb} onChange={(v) => update(index, v)} onRemove={() => remove(index)} />
          </li>
        ))}
      </ol>
      <div class="inline">
        <label for={addId}>{t("step3.add_condition")}</label>
        <select id={addId} value={adding} onChange={(e) => setAdding((e.target as HTMLSelectElement).value)}>
          {types.map((type) => (
            <option key={type} value={type}>
              {tk(`cond.${type}`, { fallback: type })}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={() => onChange([...conditions, defaultCondition(adding, property)])}>
          {t("common.add")} <span class="visually-hidden">({kind === "reservation_conditions" ? t("step3.reservation_conditions") : t("step3.message_conditions")})</span>
        </button>
      </div>
    </div>
  );
}

interface RowProps {
  path: string;
  index: number;
  condition: any;
  property?: PropertyOption;
  airbnb?: AirbnbExclusion;
  onChange: (next: any) => void;
  onRemove: () => void;
}

function ConditionRow({ path, index, condition: c, property, airbnb, onChange, onRemove }: RowProps) {
  const set = (patch: Record<string, unknown>) => onChange({ ...c, ...patch });
  const label = tk(`cond.${c.type}`, { fallback: c.type });
  return (
    <fieldset class="condition" id={fieldId(path)} tabIndex={-1}>
      <legend>{t("step3.condition_n", { n: index + 1, type: label })}</legend>
      <div class="inline">
        {OPS[c.type] ? <Select path={`${path}.op`} label={t("cond.op")} value={c.op} options={OPS[c.type].map((o) => [o, tk(`op.${o}`)])} onChange={(op) => set({ op })} /> : null}
        <ValueEditor path={path} c={c} property={property} set={set} />
      </div>
      {c.type === "fully_paid" ? <FullyPaidWarning airbnb={airbnb} /> : null}
      <FieldErrors path={path} prefix />
      <button type="button" class="link danger" onClick={onRemove}>
        {t("common.remove")} <span class="visually-hidden">{label}</span>
      </button>
    </fieldset>
  );
}

/** The seed's warning: Airbnb bookings count as fully paid only 24 hours after arrival. */
function FullyPaidWarning({ airbnb }: { airbnb?: AirbnbExclusion }) {
  return (
    <div class="alert alert-warning" data-testid="fully-paid-warning">
      <p>{t("cond.fully_paid_airbnb")}</p>
      {airbnb?.excluded ? (
        <p data-testid="airbnb-excluded">{t("cond.fully_paid_airbnb_excluded")}</p>
      ) : airbnb ? (
        <button type="button" class="secondary" onClick={airbnb.exclude}>
          {t("cond.exclude_airbnb")}
        </button>
      ) : null}
    </div>
  );
}

function ValueEditor({ path, c, property, set }: { path: string; c: any; property?: PropertyOption; set: (patch: Record<string, unknown>) => void }) {
  const valuePath = `${path}.value`;
  if (BOOLEAN_TYPES.includes(c.type)) return <YesNo path={valuePath} label={t("cond.value")} value={c.value !== false} onChange={(value) => set({ value })} />;
  switch (c.type) {
    case "source":
      return <Checks path={valuePath} label={t("cond.value")} options={SOURCES.map((s) => [s, tk(`source.${s}`)])} values={c.value ?? []} onChange={(value) => set({ value })} />;
    case "unit":
      return (
        <Checks
          path={valuePath}
          label={t("cond.value")}
          options={(property?.units ?? []).map((u) => [u.id, u.name ? `${u.name} (${u.id})` : u.id])}
          values={c.value ?? []}
          onChange={(value) => set({ value })}
        />
      );
    case "guests_count":
      return <Input path={valuePath} label={t("cond.number")} type="number" min={0} value={String(c.value ?? "")} onInput={(v) => set({ value: v === "" ? "" : Number(v) })} />;
    case "planned_arrival":
    case "planned_departure":
      return <Input path={valuePath} label={t("cond.time")} type="time" value={c.value ?? ""} onInput={(value) => set({ value })} />;
    case "preferred_language":
      return (
        <Input
          path={valuePath}
          label={t("cond.languages")}
          value={(c.value ?? []).join(", ")}
          onInput={(v) => set({ value: v.split(",").map((s) => s.trim()).filter(Boolean) })}
        />
      );
    case "hometown":
      return <Input path={valuePath} label={t("cond.text")} value={c.value ?? ""} onInput={(value) => set({ value })} />;
    case "total_payout":
      return <Input path={valuePath} label={t("cond.amount")} inputMode="decimal" value={c.value ?? ""} onInput={(value) => set({ value })} />;
    case "authorization_hold":
    case "security_deposit":
      return <Select path={valuePath} label={t("cond.value")} value={c.value} options={["succeeded", "failed"].map((v) => [v, tk(`pay.${v}`)])} onChange={(value) => set({ value })} />;
    case "payment":
      return (
        <Select
          path={valuePath}
          label={t("cond.value")}
          value={c.value}
          options={["succeeded", "failed", "pending_authentication"].map((v) => [v, tk(`pay.${v}`)])}
          onChange={(value) => set({ value })}
        />
      );
    case "guest_app_form_submitted":
      return (
        <>
          <Input path={`${path}.app_id`} label={t("cond.app_id")} value={c.app_id ?? ""} onInput={(app_id) => set({ app_id })} />
          <YesNo path={valuePath} label={t("cond.value")} value={c.value !== false} onChange={(value) => set({ value })} />
        </>
      );
    case "custom_field":
      return (
        <>
          <Input path={`${path}.key`} label={t("cond.key")} value={c.key ?? ""} onInput={(key) => set({ key })} />
          <YesNo path={valuePath} label={t("cond.value")} value={c.value !== false} onChange={(value) => set({ value })} />
        </>
      );
    case "available_nights":
      return (
        <>
          <Select path={`${path}.side`} label={t("cond.side")} value={c.side} options={["before", "after", "before_or_after"].map((v) => [v, tk(`cond.side_${v}`)])} onChange={(side) => set({ side })} />
          <Select path={`${path}.days`} label={t("cond.nights_days")} value={c.days} options={["any", "weekdays", "weekends"].map((v) => [v, tk(`cond.days_${v}`)])} onChange={(days) => set({ days })} />
          <Input path={`${path}.max_gap_nights`} label={t("cond.max_gap")} type="number" min={1} value={String(c.max_gap_nights ?? "")} onInput={(v) => set({ max_gap_nights: v === "" ? "" : Number(v) })} />
          <YesNo path={valuePath} label={t("cond.value")} value={c.value !== false} onChange={(value) => set({ value })} />
        </>
      );
    case "review_submitted":
      return (
        <>
          <YesNo
            path={valuePath}
            label={t("cond.value")}
            value={c.value !== false}
            onChange={(value) => {
              const next: Record<string, unknown> = { value };
              if (!value) next.min_ratings = undefined;
              set(next);
            }}
          />
          {c.value !== false ? <Ratings path={`${path}.min_ratings`} value={c.min_ratings ?? {}} onChange={(min_ratings) => set({ min_ratings: Object.keys(min_ratings).length ? min_ratings : undefined })} /> : null}
        </>
      );
    default:
      return null;
  }
}

function Ratings({ path, value, onChange }: { path: string; value: Record<string, number>; onChange: (v: Record<string, number>) => void }) {
  const entries = Object.entries(value);
  const rename = (from: string, to: string) => {
    const next: Record<string, number> = {};
    for (const [k, v] of entries) next[k === from ? to : k] = v;
    onChange(next);
  };
  return (
    <fieldset class="ratings">
      <legend>{t("cond.min_ratings")}</legend>
      {entries.map(([category, rating], i) => (
        <div class="inline" key={i}>
          <label>
            {t("cond.rating_category")} <input value={category} onChange={(e) => rename(category, (e.target as HTMLInputElement).value)} />
          </label>
          <label>
            {t("cond.rating_min")}{" "}
            <input type="number" min={1} max={5} value={rating} id={fieldId(`${path}.${category}`)} onInput={(e) => onChange({ ...value, [category]: Number((e.target as HTMLInputElement).value) })} />
          </label>
          <button
            type="button"
            class="link danger"
            onClick={() => {
              const next = { ...value };
              delete next[category];
              onChange(next);
            }}
          >
            {t("common.remove")}
          </button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange({ ...value, [entries.length ? `category${entries.length + 1}` : "cleanliness"]: 4 })}>
        {t("cond.add_rating")}
      </button>
    </fieldset>
  );
}

// ---- small labelled inputs

function Select({ path, label, value, options, onChange }: { path: string; label: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  const aria = useFieldAria(path);
  return (
    <div class="field">
      <label for={aria.id}>{label}</label>
      <select {...aria} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function Input(props: { path: string; label: string; value: string; onInput: (v: string) => void; type?: string; min?: number; inputMode?: "decimal" | "numeric" | "text" }) {
  const aria = useFieldAria(props.path);
  return (
    <div class="field">
      <label for={aria.id}>{props.label}</label>
      <input {...aria} type={props.type ?? "text"} min={props.min} inputMode={props.inputMode} value={props.value} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
    </div>
  );
}

function YesNo({ path, label, value, onChange }: { path: string; label: string; value: boolean; onChange: (v: boolean) => void }) {
  const aria = useFieldAria(path);
  return (
    <div class="field">
      <label for={aria.id}>{label}</label>
      <select {...aria} value={value ? "true" : "false"} onChange={(e) => onChange((e.target as HTMLSelectElement).value === "true")}>
        <option value="true">{t("common.yes")}</option>
        <option value="false">{t("common.no")}</option>
      </select>
    </div>
  );
}

function Checks({ path, label, options, values, onChange }: { path: string; label: string; options: [string, string][]; values: string[]; onChange: (v: string[]) => void }) {
  const aria = useFieldAria(path);
  return (
    <fieldset class="checks" id={aria.id} tabIndex={-1} aria-describedby={aria["aria-describedby"]}>
      <legend>{label}</legend>
      {options.map(([v, text]) => (
        <label key={v} class="check">
          <input type="checkbox" checked={values.includes(v)} onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...values, v] : values.filter((x) => x !== v))} /> {text}
        </label>
      ))}
    </fieldset>
  );
}

