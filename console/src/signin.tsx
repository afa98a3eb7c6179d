// Sign-in: paste a token (local runner: `relais token`), or the hosted login when configured.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get } from "./api";
import { forgetToken, signIn, startHostedLogin, type Identity } from "./auth";
import { config } from "./config";
import { t } from "./i18n";

export function SignIn({ reason, onSignedIn }: { reason: string; onSignedIn: (identity: Identity) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState(reason);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const identity = signIn(token);
    if (!identity) {
      setError(t("signin.invalid"));
      document.getElementById("token")?.focus();
      return;
    }
    setBusy(true);
    try {
      // Ask the API once, so that a token it refuses is reported here.
      await get("/notifications?unread=true");
      onSignedIn(identity);
    } catch (err) {
      forgetToken();
      setError(err instanceof ApiError ? t("signin.rejected", { message: err.message }) : String(err));
    }
    setBusy(false);
  };
  return (
    <section class="signin" aria-labelledby="signin-title">
      <h1 id="signin-title" ref={headingRef} tabIndex={-1}>
        {t("signin.title")}
      </h1>
      {config.oidc ? (
        <>
          <button type="button" onClick={() => startHostedLogin()}>
            {t("signin.hosted", { provider: config.oidc.provider_name ?? "SSO" })}
          </button>
          <p class="muted">{t("signin.or")}</p>
        </>
      ) : null}
      <form onSubmit={submit}>
        <p id="token-hint" class="hint">
          {t("signin.intro")}
        </p>
        <div class="field">
          <label for="token">{t("signin.token")}</label>
          <textarea
            id="token"
            rows={4}
            autoComplete="off"
            spellcheck={false}
            value={token}
            aria-describedby={error ? "token-hint token-error" : "token-hint"}
            aria-invalid={error ? "true" : undefined}
            onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
          />
          {error ? (
            <p id="token-error" class="field-error" role="alert">
              {error}
            </p>
          ) : null}
        </div>
        <button type="submit" disabled={busy}>
          {t("signin.submit")}
        </button>
      </form>
    </section>
  );
}
