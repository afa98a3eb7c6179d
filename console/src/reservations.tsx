// A reservation's message timeline: every message of every campaign, its state, and why it was
// sent, held, skipped or expired, with each state change.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get, request, type CampaignOptions, type ReservationEvent, type ReservationTimeline } from "./api";
import { canEdit, type Identity } from "./auth";
import { explainReason } from "./describe";
import { customFieldChange, customFieldRows } from "./fields";
import { formatInstant, formatDate, languageName } from "./format";
import { t, tk } from "./i18n";
import { apiMessage, ErrorMessage, Loading, StateBadge, useAsync } from "./ui";

export function ReservationLookup({ options, navigate }: { options: CampaignOptions | null; navigate: (hash: string) => void }) {
  const [id, setId] = useState("");
  const [property, setProperty] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section aria-labelledby="res-title">
      <h1 id="res-title" ref={headingRef} tabIndex={-1}>
        {t("res.title")}
      </h1>
      <form
        class="lookup"
        onSubmit={(e) => {
          e.preventDefault();
          if (id.trim()) navigate(`#/reservations/${encodeURIComponent(id.trim())}${property ? `?property=${encodeURIComponent(property)}` : ""}`);
        }}
      >
        <h2>{t("res.lookup")}</h2>
        <div class="field">
          <label for="reservation-id">{t("res.id")}</label>
          <input id="reservation-id" required value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="reservation-property">{t("res.property")}</label>
          <select id="reservation-property" value={property} onChange={(e) => setProperty((e.target as HTMLSelectElement).value)}>
            <option value="">{t("res.any_property")}</option>
            {(options?.properties ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("res.open")}</button>
      </form>
    </section>
  );
}

export function ReservationPage({ id, query, identity }: { id: string; query: URLSearchParams; identity: Identity }) {
  const property = query.get("property") ?? "";
  const timeline = useAsync(
    () => get<ReservationTimeline>(`/reservations/${encodeURIComponent(id)}/messages${property ? `?property_id=${encodeURIComponent(property)}` : ""}`),
    [id, property],
  );
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [id, timeline.data?.reservation_id]);
  if (timeline.loading && !timeline.data) return <Loading />;
  if (timeline.error) return <ErrorMessage error={timeline.error} onRetry={timeline.reload} />;
  const r = timeline.data!;
  return (
    <section aria-labelledby="reservation-title" class="reservation">
      <h1 id="reservation-title" ref={headingRef} tabIndex={-1}>
        {t("res.heading", { id: r.reservation_id })}
      </h1>
      <p>
        {t("res.stay", { status: tk(`rstatus.${r.status}`), check_in: formatDate(r.check_in), check_out: formatDate(r.check_out) })} · {r.property_id}
      </p>
      <h2>{t("res.transitions")}</h2>
      <ol class="transitions">
        {(r.transitions ?? []).map((tr) => (
          <li key={tr.seq}>{t("res.transition", { from: tr.from ? tk(`rstatus.${tr.from}`) : t("res.new"), to: tk(`rstatus.${tr.to}`), date: formatInstant(tr.at) })}</li>
        ))}
      </ol>
      <CustomFields timeline={r} editable={canEdit(identity.role)} onSaved={timeline.reload} />
      <Events timeline={r} />
      <h2>{t("res.messages")}</h2>
      {(r.messages ?? []).length === 0 ? <p>{t("res.no_messages")}</p> : null}
      <ol class="timeline" data-testid="timeline">
        {(r.messages ?? []).map((m) => (
          <li key={m.id} class={`message state-${m.state}`} data-message={m.id}>
            <article aria-labelledby={`msg-${m.id}`}>
              <h3 id={`msg-${m.id}`}>
                <a href={`#/campaigns/${encodeURIComponent(m.campaign_id)}`}>{m.campaign_name ?? m.campaign_id}</a> <StateBadge state={m.state} />
              </h3>
              <p class="small muted">
                {t("res.due", { date: formatInstant(m.due_at) })} · {t("res.expires", { date: formatInstant(m.expires_at) })}
                {m.channel ? ` · ${tk(`channel.${m.channel}`)}` : ""}
                {m.language ? ` · ${m.language}` : ""}
              </p>
              <p class="why">
                <strong>{t("res.why")}:</strong> {explainReason(m.state, m.reason)}
              </p>
              <details>
                <summary>{t("res.history")}</summary>
                <ol class="history">
                  {(m.timeline ?? []).map((e, i) => (
                    <li key={i}>
                      <time dateTime={e.at}>{formatInstant(e.at)}</time> <StateBadge state={e.state} />
                      {e.channel ? ` ${tk(`channel.${e.channel}`)}` : ""} {e.reason ? <span>— {explainReason(e.state, e.reason)}</span> : null}
                    </li>
                  ))}
                </ol>
                {m.attempts?.length ? (
                  <>
                    <h4>{t("res.attempts")}</h4>
                    <ul>
                      {m.attempts.map((a, i) => (
                        <li key={i}>
                          {t("res.attempt", { channel: tk(`channel.${a.channel}`), date: formatInstant(a.at), status: a.status })}
                          {a.error ? ` (${a.error})` : ""}
                        </li>
                      ))}
                    </ul>
                  </>
                ) : null}
              </details>
            </article>
          </li>
        ))}
      </ol>
    </section>
  );
}

const yesNo = (v: boolean | null) => (v === null ? t("res.cf_unset") : v ? t("common.yes") : t("common.no"));

/** The custom yes/no fields the `custom_field` condition reads; editors set and clear the operator's value. */
function CustomFields({ timeline: r, editable, onSaved }: { timeline: ReservationTimeline; editable: boolean; onSaved: () => void }) {
  // The PATCH answer's fields, shown at once, until the refreshed timeline arrives.
  const [latest, setLatest] = useState<Parameters<typeof customFieldRows>[0] | null>(null);
  useEffect(() => setLatest(null), [r]);
  const rows = customFieldRows(latest ?? r);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<{ message: string; key: string | null } | null>(null);
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState<"true" | "false">("true");

  const change = async (key: string, value: boolean | null) => {
    setBusy(true);
    setStatus("");
    setFailure(null);
    try {
      const path = `/reservations/${encodeURIComponent(r.reservation_id)}/custom-fields?property_id=${encodeURIComponent(r.property_id)}`;
      const answer = await request<Parameters<typeof customFieldRows>[0]>("PATCH", path, customFieldChange(key, value));
      setLatest(answer.data);
      setStatus(value === null ? t("res.cf_cleared", { key: key.trim() }) : t("res.cf_saved", { key: key.trim(), value: yesNo(value) }));
      onSaved();
      return true;
    } catch (e) {
      const field = e instanceof ApiError ? e.errors[0] : undefined;
      setFailure({ message: field ? `${field.field}: ${field.message}` : apiMessage(e), key: field ? field.field : null });
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="cf-title" class="custom-fields" data-testid="custom-fields">
      <h2 id="cf-title">{t("res.cf_title")}</h2>
      <p class="hint">{t("res.cf_intro")}</p>
      {rows.length === 0 ? <p data-testid="cf-none">{t("res.cf_none")}</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("res.cf_key")}</th>
              <th scope="col">{t("res.cf_pms")}</th>
              <th scope="col">{t("res.cf_operator")}</th>
              <th scope="col">{t("res.cf_effective")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key} data-field={row.key}>
                <th scope="row"><code>{row.key}</code></th>
                <td>{yesNo(row.pms)}</td>
                <td>
                  {editable ? (
                    <select
                      aria-label={t("res.cf_operator_for", { key: row.key })}
                      disabled={busy}
                      value={row.operator === null ? "" : String(row.operator)}
                      onChange={(e) => {
                        const v = (e.target as HTMLSelectElement).value;
                        change(row.key, v === "" ? null : v === "true");
                      }}
                    >
                      <option value="">{t("res.cf_unset_option")}</option>
                      <option value="true">{t("common.yes")}</option>
                      <option value="false">{t("common.no")}</option>
                    </select>
                  ) : (
                    yesNo(row.operator)
                  )}
                </td>
                <td>
                  <strong>{yesNo(row.effective)}</strong>
                  {row.operator !== null && row.pms !== null && row.operator !== row.pms ? <span class="muted small"> {t("res.cf_overrides")}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editable ? (
        <form
          class="inline cf-add"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!newKey.trim()) {
              setFailure({ message: t("wizard.required"), key: "" });
              return;
            }
            if (await change(newKey, newValue === "true")) setNewKey("");
          }}
        >
          <div class="field">
            <label for="cf-new-key">{t("res.cf_new_key")}</label>
            <input id="cf-new-key" value={newKey} maxLength={64} aria-invalid={failure && failure.key !== null ? "true" : undefined} aria-describedby={failure ? "cf-error" : undefined} onInput={(e) => setNewKey((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="cf-new-value">{t("res.cf_new_value")}</label>
            <select id="cf-new-value" value={newValue} onChange={(e) => setNewValue((e.target as HTMLSelectElement).value as "true" | "false")}>
              <option value="true">{t("common.yes")}</option>
              <option value="false">{t("common.no")}</option>
            </select>
          </div>
          <button type="submit" disabled={busy}>
            {t("res.cf_set")}
          </button>
        </form>
      ) : (
        <p class="muted small">{t("res.cf_read_only")}</p>
      )}
      {failure ? (
        <p id="cf-error" class="field-error" role="alert">
          {failure.message}
        </p>
      ) : null}
      {status ? (
        <p class="alert alert-success" role="status">
          {status}
        </p>
      ) : null}
    </section>
  );
}

function eventText(e: ReservationEvent, campaignName: (id: string) => string): string {
  switch (e.kind) {
    case "custom_field":
      return e.value === null ? t("res.ev_cf_cleared", { by: e.by, key: e.key }) : t("res.ev_cf_set", { by: e.by, key: e.key, value: yesNo(e.value) });
    case "faq_answered":
      return t("res.ev_faq", { faq: e.faq_id, language: languageName(e.language), campaign: campaignName(e.campaign_id) });
    case "flow_chosen":
      return t("res.ev_flow", { flow: e.flow_id, campaign: campaignName(e.campaign_id) });
    default:
      return (e as { kind: string }).kind;
  }
}

/** Operator changes and button taps, newest last. */
function Events({ timeline: r }: { timeline: ReservationTimeline }) {
  const events = r.events ?? [];
  if (!events.length) return null;
  const names = new Map((r.messages ?? []).map((m) => [m.campaign_id, m.campaign_name ?? m.campaign_id]));
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">{t("res.events")}</h2>
      <ol class="events" data-testid="events">
        {events.map((e, i) => (
          <li key={i}>
            <time dateTime={e.at}>{formatInstant(e.at)}</time> — {eventText(e, (id) => names.get(id) ?? id)}
          </li>
        ))}
      </ol>
    </section>
  );
}
