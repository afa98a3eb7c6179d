//! Shared by the tests and the examples of relais-bench: the moto server, Lambda-shaped calls
//! (API Gateway v2 events through the HTTP router, SQS batches),
//! and the exactly-once harness.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod harness;
pub mod lambda;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../..")
}

/// The moto server's URL: `RELAIS_MOTO_URL`, else one started through `infra/moto.sh` (which
/// honours `RELAIS_MOTO_URL_FILE`). `None`, loudly, when python is missing outside CI.
pub fn moto_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("RELAIS_MOTO_URL")
            && !url.is_empty()
        {
            return Some(url);
        }
        let out = Command::new("bash").arg(repo_root().join("infra/moto.sh")).arg("start").output().unwrap();
        if out.status.success() {
            return Some(String::from_utf8_lossy(&out.stdout).trim().lines().last().unwrap_or("").to_string());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(3) && std::env::var("CI").as_deref() != Ok("true") {
            eprintln!("\n!!!!!!!! SKIPPING moto tests: no python3 ({stderr}) !!!!!!!!\n");
            return None;
        }
        panic!("infra/moto.sh start failed: {stderr}");
    })
    .clone()
}

pub async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    relais_aws::sdk_loader()
        .endpoint_url(url)
        .region(aws_config::Region::new("eu-west-1"))
        .test_credentials()
        .load()
        .await
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{prefix}-{}-{:x}-{}", std::process::id(), nanos % 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
