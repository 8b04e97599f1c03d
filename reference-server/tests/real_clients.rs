//! Real tus clients against the server: tus-js-client (npm) and tuspy
//! (PyPI) upload a file in chunks, stop half way, resume through HEAD and
//! finish; GET must return the same bytes.
//!
//! The clients are installed on first use into
//! `target/tmp/real-clients/` and reused afterwards. A missing `node`,
//! `npm` or `python3` fails the test, naming the tool; set
//! UPSPEC_SKIP_REAL_CLIENTS=1 to turn that into a loud warning instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Client, pattern};

/// Pinned so a run today and a run next year test the same clients.
const TUS_JS_CLIENT: &str = "tus-js-client@4.3.1";
const TUSPY: &str = "tuspy==1.1.0";
const PAYLOAD: usize = 1024 * 1024 + 123;

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-clients")
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_clients")
}

/// Whether every tool is on PATH; if not, fails, or warns loudly and
/// returns false when UPSPEC_SKIP_REAL_CLIENTS is set.
fn require(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| Command::new(tool).arg("--version").output().is_err())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "real-client test cannot run: {} not found on PATH",
        missing.join(", ")
    );
    if std::env::var_os("UPSPEC_SKIP_REAL_CLIENTS").is_some() {
        eprintln!(
            "\n!!!!!!!!!! WARNING !!!!!!!!!!\n{message}\n(UPSPEC_SKIP_REAL_CLIENTS is set, so this is not a failure)\n"
        );
        return false;
    }
    panic!("{message} (set UPSPEC_SKIP_REAL_CLIENTS=1 to skip with a warning)");
}

fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs a client script, then checks what it reports and what the server holds.
async fn check_client(client: Client, base_url: &str, command: &mut Command, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.bin");
    let data = pattern(PAYLOAD, 42);
    std::fs::write(&file, &data).unwrap();
    let output = tokio::task::block_in_place(|| run(command.arg(base_url).arg(&file), what));
    let report: serde_json::Value = serde_json::from_str(output.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{what} printed no JSON report ({e}): {output}"));
    let url = report["url"].as_str().expect("url").to_owned();
    let aborted_at = report["abortedAt"].as_u64().expect("abortedAt") as usize;
    let resumed_from = report["resumedFrom"].as_u64().expect("resumedFrom") as usize;
    assert!(
        (PAYLOAD / 2..PAYLOAD).contains(&aborted_at),
        "{what} stopped at {aborted_at}"
    );
    assert_eq!(
        resumed_from, aborted_at,
        "{what} resumed from the offset HEAD reported"
    );
    let path = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| &rest[rest.find('/').unwrap()..]);
    assert_eq!(client.offset(path).await as usize, PAYLOAD);
    assert!(
        client.bytes(path).await == data,
        "{what}: GET returned different bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_resumes_and_finishes() {
    if !require(&["node", "npm"]) {
        return;
    }
    let prefix = cache().join("node");
    if !prefix
        .join("node_modules/tus-js-client/package.json")
        .exists()
    {
        std::fs::create_dir_all(&prefix).unwrap();
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(TUS_JS_CLIENT),
            "npm install tus-js-client",
        );
    }
    // Node resolves imports next to the script, so run a copy inside the cache.
    let script = prefix.join("tus-js-client.mjs");
    std::fs::copy(scripts().join("tus-js-client.mjs"), &script).unwrap();
    let srv = common::start().await;
    check_client(
        *srv,
        &srv.server.base_url(),
        Command::new("node").arg(&script),
        "tus-js-client",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_resumes_and_finishes() {
    if !require(&["python3"]) {
        return;
    }
    let target = cache().join("python");
    if !target.join("tusclient").is_dir() {
        run(
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--target",
                ])
                .arg(&target)
                .arg(TUSPY),
            "pip install tuspy",
        );
    }
    let srv = common::start().await;
    let mut command = Command::new("python3");
    command
        .env("PYTHONPATH", &target)
        .arg(scripts().join("tuspy_client.py"));
    check_client(*srv, &srv.server.base_url(), &mut command, "tuspy").await;
}
