//! The AWS SDK's HTTP transport: reqwest, the client that already calls Meta and Twilio, on rustls
//! and ring with Mozilla's root certificates compiled in (`webpki-roots`).
//!
//! Why not the SDK's own client: it loads the system trust store (on Lambda's image one bundle,
//! on Debian the bundle and then every file of `/etc/ssl/certs` again) and parses it once per
//! SDK client at init, which was most of a bootstrap's start-up (docs/performance.md, "Lambda start-up").
//! Compiled-in roots cost nothing to load, every outgoing call of a binary trusts the same roots,
//! and one HTTP stack is linked instead of two.
//!
//! The calls Relais makes (DynamoDB, SQS, EventBridge, SSM, SES) all send and receive small
//! in-memory bodies, so a request is sent whole and its answer read whole.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

/// The SDK client: one reqwest client per distinct (connect, read) timeout pair the SDK asks
/// for, built on first use and then shared (its connection pool with it).
pub fn sdk_http_client() -> SharedHttpClient {
    SharedHttpClient::new(ReqwestClient::default())
}

type Timeouts = (Option<Duration>, Option<Duration>);

#[derive(Debug, Default)]
struct ReqwestClient {
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

impl HttpClient for ReqwestClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = connectors.iter().find(|(t, _)| *t == timeouts) {
            return connector.clone();
        }
        let connector = SharedHttpConnector::new(ReqwestConnector::new(timeouts));
        connectors.push((timeouts, connector.clone()));
        connector
    }
}

#[derive(Debug, Clone)]
struct ReqwestConnector {
    client: Arc<Result<reqwest::Client, String>>,
}

impl ReqwestConnector {
    fn new((connect, read): Timeouts) -> ReqwestConnector {
        let mut builder = reqwest::Client::builder();
        if let Some(connect) = connect {
            builder = builder.connect_timeout(connect);
        }
        if let Some(read) = read {
            builder = builder.read_timeout(read);
        }
        ReqwestConnector { client: Arc::new(builder.build().map_err(|e| e.to_string())) }
    }
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = match self.client.as_ref() {
            Ok(client) => client.clone(),
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.clone().into()))),
        };
        let request = match to_reqwest(request) {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(e)),
        };
        HttpConnectorFuture::new(async move {
            let response = client.execute(request).await.map_err(connector_error)?;
            let mut answer = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await.map_err(connector_error)?;
            let answer = answer.body(SdkBody::from(body)).map_err(|e| ConnectorError::other(e.into(), None))?;
            HttpResponse::try_from(answer).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

fn to_reqwest(request: HttpRequest) -> Result<reqwest::Request, ConnectorError> {
    let request = request.try_into_http1x().map_err(|e| ConnectorError::user(e.into()))?;
    let (parts, body) = request.into_parts();
    let bytes = body
        .bytes()
        .ok_or_else(|| ConnectorError::user("a streaming request body cannot be sent by this transport".into()))?
        .to_vec();
    let request = http::Request::from_parts(parts, reqwest::Body::from(bytes));
    reqwest::Request::try_from(request).map_err(|e| ConnectorError::user(e.into()))
}

/// How the SDK's retry strategy sees a failed call: timeouts and connection failures (refused,
/// reset, closed mid-answer) are transient and retried; anything else is not.
fn connector_error(e: reqwest::Error) -> ConnectorError {
    if e.is_timeout() {
        ConnectorError::timeout(e.into())
    } else if e.is_connect() || e.is_request() || e.is_body() {
        ConnectorError::io(e.into())
    } else {
        ConnectorError::other(e.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A one-shot HTTP server on loopback: answers the first request with `answer` and hands
    /// back what it received.
    fn serve_once(answer: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut received = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = stream.read(&mut chunk).expect("read");
                received.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&received).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            stream.write_all(answer.as_bytes()).expect("write");
            String::from_utf8_lossy(&received).to_string()
        });
        (url, handle)
    }

    fn connector() -> ReqwestConnector {
        ReqwestConnector::new((Some(Duration::from_secs(2)), Some(Duration::from_secs(2))))
    }

    #[tokio::test]
    async fn a_request_is_sent_whole_and_its_answer_read_whole() {
        let (url, server) = serve_once(
            "HTTP/1.1 400 Bad Request\r\nx-amzn-requestid: r-1\r\ncontent-length: 11\r\n\r\n{\"a\":\"b\"}\r\n",
        );
        let request = http::Request::builder()
            .method("POST")
            .uri(format!("{url}/path?q=1"))
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .body(SdkBody::from("{\"TableName\":\"t\"}"))
            .expect("request");
        let request = HttpRequest::try_from(request).expect("smithy request");
        let response = connector().call(request).await.expect("an answer");
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.headers().get("x-amzn-requestid"), Some("r-1"));
        assert_eq!(response.body().bytes(), Some(&b"{\"a\":\"b\"}\r\n"[..]));
        let received = server.join().expect("server");
        assert!(received.starts_with("POST /path?q=1 HTTP/1.1\r\n"), "{received}");
        assert!(received.contains("x-amz-target: DynamoDB_20120810.GetItem"), "{received}");
        assert!(received.ends_with("{\"TableName\":\"t\"}"), "{received}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transient_io_error() {
        let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let request =
            http::Request::builder().uri(format!("http://127.0.0.1:{port}/")).body(SdkBody::empty()).expect("request");
        let error = connector().call(HttpRequest::try_from(request).expect("smithy")).await.expect_err("refused");
        assert!(error.is_io(), "{error:?}");
    }

    #[tokio::test]
    async fn an_answer_that_stops_coming_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let _held = std::thread::spawn(move || {
            let accepted = listener.accept();
            std::thread::sleep(Duration::from_secs(3));
            drop(accepted);
        });
        let connector = ReqwestConnector::new((Some(Duration::from_secs(2)), Some(Duration::from_millis(200))));
        let request = http::Request::builder().uri(url).body(SdkBody::empty()).expect("request");
        let error = connector.call(HttpRequest::try_from(request).expect("smithy")).await.expect_err("timeout");
        assert!(error.is_timeout(), "{error:?}");
    }
}
