// Who is signed in: a bearer token kept in sessionStorage (gone when the tab closes). Locally
// the token comes from `relais token`; in AWS from the OpenID Connect hosted login (Cognito),
// through the authorization-code flow with PKCE. The console reads the token's claims only to
// shape the page (role, name); the API checks every request itself.

import { config, type OidcConfig } from "./config";

const TOKEN_KEY = "relais.token";
const PKCE_KEY = "relais.pkce";

export type Role = "viewer" | "editor" | "approver" | "admin";

export interface Identity {
  token: string;
  sub: string;
  accountId: string;
  role: Role;
  exp: number | null;
}

const ROLES: Role[] = ["viewer", "editor", "approver", "admin"];

function base64UrlDecode(part: string): string {
  const padded = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The claims of a JWT, or null when it is not one (the signature is the API's business). */
export function decodeToken(token: string): Identity | null {
  const parts = token.trim().split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1]));
    // The claims the API reads (functions/http/src/auth.rs): `sub`, `account_id`, `role`.
    const role = claims.role;
    const accountId = claims.account_id;
    if (typeof claims.sub !== "string" || typeof accountId !== "string" || !ROLES.includes(role)) return null;
    return { token: token.trim(), sub: claims.sub, accountId, role, exp: typeof claims.exp === "number" ? claims.exp : null };
  } catch {
    return null;
  }
}

export function isExpired(identity: Identity, now = Date.now()): boolean {
  return identity.exp !== null && identity.exp * 1000 <= now;
}

export function currentIdentity(): Identity | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const identity = decodeToken(token);
  if (!identity || isExpired(identity)) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return identity;
}

export function signIn(token: string): Identity | null {
  const identity = decodeToken(token);
  if (!identity || isExpired(identity)) return null;
  sessionStorage.setItem(TOKEN_KEY, identity.token);
  return identity;
}

/** Forget the token without leaving the page. */
export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Forget the token and, with a hosted login, end that session too. */
export function signOut(): void {
  forgetToken();
  if (config.oidc?.logout_url) {
    const url = new URL(config.oidc.logout_url);
    url.searchParams.set("client_id", config.oidc.client_id);
    url.searchParams.set("logout_uri", redirectUri(config.oidc));
    location.assign(url.toString());
  }
}

export const canEdit = (role: Role) => role !== "viewer";
export const canApprove = (role: Role) => role === "approver" || role === "admin";

// ---- OpenID Connect: authorization code + PKCE (RFC 7636)

function randomString(bytes = 32): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return base64Url(data);
}

function base64Url(data: Uint8Array): string {
  return btoa(String.fromCharCode(...data)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function redirectUri(oidc: OidcConfig): string {
  return oidc.redirect_uri ?? `${location.origin}${location.pathname}`;
}

export async function startHostedLogin(): Promise<void> {
  const oidc = config.oidc;
  if (!oidc) return;
  const verifier = randomString(48);
  const state = randomString(16);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oidc.authorize_url);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", oidc.client_id);
  url.searchParams.set("redirect_uri", redirectUri(oidc));
  url.searchParams.set("scope", oidc.scope ?? "openid");
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", base64Url(digest));
  url.searchParams.set("code_challenge_method", "S256");
  location.assign(url.toString());
}

/** On the way back from the hosted login: trade the code for tokens. Returns an error message or null. */
export async function finishHostedLogin(): Promise<string | null> {
  const oidc = config.oidc;
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!oidc || (!code && !error)) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", `${location.pathname}${location.hash}`);
  if (error) return `${error}: ${params.get("error_description") ?? ""}`.trim();
  if (!saved || saved.state !== params.get("state")) return "state_mismatch";
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    client_id: oidc.client_id,
    code: code!,
    redirect_uri: redirectUri(oidc),
    code_verifier: saved.verifier,
  });
  const response = await fetch(oidc.token_url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  if (!response.ok) return `token_exchange_failed: HTTP ${response.status}`;
  const tokens = await response.json();
  const token = tokens[oidc.token ?? "access_token"];
  if (typeof token !== "string" || !signIn(token)) return "token_without_relais_claims";
  return null;
}
