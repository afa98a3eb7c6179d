//! Test support: a moto server (started through `infra/moto.sh` unless `RELAIS_MOTO_URL` names
//! one) and SDK configuration pointing at it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use aws_config::{Region, SdkConfig};

fn repo_root() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../..")
}

/// The moto server's URL, or `None` (with a loud message) when python is unavailable outside
/// CI. In CI (`CI=true`) a missing server fails the test.
pub fn moto_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("RELAIS_MOTO_URL")
            && !url.is_empty()
        {
            return Some(url);
        }
        let script = repo_root().join("infra/moto.sh");
        let out = Command::new("bash").arg(&script).arg("start").output();
        match out {
            Ok(out) if out.status.success() => {
                let url = String::from_utf8_lossy(&out.stdout).trim().lines().last().unwrap_or("").to_string();
                assert!(url.starts_with("http://"), "infra/moto.sh printed no URL: {url:?}");
                Some(url)
            }
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let no_python = out.status.code() == Some(3);
                if no_python && std::env::var("CI").as_deref() != Ok("true") {
                    eprintln!(
                        "\n!!!!!!!! SKIPPING moto tests: no python3 on this machine ({stderr}) !!!!!!!!\n\
                         !!!!!!!! install python3 and run infra/moto.sh start to run them        !!!!!!!!\n"
                    );
                    None
                } else {
                    panic!("infra/moto.sh start failed ({}): {stderr}", out.status);
                }
            }
            Err(e) => panic!("cannot run infra/moto.sh: {e}"),
        }
    })
    .clone()
}

pub async fn sdk_config(url: &str) -> SdkConfig {
    relais_aws::sdk_loader().endpoint_url(url).region(Region::new("eu-west-1")).test_credentials().load().await
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{prefix}-{}-{:x}-{}", std::process::id(), nanos % 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

/// Skip the test (return) when moto is not available outside CI.
#[macro_export]
macro_rules! moto_or_skip {
    () => {
        match support::moto_url() {
            Some(url) => url,
            None => return,
        }
    };
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
