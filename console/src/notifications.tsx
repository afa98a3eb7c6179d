// The signed-in user's console notifications (submission, approval, rejection).

import { useEffect, useRef, useState } from "preact/hooks";
import { request, type Notification } from "./api";
import { formatInstant } from "./format";
import { t } from "./i18n";
import { ErrorMessage } from "./ui";

export function NotificationsPage({ notifications, error, onChanged }: { notifications: Notification[]; error: unknown; onChanged: () => void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const markRead = async (n: Notification) => {
    try {
      await request("POST", `/notifications/${encodeURIComponent(n.id)}/read`);
      onChanged();
    } catch (e) {
      setFailure(e);
    }
  };
  return (
    <section aria-labelledby="notif-title">
      <h1 id="notif-title" ref={headingRef} tabIndex={-1}>
        {t("notif.title")}
      </h1>
      {error ? <ErrorMessage error={error} /> : null}
      {failure ? <ErrorMessage error={failure} /> : null}
      {notifications.length === 0 ? <p>{t("notif.empty")}</p> : null}
      <ul class="notifications" data-testid="notifications">
        {notifications.map((n) => (
          <li key={n.id} class={n.read ? "read" : "unread"}>
            <p>
              {!n.read ? <span class="badge badge-new">{t("notif.new")}</span> : null} <strong>{n.title}</strong>
            </p>
            <p>{n.body}</p>
            <p class="small muted">
              <time dateTime={n.at}>{formatInstant(n.at)}</time> · <a href={`#/campaigns/${encodeURIComponent(n.campaign_id)}`}>{t("notif.open")}</a>
              {!n.read ? (
                <>
                  {" · "}
                  <button type="button" class="link" onClick={() => markRead(n)}>
                    {t("notif.mark_read")}
                  </button>
                </>
              ) : null}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
