// A reservation's message timeline: every message of every campaign, its state, and why it was
// sent, held, skipped or expired, with each state change.

import { useEffect, useRef, useState } from "preact/hooks";
import { get, type CampaignOptions, type ReservationTimeline } from "./api";
import { explainReason } from "./describe";
import { formatDate, formatInstant } from "./format";
import { t, tk } from "./i18n";
import { ErrorMessage, Loading, StateBadge, useAsync } from "./ui";

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

export function ReservationPage({ id, query }: { id: string; query: URLSearchParams }) {
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
