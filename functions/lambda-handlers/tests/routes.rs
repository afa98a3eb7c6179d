//! Each HTTP function serves exactly the routes template.yaml maps to it: every route of its
//! `HttpApi` events is routed (never the router's "no such route"), and the routes of the other
//! HTTP functions are not (their handlers are not linked into its bootstrap).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use axum::body::Body;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_http::CallbackSettings;
use relais_lambda::LambdaApp;
use tower::ServiceExt;

/// (template resource, method, path) of every `HttpApi` event in template.yaml.
fn template_routes() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(support::repo_root().join("template.yaml")).unwrap();
    let field = |line: &str, name: &str| {
        let rest = &line[line.find(&format!("{name}: "))? + name.len() + 2..];
        // Quoted in the one-line form (`{ApiId: ..., Method: GET, Path: "/", ...}`), bare at
        // the end of its own line otherwise (a bare path holds braces: `{property_id}`).
        let value = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next()?,
            None => rest.split(',').next()?.trim(),
        };
        Some(value.to_string())
    };
    let mut routes = Vec::new();
    let (mut resource, mut method) = (String::new(), None::<String>);
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if indent == 2 && line.trim_end().ends_with(':') && !line.trim_start().starts_with('#') {
            resource = line.trim().trim_end_matches(':').to_string();
        }
        if let Some(m) = field(line, "Method") {
            method = Some(m);
        }
        if let Some(path) = field(line, "Path")
            && let Some(m) = method.take()
        {
            routes.push((resource.clone(), m, path));
        }
    }
    routes
}

/// A concrete request path for a template path (`{id}` -> `x1`, `{action}` -> `submit`).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{action}" => "submit",
            "{file}" => "app.js",
            "{pms}" => "canonical",
            s if s.starts_with('{') => "x1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether the router has a route for the request: anything but its "no such route" answer.
async fn routed(router: &axum::Router, method: &str, path: &str) -> bool {
    let method = if method == "ANY" { "GET" } else { method };
    let request = axum::http::Request::builder().method(method).uri(path).body(Body::from("{}")).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    !String::from_utf8_lossy(&bytes).contains("no such route")
}

#[tokio::test]
async fn each_http_function_serves_the_routes_the_template_maps_to_it_and_no_other() {
    let clock = Arc::new(VirtualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()));
    let runtime = LocalRuntime::new(LocalParts::in_memory(clock));
    let lambda = LambdaApp::new(runtime.app.clone(), CallbackSettings::default());
    let routers = [
        ("PmsWebhookFunction", relais_lambda::pms_webhook_router(&lambda)),
        ("CampaignsApiFunction", relais_lambda::campaigns_api_router(&lambda)),
        ("DeliveryStatusFunction", relais_lambda::delivery_status_router(&lambda)),
    ];
    let routes = template_routes();
    for (function, _) in &routers {
        assert!(routes.iter().any(|(r, _, _)| r == function), "no HttpApi event of {function} in template.yaml");
    }
    let mut checked = 0;
    for (resource, method, path) in &routes {
        let path = concrete(path);
        for (function, router) in &routers {
            let served = routed(router, method, &path).await;
            if function == resource {
                assert!(served, "{function} does not route {method} {path}, which template.yaml maps to it");
            } else {
                assert!(!served, "{function} routes {method} {path}, which template.yaml maps to {resource}");
            }
            checked += 1;
        }
    }
    assert!(routes.len() >= 20, "only {} HttpApi routes read from template.yaml", routes.len());
    assert_eq!(checked, routes.len() * routers.len());
}
