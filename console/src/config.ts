// Deployment settings. Served by `relais serve`, the console talks to the API of the same origin
// and needs none (it answers `{}` at console/config.json). Deployed as static files (S3 +
// CloudFront), `console/config.json` names the API and the OpenID Connect provider (Amazon
// Cognito hosted login):
//   {"api_base": "https://api.example.com",
//    "oidc": {"authorize_url": "https://auth.example.com/oauth2/authorize",
//             "token_url": "https://auth.example.com/oauth2/token",
//             "client_id": "...", "scope": "openid email", "token": "access_token",
//             "logout_url": "https://auth.example.com/logout"}}

export interface OidcConfig {
  authorize_url: string;
  token_url: string;
  client_id: string;
  scope?: string;
  /** Which token the API Gateway JWT authorizer checks: `access_token` (default) or `id_token`. */
  token?: "access_token" | "id_token";
  /** Defaults to this page's address without query or fragment. */
  redirect_uri?: string;
  logout_url?: string;
  /** Shown on the sign-in button. */
  provider_name?: string;
}

export interface ConsoleConfig {
  api_base: string;
  oidc: OidcConfig | null;
}

export const config: ConsoleConfig = { api_base: "", oidc: null };

export async function loadConfig(): Promise<void> {
  try {
    const response = await fetch("console/config.json", { cache: "no-cache" });
    if (!response.ok || !(response.headers.get("content-type") ?? "").includes("json")) return;
    const doc = await response.json();
    if (typeof doc?.api_base === "string") config.api_base = doc.api_base.replace(/\/+$/, "");
    if (doc?.oidc && typeof doc.oidc.authorize_url === "string" && typeof doc.oidc.client_id === "string") {
      config.oidc = doc.oidc as OidcConfig;
    }
  } catch {
    // No config.json: same-origin API, token sign-in only.
  }
}
