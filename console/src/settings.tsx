// The signed-in user's own settings (`GET/PUT /me`, any role): the language of the console and of
// the notifications and e-mails they receive, and whether they get e-mails at all.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, request, type Me } from "./api";
import { t, type Lang } from "./i18n";
import { apiMessage, ErrorMessage, Loading, Notice } from "./ui";

interface Props {
  me: Me | null;
  error: unknown;
  onRetry: () => void;
  onSaved: (me: Me) => void;
}

export function SettingsPage({ me, error, onRetry, onSaved }: Props) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [language, setLanguage] = useState<Lang>(me?.language ?? "en");
  const [emails, setEmails] = useState(me?.email_notifications ?? false);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  useEffect(() => headingRef.current?.focus(), []);
  useEffect(() => {
    if (!me) return;
    setLanguage(me.language);
    setEmails(me.email_notifications);
  }, [me?.language, me?.email_notifications]);

  const heading = (
    <h1 id="settings-title" ref={headingRef} tabIndex={-1}>
      {t("settings.title")}
    </h1>
  );
  if (!me) {
    return (
      <section aria-labelledby="settings-title">
        {heading}
        {error ? <ErrorMessage error={error} onRetry={onRetry} /> : <Loading />}
      </section>
    );
  }

  const fieldErrors = failure instanceof ApiError ? failure.errors : [];
  return (
    <section aria-labelledby="settings-title" class="settings">
      {heading}
      <p class="small muted">{t("settings.who", { id: me.id, email: me.email ?? t("settings.no_email") })}</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setSaved(false);
          setFailure(null);
          try {
            const r = await request<Me>("PUT", "/me", { language, email_notifications: emails });
            onSaved(r.data);
            setSaved(true);
          } catch (err) {
            setFailure(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <fieldset class="radios">
          <legend>{t("settings.language")}</legend>
          <p class="hint">{t("settings.language_hint")}</p>
          {(["en", "fr"] as Lang[]).map((l) => (
            <label key={l} class="radio" lang={l}>
              <input type="radio" name="settings-language" value={l} checked={language === l} onChange={() => setLanguage(l)} /> {l === "en" ? "English" : "Français"}
            </label>
          ))}
        </fieldset>
        <fieldset class="checks">
          <legend>{t("settings.emails")}</legend>
          <label class="check">
            <input type="checkbox" name="email-notifications" checked={emails} onChange={(e) => setEmails((e.target as HTMLInputElement).checked)} /> {t("settings.emails_label")}
          </label>
          {!me.email ? <p class="hint">{t("settings.emails_no_address")}</p> : null}
        </fieldset>
        <button type="submit" disabled={busy}>
          {busy ? t("wizard.saving") : t("common.save")}
        </button>
      </form>
      {saved ? <Notice kind="success">{t("settings.saved")}</Notice> : null}
      {failure ? (
        <div class="alert alert-error" role="alert">
          <p>{t("common.error", { message: apiMessage(failure) })}</p>
          {fieldErrors.map((f) => (
            <p key={f.field}>
              <code>{f.field}</code> {f.message}
            </p>
          ))}
        </div>
      ) : null}
    </section>
  );
}
