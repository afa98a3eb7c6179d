// The campaign list (status badges, filters, actions per role), a campaign's page (read-only
// summary, message previews, recipient preview, approval) and the approver's queue.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get, request, type Campaign, type CampaignOptions, type CampaignStatus, type PreviewResult } from "./api";
import { canApprove, canEdit, type Identity } from "./auth";
import { describeChannel, describeCondition, describePeriod, describeTarget, describeTrigger, explainReason } from "./describe";
import { formatInstant, languageName } from "./format";
import { t, tk } from "./i18n";
import { segments } from "./sms";
import { parseTemplate, renderTemplate, sampleValues } from "./template";
import { ErrorMessage, Loading, Notice, StatusBadge, useAsync } from "./ui";
import { clearLocalDraft, loadLocalDraft } from "./wizard/wizard";

const STATUSES: CampaignStatus[] = ["draft", "pending", "active", "rejected", "paused", "archived"];

type Action = "submit" | "pause" | "resume" | "archive" | "approve" | "reject";

/** What this role may do with a campaign in this status (the API decides in the end). */
export function actionsFor(identity: Identity, c: Campaign): Action[] {
  const out: Action[] = [];
  if (canEdit(identity.role)) {
    if (c.status === "draft" || c.status === "rejected") out.push("submit");
    if (c.status === "active") out.push("pause");
    if (c.status === "paused") out.push("resume");
  }
  if (canApprove(identity.role) && c.status === "pending" && !c.awaiting_meta) out.push("approve");
  if (canEdit(identity.role) && c.status !== "archived") out.push("archive");
  return out;
}

async function act(c: Campaign, action: Action, body?: unknown): Promise<Campaign> {
  const r = await request<Campaign>("POST", `/campaigns/${encodeURIComponent(c.id)}/${action}`, body, `"${c.version}"`);
  return r.data;
}

interface ListProps {
  identity: Identity;
  options: CampaignOptions | null;
  query: URLSearchParams;
  navigate: (hash: string, replace?: boolean) => void;
  onChanged: () => void;
  onlyPending?: boolean;
}

export function CampaignList({ identity, options, query, navigate, onChanged, onlyPending = false }: ListProps) {
  const status = onlyPending ? "pending" : query.get("status") ?? "";
  const property = query.get("property") ?? "";
  const list = useAsync(() => get<{ campaigns: Campaign[] }>(`/campaigns${status ? `?status=${status}` : ""}`), [status]);
  const [message, setMessage] = useState<string>("");
  const [failure, setFailure] = useState<unknown>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const local = onlyPending ? null : loadLocalDraft(identity);
  const [localShown, setLocalShown] = useState(local !== null);
  useEffect(() => headingRef.current?.focus(), [onlyPending]);

  const propertyName = (id: string) => options?.properties.find((p) => p.id === id)?.name ?? id;
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    const qs = next.toString();
    navigate(`#/campaigns${qs ? `?${qs}` : ""}`, true);
  };
  const run = async (c: Campaign, action: Action) => {
    if (action === "archive" && !confirm(t("action.confirm_archive", { name: c.name }))) return;
    setFailure(null);
    try {
      const updated = await act(c, action);
      setMessage(`${c.name}: ${t("action.done", { status: tk(`status.${updated.status}`) })}`);
      list.reload();
      onChanged();
    } catch (e) {
      setFailure(e);
    }
  };

  const campaigns = (list.data?.campaigns ?? []).filter((c) => !property || c.property_id === property);
  const propertyIds = Array.from(new Set([...(options?.properties.map((p) => p.id) ?? []), ...(list.data?.campaigns ?? []).map((c) => c.property_id)]));

  return (
    <section aria-labelledby="list-title">
      <div class="page-head">
        <h1 id="list-title" ref={headingRef} tabIndex={-1}>
          {onlyPending ? t("nav.approvals") : t("list.title")}
        </h1>
        {!onlyPending && canEdit(identity.role) ? (
          <a class="button" href="#/campaigns/new">
            {t("list.new")}
          </a>
        ) : null}
      </div>
      {local && localShown ? (
        <Notice>
          {local.draft.name ? t("list.resume_local", { name: local.draft.name }) : t("list.resume_local_unnamed")}{" "}
          <a href="#/campaigns/new?resume=1">{t("list.resume")}</a>{" "}
          <button
            type="button"
            class="link"
            onClick={() => {
              clearLocalDraft(identity);
              setLocalShown(false);
            }}
          >
            {t("list.discard")}
          </button>
        </Notice>
      ) : null}
      {!onlyPending ? (
        <form class="filters inline" onSubmit={(e) => e.preventDefault()}>
          <div class="field">
            <label for="filter-property">{t("list.filter_property")}</label>
            <select id="filter-property" value={property} onChange={(e) => setFilter("property", (e.target as HTMLSelectElement).value)}>
              <option value="">{t("common.all")}</option>
              {propertyIds.map((id) => (
                <option key={id} value={id}>
                  {propertyName(id)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-status">{t("list.filter_status")}</label>
            <select id="filter-status" value={status} onChange={(e) => setFilter("status", (e.target as HTMLSelectElement).value)}>
              <option value="">{t("common.all")}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {tk(`status.${s}`)}
                </option>
              ))}
            </select>
          </div>
        </form>
      ) : null}
      {message ? <Notice kind="success">{message}</Notice> : null}
      {failure ? <ErrorMessage error={failure} /> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.error ? <ErrorMessage error={list.error} onRetry={list.reload} /> : null}
      {list.data ? (
        campaigns.length === 0 ? (
          <p>{t("list.empty")}</p>
        ) : (
          <table class="campaigns">
            <caption class="visually-hidden">{t("list.caption", { n: campaigns.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.col_name")}</th>
                <th scope="col">{t("list.col_property")}</th>
                <th scope="col">{t("list.col_when")}</th>
                <th scope="col">{t("list.col_channel")}</th>
                <th scope="col">{t("list.col_status")}</th>
                <th scope="col">{t("list.col_actions")}</th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((c) => (
                <tr key={c.id} data-campaign={c.id}>
                  <th scope="row">
                    <a href={`#/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</a>
                    <div class="muted small">{tk(`category.${c.category}`)}</div>
                  </th>
                  <td>{propertyName(c.property_id)}</td>
                  <td>
                    {describeTrigger(c.trigger)}
                    <div class="muted small">{describeTarget(c.trigger, c.target)}</div>
                  </td>
                  <td>{describeChannel(c.channel)}</td>
                  <td>
                    <StatusBadge status={c.status} awaitingMeta={c.awaiting_meta} />
                    {c.status === "rejected" && c.rejection_reason ? <div class="small">{t("list.rejected_reason", { reason: c.rejection_reason })}</div> : null}
                  </td>
                  <td class="actions">
                    {canEdit(identity.role) && c.status !== "archived" ? (
                      <a class="button secondary small" href={`#/campaigns/${encodeURIComponent(c.id)}/edit`}>
                        {t("action.edit")} <span class="visually-hidden">{c.name}</span>
                      </a>
                    ) : null}
                    {actionsFor(identity, c).map((a) =>
                      a === "approve" ? (
                        <a key={a} class="button small" href={`#/campaigns/${encodeURIComponent(c.id)}`}>
                          {t("action.review")} <span class="visually-hidden">{c.name}</span>
                        </a>
                      ) : (
                        <button key={a} type="button" class={`small ${a === "archive" ? "danger secondary" : "secondary"}`} onClick={() => run(c, a)}>
                          {tk(`action.${a}`)} <span class="visually-hidden">{c.name}</span>
                        </button>
                      ),
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}

// ---- one campaign

interface ViewProps {
  identity: Identity;
  options: CampaignOptions | null;
  id: string;
  query: URLSearchParams;
  onChanged: () => void;
}

export function CampaignView({ identity, options, id, query, onChanged }: ViewProps) {
  const campaign = useAsync(() => request<Campaign>("GET", `/campaigns/${encodeURIComponent(id)}`).then((r) => r.data), [id]);
  const [message, setMessage] = useState(query.get("submitted") ? "submitted" : "");
  const [failure, setFailure] = useState<unknown>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [id, campaign.data?.id]);

  if (campaign.loading && !campaign.data) return <Loading />;
  if (campaign.error) return <ErrorMessage error={campaign.error} onRetry={campaign.reload} />;
  const c = campaign.data!;
  const property = options?.properties.find((p) => p.id === c.property_id);
  const chatbot = options?.chatbots.find((b) => b.id === c.chatbot_id);

  const run = async (action: Action, body?: unknown) => {
    setFailure(null);
    try {
      const updated = await act(c, action, body);
      setMessage(t("action.done", { status: tk(`status.${updated.status}`) }));
      campaign.reload();
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.field === "reason") setReasonError(e.message);
      else setFailure(e);
    }
  };
  const reject = () => {
    if (!reason.trim()) {
      setReasonError(t("wizard.required"));
      document.getElementById("reject-reason")?.focus();
      return;
    }
    setReasonError("");
    run("reject", { reason });
  };

  return (
    <section aria-labelledby="campaign-title" class="campaign-view">
      <div class="page-head">
        <h1 id="campaign-title" ref={headingRef} tabIndex={-1}>
          {c.name} <StatusBadge status={c.status} awaitingMeta={c.awaiting_meta} />
        </h1>
        <div class="actions">
          {canEdit(identity.role) && c.status !== "archived" ? (
            <a class="button secondary" href={`#/campaigns/${encodeURIComponent(c.id)}/edit`}>
              {t("action.edit")}
            </a>
          ) : null}
          {actionsFor(identity, c)
            .filter((a) => a !== "approve")
            .map((a) => (
              <button key={a} type="button" class={a === "archive" ? "secondary danger" : "secondary"} onClick={() => (a !== "archive" || confirm(t("action.confirm_archive", { name: c.name }))) && run(a)}>
                {tk(`action.${a}`)}
              </button>
            ))}
        </div>
      </div>
      {message === "submitted" && c.status === "pending" ? <Notice kind="success">{t("view.pending_note")}</Notice> : message && message !== "submitted" ? <Notice kind="success">{message}</Notice> : null}
      {failure ? <ErrorMessage error={failure} /> : null}
      {c.status === "rejected" && c.rejection_reason ? (
        <div class="alert alert-error" data-testid="rejection">
          {t("view.rejected", { reason: c.rejection_reason })}
        </div>
      ) : null}
      {c.status === "pending" && c.awaiting_meta ? <Notice>{t("view.awaiting_meta")}</Notice> : null}
      {c.status === "pending" && !c.awaiting_meta && message !== "submitted" ? <p class="muted">{t("view.pending_note")}</p> : null}

      {canApprove(identity.role) && c.status === "pending" && !c.awaiting_meta ? (
        <section class="approval" aria-labelledby="approval-title">
          <h2 id="approval-title">{t("view.approval")}</h2>
          <div class="approval-actions">
            <button type="button" onClick={() => run("approve")}>
              {t("action.approve")}
            </button>
          </div>
          <div class="field">
            <label for="reject-reason">{t("view.reject_reason")}</label>
            <textarea id="reject-reason" rows={3} value={reason} aria-invalid={reasonError ? "true" : undefined} aria-describedby={reasonError ? "reject-reason-error" : undefined} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
            {reasonError ? (
              <p id="reject-reason-error" class="field-error">
                {reasonError}
              </p>
            ) : null}
          </div>
          <button type="button" class="secondary danger" onClick={reject}>
            {t("view.reject_confirm")}
          </button>
        </section>
      ) : null}

      <section aria-labelledby="summary-title">
        <h2 id="summary-title">{t("view.summary")}</h2>
        <dl class="summary">
          <dt>{t("view.category")}</dt>
          <dd>{tk(`category.${c.category}`)}</dd>
          <dt>{t("view.property")}</dt>
          <dd>{property ? `${property.name} (${property.pms_name})` : c.property_id}</dd>
          <dt>{t("view.chatbot")}</dt>
          <dd>{chatbot?.name ?? c.chatbot_id}</dd>
          <dt>{t("view.period")}</dt>
          <dd>{describePeriod(c.period)}</dd>
          <dt>{t("view.trigger")}</dt>
          <dd>{describeTrigger(c.trigger)}</dd>
          <dt>{t("view.target")}</dt>
          <dd>{describeTarget(c.trigger, c.target)}</dd>
          <dt>{t("view.channel")}</dt>
          <dd>{describeChannel(c.channel)}</dd>
          <dt>{t("view.quiet_hours")}</dt>
          <dd data-testid="summary-quiet-hours">
            {c.quiet_hours === "ignore" ? t("view.quiet_hours_ignore") : t("view.quiet_hours_respect")}
            {property?.quiet_hours ? ` (${property.quiet_hours.start}–${property.quiet_hours.end})` : ` (${t("view.quiet_hours_property_none")})`}
          </dd>
          <dt>{t("view.conditions")}</dt>
          <dd>
            {c.reservation_conditions.length + c.message_conditions.length === 0 ? (
              t("common.none")
            ) : (
              <ul>
                {[...c.reservation_conditions, ...c.message_conditions].map((cond, i) => (
                  <li key={i}>{describeCondition(cond)}</li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
        {c.whatsapp_templates && Object.keys(c.whatsapp_templates).length ? (
          <>
            <h3>{t("view.templates")}</h3>
            <ul data-testid="templates">
              {Object.entries(c.whatsapp_templates).map(([language, review]) => (
                <li key={language}>
                  {languageName(language)}: {tk(`template.${review.status}`, { reason: review.reason ?? "", fallback: review.status })}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <p class="muted small">{t("view.created", { user: c.created_by, date: formatInstant(c.created_at) })}</p>
      </section>

      <section aria-labelledby="messages-title">
        <h2 id="messages-title">{t("view.messages")}</h2>
        <div class="message-previews">
          {Object.entries(c.messages).map(([language, content]) =>
            (["whatsapp", "sms"] as const)
              .filter((channel) => content[channel])
              .map((channel) => {
                const m = content[channel];
                const parsed = parseTemplate(m.body ?? "", options?.variables ?? []);
                const rendered = "segments" in parsed ? renderTemplate(parsed.segments, sampleValues(property, language)).text : m.body;
                const sms = channel === "sms" ? segments(rendered) : null;
                return (
                  <figure class={`preview preview-${channel}`} key={`${language}-${channel}`}>
                    <figcaption>
                      {languageName(language)} · {tk(`channel.${channel}`)}
                      {channel === "whatsapp" ? ` · ${tk(`step5.type_${m.type}`)}` : ""}
                    </figcaption>
                    <pre class="template">{m.body}</pre>
                    <div class="bubble" lang={language}>
                      {rendered}
                    </div>
                    {m.buttons?.length ? (
                      <ul class="bubble-buttons">
                        {m.buttons.map((b: any, i: number) => (
                          <li key={i}>
                            {b.title}
                            <span class="muted small"> {b.url ?? b.phone ?? b.flow_id ?? b.faq_id}</span>
                          </li>
                        ))}
                      </ul>
                    ) : null}
                    {sms ? <p class="small muted">{t("step5.sms_parts", { segments: sms.segments, encoding: sms.encoding === "gsm7" ? "GSM-7" : "UCS-2", n: sms.characters, per: sms.perPart })}</p> : null}
                  </figure>
                );
              }),
          )}
        </div>
      </section>

      <RecipientPreview campaign={c} />
    </section>
  );
}

function RecipientPreview({ campaign }: { campaign: Campaign }) {
  const [days, setDays] = useState(7);
  const [result, setResult] = useState<PreviewResult | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e?: Event) => {
    e?.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      setResult((await request<PreviewResult>("POST", `/campaigns/${encodeURIComponent(campaign.id)}/preview`, { days })).data);
    } catch (err) {
      setFailure(err);
    }
    setBusy(false);
  };
  return (
    <section aria-labelledby="recipients-title" class="recipients">
      <h2 id="recipients-title">{t("view.recipients")}</h2>
      <form class="inline" onSubmit={run}>
        <div class="field narrow">
          <label for="preview-days">{t("view.recipients_days")}</label>
          <input id="preview-days" type="number" min={1} max={90} value={days} onInput={(e) => setDays(Number((e.target as HTMLInputElement).value))} />
        </div>
        <button type="submit" class="secondary" disabled={busy}>
          {t("view.recipients_run")}
        </button>
      </form>
      {failure ? <ErrorMessage error={failure} /> : null}
      {result ? (
        <div aria-live="polite">
          <p>{t("view.summary_counts", { send: result.summary.send ?? 0, held: result.summary.held ?? 0, skip: result.summary.skip ?? 0 })}</p>
          {result.notes.length ? (
            <ul class="notes small muted">
              {result.notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          ) : null}
          {result.recipients.length === 0 ? (
            <p>{t("view.recipients_none")}</p>
          ) : (
            <table class="recipients-table" data-testid="recipients">
              <thead>
                <tr>
                  <th scope="col">{t("view.col_reservation")}</th>
                  <th scope="col">{t("view.col_guest")}</th>
                  <th scope="col">{t("view.col_due")}</th>
                  <th scope="col">{t("view.col_decision")}</th>
                  <th scope="col">{t("view.col_message")}</th>
                  <th scope="col">{t("view.col_conditions")}</th>
                </tr>
              </thead>
              <tbody>
                {result.recipients.map((r) => (
                  <tr key={`${r.reservation_id}-${r.due_at}`}>
                    <th scope="row">
                      <a href={`#/reservations/${encodeURIComponent(r.reservation_id)}?property=${encodeURIComponent(campaign.property_id)}`}>{r.reservation_id}</a>
                    </th>
                    <td>{r.guest}</td>
                    <td>
                      {formatInstant(r.due_at)} {r.estimated ? <span class="muted">{t("view.estimated")}</span> : null}
                    </td>
                    <td>
                      <span class={`badge decision-${r.decision}`}>{tk(`decision.${r.decision}`, { fallback: r.decision })}</span>
                      {r.reason ? <div class="small">{explainReason(r.decision === "held" ? "pending" : r.decision, r.reason)}</div> : null}
                    </td>
                    <td>
                      {r.message ? (
                        <>
                          <span class="muted small">
                            {tk(`channel.${r.message.channel}`)} · {r.message.language}
                            {r.message.sms ? ` · ${r.message.sms.segments} SMS, ${r.message.sms.encoding === "gsm7" ? "GSM-7" : "UCS-2"}` : ""}
                          </span>
                          <div>{r.message.body}</div>
                        </>
                      ) : null}
                      {r.fallback ? <div class="small muted">{t("view.fallback", { body: r.fallback.body })}</div> : null}
                    </td>
                    <td>
                      <ul class="small">
                        {r.conditions.map((cond, i) => (
                          <li key={i}>
                            {cond.holds ? "✓" : "✗"} {describeCondition(cond.condition)}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ) : null}
    </section>
  );
}
