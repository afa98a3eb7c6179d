// The console shell: sign-in, navigation, hash routes and the notification count.
//   #/campaigns[?status=&property=]      campaign list
//   #/campaigns/new[?resume=1]           the wizard, new campaign
//   #/campaigns/{id}[?submitted=1]       a campaign (summary, preview, approval)
//   #/campaigns/{id}/edit                the wizard on a stored campaign
//   #/approvals                          pending campaigns (approvers)
//   #/reservations, #/reservations/{id}  a reservation's timeline
//   #/notifications
//   #/settings                           the user's own language and e-mail preference (GET/PUT /me)

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { get, request, setUnauthorizedHandler, type CampaignOptions, type Me, type Notification } from "./api";
import { canApprove, currentIdentity, forgetToken, signOut, type Identity } from "./auth";
import { CampaignList, CampaignView } from "./campaigns";
import { lang, setLang, t, tk, type Lang } from "./i18n";
import { NotificationsPage } from "./notifications";
import { ReservationLookup, ReservationPage } from "./reservations";
import { SettingsPage } from "./settings";
import { SignIn } from "./signin";
import { ErrorMessage, Loading } from "./ui";
import { Wizard } from "./wizard/wizard";

interface Route {
  path: string[];
  query: URLSearchParams;
}

function parseHash(): Route {
  const raw = location.hash.replace(/^#\/?/, "");
  const [pathPart, queryPart = ""] = raw.split("?");
  const path = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  return { path: path.length ? path : ["campaigns"], query: new URLSearchParams(queryPart) };
}

export function navigate(hash: string, replace = false) {
  if (replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else location.hash = hash;
}

export function App({ initialError }: { initialError: string }) {
  const [identity, setIdentity] = useState<Identity | null>(currentIdentity());
  const [signInReason, setSignInReason] = useState(initialError);
  const [route, setRoute] = useState<Route>(parseHash());
  const [language, setLanguage] = useState<Lang>(lang());
  const [options, setOptions] = useState<CampaignOptions | null>(null);
  const [optionsError, setOptionsError] = useState<unknown>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<unknown>(null);
  const [languageError, setLanguageError] = useState<unknown>(null);
  const languageQueue = useRef<Promise<unknown>>(Promise.resolve());
  const [notifications, setNotifications] = useState<{ list: Notification[]; unread: number; error: unknown }>({ list: [], unread: 0, error: null });

  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t("app.title");
  }, [language]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      forgetToken();
      setIdentity(null);
      setSignInReason(t("signin.expired"));
    });
  }, []);

  const refreshNotifications = useCallback(() => {
    if (!currentIdentity()) return;
    get<{ notifications: Notification[]; unread: number }>("/notifications").then(
      (r) => setNotifications({ list: r.notifications, unread: r.unread, error: null }),
      (error) => setNotifications((n) => ({ ...n, error })),
    );
  }, []);

  const refreshOptions = useCallback(() => {
    get<CampaignOptions>("/campaign-options").then(
      (o) => {
        setOptions(o);
        setOptionsError(null);
      },
      setOptionsError,
    );
  }, []);

  // Signed in: the console speaks the user's language (`GET /me`), whatever the browser's.
  const loadMe = useCallback(() => {
    setMeError(null);
    get<Me>("/me").then(
      (m) => {
        setMe(m);
        if (m.language === "en" || m.language === "fr") {
          setLang(m.language);
          setLanguage(m.language);
        }
      },
      setMeError,
    );
  }, []);

  useEffect(() => {
    if (!identity) {
      setMe(null);
      return;
    }
    loadMe();
  }, [identity?.token]);

  useEffect(() => {
    if (!identity) return;
    refreshOptions();
    refreshNotifications();
    const timer = setInterval(refreshNotifications, 30_000);
    return () => clearInterval(timer);
  }, [identity?.token]);

  useEffect(() => {
    if (identity) refreshNotifications();
  }, [route.path.join("/")]);

  const changeLanguage = (next: Lang) => {
    setLang(next);
    setLanguage(next);
    setLanguageError(null);
    // Signed in, the switch is the user's setting: kept by the API for the next sign-in and for
    // the notifications and e-mails they receive.
    // One change at a time, in order, so that the last choice is the one kept.
    if (currentIdentity() && me) {
      languageQueue.current = languageQueue.current.then(() => request<Me>("PUT", "/me", { language: next }).then((r) => setMe(r.data), setLanguageError));
    }
  };

  const languageSwitch = (
    <div class="language-switch">
      <label for="ui-language">{t("nav.language")}</label>
      <select id="ui-language" value={language} onChange={(e) => changeLanguage((e.target as HTMLSelectElement).value as Lang)}>
        <option value="en" lang="en">
          English
        </option>
        <option value="fr" lang="fr">
          Français
        </option>
      </select>
    </div>
  );

  if (!identity) {
    return (
      <div class="shell">
        <header class="topbar">
          <span class="brand">Relais</span>
          {languageSwitch}
        </header>
        <main id="main">
          <SignIn
            reason={signInReason}
            onSignedIn={(i) => {
              setSignInReason("");
              setIdentity(i);
            }}
          />
        </main>
      </div>
    );
  }

  const [section, id, sub] = route.path;
  const current = section === "approvals" ? "approvals" : section;
  const link = (href: string, name: string, label: string) => (
    <a href={href} aria-current={current === name ? "page" : undefined}>
      {label}
    </a>
  );

  let page;
  if (section === "campaigns" && id === "new") {
    page = options ? <Wizard options={options} identity={identity} campaignId={null} resume={route.query.get("resume") === "1"} navigate={navigate} onChanged={refreshNotifications} /> : optionsError ? <ErrorMessage error={optionsError} onRetry={refreshOptions} /> : <Loading />;
  } else if (section === "campaigns" && id && sub === "edit") {
    page = options ? <Wizard options={options} identity={identity} campaignId={id} resume={false} navigate={navigate} onChanged={refreshNotifications} /> : optionsError ? <ErrorMessage error={optionsError} onRetry={refreshOptions} /> : <Loading />;
  } else if (section === "campaigns" && id) {
    page = <CampaignView identity={identity} options={options} id={id} query={route.query} onChanged={refreshNotifications} />;
  } else if (section === "approvals") {
    page = <CampaignList identity={identity} options={options} query={route.query} navigate={navigate} onChanged={refreshNotifications} onlyPending />;
  } else if (section === "reservations" && id) {
    page = <ReservationPage id={id} query={route.query} identity={identity} />;
  } else if (section === "reservations") {
    page = <ReservationLookup options={options} navigate={navigate} />;
  } else if (section === "settings") {
    page = (
      <SettingsPage
        me={me}
        error={meError}
        onRetry={loadMe}
        onSaved={(m) => {
          setMe(m);
          setLang(m.language);
          setLanguage(m.language);
        }}
      />
    );
  } else if (section === "notifications") {
    page = <NotificationsPage notifications={notifications.list} error={notifications.error} onChanged={refreshNotifications} />;
  } else {
    page = <CampaignList identity={identity} options={options} query={route.query} navigate={navigate} onChanged={refreshNotifications} />;
  }

  return (
    <div class="shell">
      <a class="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>
        {t("app.skip")}
      </a>
      <header class="topbar">
        <span class="brand">Relais</span>
        <nav aria-label={t("nav.main")} class="mainnav">
          {link("#/campaigns", "campaigns", t("nav.campaigns"))}
          {canApprove(identity.role) ? link("#/approvals", "approvals", t("nav.approvals")) : null}
          {link("#/reservations", "reservations", t("nav.reservations"))}
          <a href="#/notifications" aria-current={current === "notifications" ? "page" : undefined} data-testid="notifications-link">
            {t("nav.notifications")}
            {notifications.unread ? (
              <span class="count" aria-label={t("nav.unread", { n: notifications.unread })}>
                {notifications.unread}
              </span>
            ) : null}
          </a>
          {link("#/settings", "settings", t("nav.settings"))}
        </nav>
        <div class="who">
          <span class="small">{t("nav.signed_in_as", { sub: identity.sub, role: tk(`role.${identity.role}`) })}</span>
          {languageSwitch}
          <button
            type="button"
            class="link"
            onClick={() => {
              signOut();
              setIdentity(null);
              setSignInReason("");
            }}
          >
            {t("nav.signout")}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {languageError ? <ErrorMessage error={languageError} /> : null}
        {page}
      </main>
    </div>
  );
}
