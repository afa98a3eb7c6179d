//! The operator console (`console/`): its built static files, embedded in the binary at compile
//! time and served at `/` and `/console/*`, so that `relais serve` starts the console with no
//! npm step. `console/build.sh` produces `console/dist/` (committed) from the TypeScript
//! sources; `dist/source-hash` fingerprints the sources it was built from, and the test below
//! fails when a source changed without a rebuild.
//!
//! The console is a client of the public API only (same origin here; in AWS the same files can
//! be deployed as static assets, see console/README.md). Hash routes (`/#/campaigns`) keep every
//! API path free.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX_HTML: &[u8] = include_bytes!("../../../console/dist/index.html");
const APP_JS: &[u8] = include_bytes!("../../../console/dist/console/app.js");
const APP_CSS: &[u8] = include_bytes!("../../../console/dist/console/app.css");
/// SHA-256 of the console sources the embedded build came from (written by the build).
pub const SOURCE_HASH: &str = include_str!("../../../console/dist/source-hash");

/// The page may only load its own script and style and talk to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The console's deployment settings when it is served with the API on the same origin: none
/// for token sign-in (`relais serve`); in AWS the hosted login of [`config_json`]. A static
/// deployment ships its own `console/config.json` (console/README.md).
pub const NO_CONFIG_JSON: &[u8] = b"{}\n";

/// Settings naming the console's OpenID Connect hosted login (Amazon Cognito) in AWS.
pub const ENV_AUTH_DOMAIN: &str = "RELAIS_CONSOLE_AUTH_DOMAIN";
pub const ENV_CLIENT_ID: &str = "RELAIS_CONSOLE_CLIENT_ID";

/// `console/config.json` for a console served by the API: `{}` without a hosted login, else the
/// authorize / token / logout URLs of `RELAIS_CONSOLE_AUTH_DOMAIN` (e.g.
/// `https://<prefix>.auth.<region>.amazoncognito.com`) for the app client
/// `RELAIS_CONSOLE_CLIENT_ID`. Both or neither.
pub fn config_json(lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<u8>, String> {
    let get = |name: &str| lookup(name).map(|v| v.trim().trim_end_matches('/').to_string()).filter(|v| !v.is_empty());
    match (get(ENV_AUTH_DOMAIN), get(ENV_CLIENT_ID)) {
        (None, None) => Ok(NO_CONFIG_JSON.to_vec()),
        (Some(domain), Some(client_id)) => {
            if !domain.starts_with("https://") {
                return Err(format!("{ENV_AUTH_DOMAIN} must be an https:// URL"));
            }
            let doc = serde_json::json!({
                "api_base": "",
                "oidc": {
                    "authorize_url": format!("{domain}/oauth2/authorize"),
                    "token_url": format!("{domain}/oauth2/token"),
                    "logout_url": format!("{domain}/logout"),
                    "client_id": client_id,
                    "scope": "openid email",
                    "token": "access_token",
                },
            });
            let mut bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
            bytes.push(b'\n');
            Ok(bytes)
        }
        (Some(_), None) => Err(format!("{ENV_CLIENT_ID} is required with {ENV_AUTH_DOMAIN}")),
        (None, Some(_)) => Err(format!("{ENV_AUTH_DOMAIN} is required with {ENV_CLIENT_ID}")),
    }
}

/// `GET /`, `GET /console/app.js`, `GET /console/app.css`, `GET /console/config.json` (HEAD too).
pub fn routes<S: Clone + Send + Sync + 'static>(config: std::sync::Arc<[u8]>) -> Router<S> {
    Router::new()
        .route("/", get(|h: HeaderMap| async move { asset(&h, INDEX_HTML, "text/html; charset=utf-8", true) }))
        .route(
            "/console/app.js",
            get(|h: HeaderMap| async move { asset(&h, APP_JS, "text/javascript; charset=utf-8", false) }),
        )
        .route(
            "/console/app.css",
            get(|h: HeaderMap| async move { asset(&h, APP_CSS, "text/css; charset=utf-8", false) }),
        )
        .route(
            "/console/config.json",
            get(move || {
                let config = config.clone();
                async move {
                    // The deployment's settings, not the build's: no ETag, always revalidated.
                    let mut response = config.to_vec().into_response();
                    let h = response.headers_mut();
                    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                    response
                }
            }),
        )
}

fn etag() -> String {
    format!("\"console-{}\"", SOURCE_HASH.trim().get(..16).unwrap_or("0"))
}

/// Fixed file names, so no long-lived caching: browsers revalidate with the ETag (304).
fn asset(headers: &HeaderMap, body: &'static [u8], content_type: &'static str, is_page: bool) -> Response {
    let tag = etag();
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, value);
    }
    if is_page {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use sha2::{Digest, Sha256};

    use super::*;

    /// The inputs of the build, as console/scripts/source-hash.mjs lists them.
    const INPUTS: &[&str] =
        &["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src"];

    fn console_dir() -> PathBuf {
        PathBuf::from(manifest_dir()).join("../../console")
    }

    fn walk(root: &Path, path: &Path, out: &mut Vec<String>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                walk(root, &entry.unwrap().path(), out);
            }
        } else {
            let relative = path.strip_prefix(root).unwrap();
            out.push(
                relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }

    #[test]
    fn embedded_build_is_current_with_the_sources() {
        let root = console_dir();
        let mut files = Vec::new();
        for input in INPUTS {
            walk(&root, &root.join(input), &mut files);
        }
        // Node sorts UTF-16 code units; for these ASCII paths that is byte order.
        files.sort();
        let mut hash = Sha256::new();
        for file in &files {
            hash.update(file.as_bytes());
            hash.update([0]);
            hash.update(std::fs::read(root.join(file)).unwrap());
            hash.update([0]);
        }
        let digest = hex::encode(hash.finalize());
        assert_eq!(
            digest,
            SOURCE_HASH.trim(),
            "console/dist is older than the console sources: run console/build.sh and commit console/dist"
        );
        let on_disk = std::fs::read_to_string(root.join("dist/source-hash")).unwrap();
        assert_eq!(on_disk.trim(), SOURCE_HASH.trim(), "rebuild the relais binary: it embeds an older console");
    }

    #[test]
    fn the_page_loads_the_embedded_files() {
        let page = std::str::from_utf8(INDEX_HTML).unwrap();
        assert!(page.contains("src=\"./console/app.js\""), "{page}");
        assert!(page.contains("href=\"./console/app.css\""), "{page}");
        let built: Vec<String> = std::fs::read_dir(console_dir().join("dist/console"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut built = built;
        built.sort();
        assert_eq!(built, ["app.css", "app.js"], "the build makes files console.rs does not serve");
    }

    #[tokio::test]
    async fn serves_the_page_and_revalidates() {
        use tower::ServiceExt;
        let app: Router = routes(std::sync::Arc::from(NO_CONFIG_JSON));
        let response =
            app.clone().oneshot(axum::http::Request::get("/").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(response.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let tag = response.headers()[header::ETAG].clone();
        let again = app
            .oneshot(
                axum::http::Request::get("/console/app.js")
                    .header(header::IF_NONE_MATCH, tag)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn config_names_the_hosted_login_of_the_deployment() {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let settings = |domain: Option<&str>, client: Option<&str>| {
            let (domain, client) = (domain.map(str::to_string), client.map(str::to_string));
            config_json(move |name| match name {
                ENV_AUTH_DOMAIN => domain.clone(),
                ENV_CLIENT_ID => client.clone(),
                _ => None,
            })
        };
        assert_eq!(settings(None, None).unwrap(), NO_CONFIG_JSON);
        assert!(settings(Some("https://login.example.com"), None).unwrap_err().contains(ENV_CLIENT_ID));
        assert!(settings(None, Some("abc")).unwrap_err().contains(ENV_AUTH_DOMAIN));
        assert!(settings(Some("http://login.example.com"), Some("abc")).unwrap_err().contains("https"));
        let config = settings(Some("https://login.example.com/"), Some("client-1")).unwrap();
        let app: Router = routes(std::sync::Arc::from(config));
        let response = app
            .oneshot(axum::http::Request::get("/console/config.json").body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["oidc"]["authorize_url"], "https://login.example.com/oauth2/authorize");
        assert_eq!(doc["oidc"]["token_url"], "https://login.example.com/oauth2/token");
        assert_eq!(doc["oidc"]["client_id"], "client-1");
    }

    /// The package's directory as the test runner gives it when the test runs (a warm target dir
    /// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
    fn manifest_dir() -> String {
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
    }
}
