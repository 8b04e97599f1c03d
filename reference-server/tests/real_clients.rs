//! Real clients against the server. tus: tus-js-client (npm) and tuspy
//! (PyPI) upload a file in chunks, stop half way, resume through HEAD and
//! finish; GET must return the same bytes. S3: boto3 and the AWS CLI
//! (PyPI), signing with SigV4 against a server with keys, run multipart
//! uploads of at least 3 parts, and the downloaded object must match.
//!
//! The clients are installed on first use into
//! `target/tmp/real-clients/` and reused afterwards. A missing `node`,
//! `npm` or `python3` fails the test, naming the tool; set
//! UPSPEC_SKIP_REAL_CLIENTS=1 to turn that into a loud warning instead.

mod common;
#[path = "s3/client.rs"]
mod s3_client;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Client, pattern};

/// Pinned so a run today and a run next year test the same clients.
const TUS_JS_CLIENT: &str = "tus-js-client@4.3.1";
const TUSPY: &str = "tuspy==1.1.0";
/// boto3 and the AWS CLI share one botocore, so they are pinned together.
const S3_CLIENTS: [&str; 2] = ["boto3==1.44.5", "awscli==1.46.3"];
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

/// boto3 and the AWS CLI, installed once into the cache.
fn s3_clients() -> PathBuf {
    let target = cache().join("python-s3");
    if !(target.join("boto3").is_dir() && target.join("awscli").is_dir()) {
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
                .args(S3_CLIENTS),
            "pip install boto3 awscli",
        );
    }
    target
}

/// A server with S3 on, keys configured, the default 5 MiB minimum part.
async fn s3_server() -> s3_client::S3 {
    s3_client::start().await
}

/// A Python command with the clients on its path and the test key in its
/// environment (and nothing from the user's AWS configuration).
fn python(target: &Path, config: &Path) -> Command {
    let mut command = Command::new("python3");
    command
        .env("PYTHONPATH", target)
        .env("AWS_ACCESS_KEY_ID", s3_client::AK)
        .env("AWS_SECRET_ACCESS_KEY", s3_client::SK)
        .env("AWS_DEFAULT_REGION", s3_client::REGION)
        .env("AWS_CONFIG_FILE", config)
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            config.with_extension("credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_multipart_with_signing() {
    if !require(&["python3"]) {
        return;
    }
    let target = s3_clients();
    let s3 = s3_server().await;
    let endpoint = format!("http://{}", s3.client.addr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.bin");
    let data = pattern(12 * 1024 * 1024 + 321, 7);
    std::fs::write(&file, &data).unwrap();
    let mut command = python(&target, &dir.path().join("config"));
    command
        .arg(scripts().join("boto3_s3.py"))
        .arg(&endpoint)
        .arg(&file);
    let output = tokio::task::block_in_place(|| run(&mut command, "boto3"));
    let report: serde_json::Value = serde_json::from_str(output.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("boto3 printed no JSON report ({e}): {output}"));
    assert!(
        report["etag"].as_str().unwrap().ends_with("-3\""),
        "{report}"
    );
    // What the server holds, read back by this test's own signed client.
    let key = report["key"].as_str().unwrap();
    let res = s3.get("boto3-bucket", key).await;
    assert_eq!(res.status, 200);
    assert!(res.body == data, "the stored object differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_multipart_with_signing() {
    if !require(&["python3"]) {
        return;
    }
    let target = s3_clients();
    let s3 = s3_server().await;
    let endpoint = format!("http://{}", s3.client.addr);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    // 5 MiB parts: 16 MiB and a bit make 4 of them.
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n",
    )
    .unwrap();
    let file = dir.path().join("payload.bin");
    let data = pattern(16 * 1024 * 1024 + 999, 8);
    std::fs::write(&file, &data).unwrap();
    let back = dir.path().join("downloaded.bin");
    let aws = |args: &[&std::ffi::OsStr]| {
        let mut command = python(&target, &config);
        command
            .args(["-m", "awscli", "--endpoint-url", &endpoint])
            .args(args);
        tokio::task::block_in_place(|| run(&mut command, "aws"))
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    aws(&[&os("s3"), &os("mb"), &os("s3://cli-bucket")]);
    aws(&[
        &os("s3"),
        &os("cp"),
        &os("--no-progress"),
        file.as_os_str(),
        &os("s3://cli-bucket/dir/big file.bin"),
    ]);
    let head = aws(&[
        &os("s3api"),
        &os("head-object"),
        &os("--bucket"),
        &os("cli-bucket"),
        &os("--key"),
        &os("dir/big file.bin"),
    ]);
    let head: serde_json::Value = serde_json::from_str(&head).unwrap();
    assert!(head["ETag"].as_str().unwrap().ends_with("-4\""), "{head}");
    aws(&[
        &os("s3"),
        &os("cp"),
        &os("--no-progress"),
        &os("s3://cli-bucket/dir/big file.bin"),
        back.as_os_str(),
    ]);
    assert!(
        std::fs::read(&back).unwrap() == data,
        "aws s3 cp downloaded different bytes"
    );
    let res = s3.get("cli-bucket", "dir/big file.bin").await;
    assert!(res.body == data, "the stored object differs");
}
