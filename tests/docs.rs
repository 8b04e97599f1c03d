//! Every `upspec …` command line shown in README.md and docs/*.md runs, so the docs
//! cannot drift from the binary: clap accepts it, and it exits as the docs say (0).
//!
//! Commands come from `sh`, `bash`, `console` and plain code blocks (continued
//! lines joined, `$ ` prompts, comments and `NAME=value` prefixes handled), and
//! from the CI jobs' `yaml` blocks. Each runs in a scratch directory per doc, in
//! document order, against a reference server this test starts on 127.0.0.1 (tus
//! and S3, keyless, in the region the command names): addresses after `--target` and `--s3-endpoint` (and the `URL`
//! placeholder) point at it, and `--listen`/`--s3-listen` become port 0. Files a
//! command names that the doc shows as a block headed `# NAME` (a config file, a
//! baseline) are written where the doc shows them; `my-specs/` (the user's own
//! scenarios) holds one scenario; the buckets the docs name exist.
//!
//! A `run` is checked twice: with `--list` added, exactly as written (its filters
//! select something), then for real narrowed by `--exact` to one quick scenario per
//! protocol, so that the doc's every command fits in well under a minute. `serve`
//! must start and print its address, and is then stopped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use upspec::protocol::s3::settings::DEFAULT_REGION;
use upspec_reference_server::{RunningServer, StoreConfig, serve};

/// Commands no test can run, with the reason.
const NOT_RUN: &[(&str, &str)] = &[(
    "upspec faults",
    "runs the whole suite once for each of the reference server's faults: minutes",
)];

/// The scenarios a narrowed `run` executes: quick, and one per protocol, so that a
/// command for either kind of target runs something.
const QUICK: [&str; 3] = [
    "tus::core::options::answers-without-tus-resumable",
    "ietf::limits::options-upload-limit",
    "s3::multipart::create::create-answers-upload-id",
];

/// Buckets the docs' commands and config file work in (`--s3-bucket`).
const BUCKETS: [&str; 2] = ["existing-bucket", "conformance"];

/// The user's own scenarios (`--specs ./my-specs`).
const MY_SPEC: &str = r#"
scenarios:
  - id: options-answers
    title: OPTIONS answers with Tus-Version
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
        expect: { status: [200, 204], headers: { Tus-Version: { contains: 1.0.0 } } }
"#;

/// A command line as a doc shows it.
#[derive(Debug)]
struct DocCommand {
    /// `file:line`, for messages.
    at: String,
    env: Vec<(String, String)>,
    /// After `upspec`.
    args: Vec<String>,
}

impl DocCommand {
    fn text(&self) -> String {
        std::iter::once("upspec")
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a doc holds, in order: commands, and files shown as `# NAME` blocks.
#[derive(Debug)]
enum Item {
    Command(DocCommand),
    File { name: String, text: String },
}

struct CodeBlock {
    info: String,
    /// The line number of the block's first line.
    first: usize,
    lines: Vec<String>,
}

fn code_blocks(text: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<CodeBlock> = None;
    for (index, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (fence, open.take()) {
            (Some(_), Some(block)) => blocks.push(block),
            (Some(info), None) => {
                open = Some(CodeBlock {
                    info: info.trim().to_owned(),
                    first: index + 2,
                    lines: Vec::new(),
                })
            }
            (None, Some(mut block)) => {
                block.lines.push(line.to_owned());
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Splits a shell line into words: quotes, backslashes, and a `#` that starts a
/// word begins a comment.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '#' if word.is_none() => break,
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// An `upspec` command in a shell line, if it is one: `NAME=value` prefixes are its
/// environment, and a `> FILE` redirection is dropped (stdout is captured).
fn command(at: String, line: &str) -> Option<DocCommand> {
    let mut words = shell_words(line.trim().trim_start_matches("$ ")).into_iter();
    let mut env = Vec::new();
    let program = loop {
        let word = words.next()?;
        match word.split_once('=') {
            Some((name, value)) if !name.is_empty() && !name.starts_with('-') => {
                env.push((name.to_owned(), value.to_owned()));
            }
            _ => break word,
        }
    };
    if program != "upspec" {
        return None;
    }
    let mut args = Vec::new();
    while let Some(word) = words.next() {
        if word == ">" {
            words.next();
        } else {
            args.push(word);
        }
    }
    Some(DocCommand { at, env, args })
}

fn items(file: &str, text: &str) -> Vec<Item> {
    let mut items = Vec::new();
    for block in code_blocks(text) {
        let at = |offset: usize| format!("{file}:{}", block.first + offset);
        match block.info.as_str() {
            "" | "sh" | "bash" | "console" => {
                let mut joined = String::new();
                let mut start = 0;
                for (offset, line) in block.lines.iter().enumerate() {
                    if joined.is_empty() {
                        start = offset;
                    }
                    match line.trim_end().strip_suffix('\\') {
                        Some(head) => joined.push_str(head),
                        None => {
                            joined.push_str(line);
                            items.extend(command(at(start), &joined).map(Item::Command));
                            joined.clear();
                        }
                    }
                }
            }
            "yaml" => {
                if let Some(name) = block.lines.first().and_then(|l| l.strip_prefix("# ")) {
                    items.push(Item::File {
                        name: name.trim().to_owned(),
                        text: block.lines.join("\n") + "\n",
                    });
                }
                // CI jobs: `- upspec …`, `run: upspec …`, or a folded `run: >`.
                let mut lines = block.lines.iter().enumerate().peekable();
                while let Some((offset, line)) = lines.next() {
                    let trimmed = line.trim_start();
                    let indent = line.len() - trimmed.len();
                    let shell = if trimmed == "run: >" {
                        let mut folded = Vec::new();
                        while let Some((_, next)) = lines.peek() {
                            if next.len() - next.trim_start().len() <= indent {
                                break;
                            }
                            folded.push(next.trim());
                            lines.next();
                        }
                        folded.join(" ")
                    } else {
                        let shell = trimmed.strip_prefix("- ").or(trimmed.strip_prefix("run: "));
                        shell.unwrap_or_default().to_owned()
                    };
                    items.extend(command(at(offset), &shell).map(Item::Command));
                }
            }
            _ => {}
        }
    }
    items
}

fn doc_files() -> Vec<String> {
    let mut files = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir("docs")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The reference servers the commands are pointed at: one per S3 region named
/// (`--s3-region garage` is for a server that speaks that region).
struct Servers {
    runtime: tokio::runtime::Runtime,
    by_region: BTreeMap<String, (RunningServer, Target)>,
}

impl Servers {
    fn target(&mut self, region: &str) -> &Target {
        if !self.by_region.contains_key(region) {
            let mut config = upspec::embedded::target().config;
            config.store = StoreConfig::Memory;
            let s3 = config.s3.as_mut().expect("the embedded target serves S3");
            s3.credentials.clear();
            s3.region = region.to_owned();
            let server = self.runtime.block_on(serve(config)).unwrap();
            let target = Target {
                tus: server.base_url(),
                s3: server.s3_endpoint().unwrap(),
            };
            for bucket in BUCKETS {
                target.create_bucket(bucket);
            }
            self.by_region.insert(region.to_owned(), (server, target));
        }
        &self.by_region[region].1
    }

    fn shut_down(self) {
        for (server, _) in self.by_region.into_values() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The reference server the commands are pointed at.
struct Target {
    tus: String,
    s3: String,
}

impl Target {
    /// The argument, with an address pointed at this server.
    fn rewrite(&self, flag: Option<&str>, arg: &str) -> String {
        match flag {
            Some("--target") => self.tus.clone(),
            Some("--s3-endpoint") => self.s3.clone(),
            Some("--listen" | "--s3-listen") => "127.0.0.1:0".into(),
            _ => {
                assert!(
                    !arg.contains("127.0.0.1:") && arg != "URL",
                    "`{arg}`: an address this test does not know how to point at its server"
                );
                arg.to_owned()
            }
        }
    }

    /// A file's text with its `target:` and `endpoint:` pointed at this server.
    fn rewrite_file(&self, text: &str) -> String {
        text.lines()
            .map(|line| {
                let key = line.trim_start().split(':').next().unwrap_or_default();
                let indent = &line[..line.len() - line.trim_start().len()];
                match key {
                    "target" => format!("{indent}target: {}", self.tus),
                    "endpoint" => format!("{indent}endpoint: {}", self.s3),
                    _ => line.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    fn create_bucket(&self, bucket: &str) {
        let host = self.s3.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        write!(
            stream,
            "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "PUT /{bucket}: {answer}"
        );
    }
}

fn upspec(dir: &Path, env: &[(String, String)], args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upspec"));
    command.current_dir(dir).args(args).env("NO_COLOR", "1");
    for name in [
        "UPSPEC_TARGET",
        "UPSPEC_SPECS",
        "UPSPEC_CONFIG",
        "UPSPEC_SEED",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "GITHUB_ACTIONS",
    ] {
        command.env_remove(name);
    }
    // `-H 'Authorization: Bearer {{token}}'` reads it, as the README says.
    command.env("UPSPEC_VAR_token", "doc-token");
    command.envs(env.iter().map(|(name, value)| (name, value)));
    command
}

/// Runs to the end, or fails the test after a minute.
fn finish(at: &str, mut command: Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match wait.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            // Our own child, by its id.
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("{at}: still running after 60 s");
        }
    }
}

fn check_exit(at: &str, shown: &str, output: &Output, expected: i32) {
    assert_eq!(
        output.status.code(),
        Some(expected),
        "{at}: `{shown}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// Starts `serve`, waits for the line with its address, and stops it.
fn check_serve(at: &str, mut command: Command) {
    let mut child: Child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line, read) = mpsc::channel();
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.send(text).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let listening = loop {
        match read.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(text) if text.starts_with("listening on http://127.0.0.1:") => break Some(text),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        listening.is_some(),
        "{at}: serve printed no address\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_command_line_in_the_docs_runs() {
    let mut servers = Servers {
        runtime: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
        by_region: BTreeMap::new(),
    };

    let not_run: BTreeMap<&str, &str> = NOT_RUN.iter().copied().collect();
    // Each distinct command line once, with where it is shown first.
    let mut ran = BTreeMap::<String, String>::new();
    let mut skipped = Vec::new();
    for file in doc_files() {
        let items = items(&file, &std::fs::read_to_string(&file).unwrap());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("my-specs")).unwrap();
        std::fs::write(dir.path().join("my-specs/mine.yaml"), MY_SPEC).unwrap();
        let named: Vec<&String> = items
            .iter()
            .filter_map(|item| match item {
                Item::Command(command) => Some(&command.args),
                Item::File { .. } => None,
            })
            .flatten()
            .collect();
        for item in &items {
            let command = match item {
                Item::File { name, text } => {
                    if named.contains(&name) {
                        let target = servers.target(DEFAULT_REGION);
                        std::fs::write(dir.path().join(name), target.rewrite_file(text)).unwrap();
                    }
                    continue;
                }
                Item::Command(command) => command,
            };
            let shown = command.text();
            if ran.contains_key(&shown) {
                continue;
            }
            if not_run.contains_key(shown.as_str()) {
                skipped.push(shown);
                continue;
            }
            let region = command
                .args
                .iter()
                .position(|a| a == "--s3-region")
                .map_or(DEFAULT_REGION, |at| command.args[at + 1].as_str());
            let target = servers.target(region);
            let args: Vec<String> = command
                .args
                .iter()
                .enumerate()
                .map(|(index, arg)| {
                    let flag = index.checked_sub(1).map(|i| command.args[i].as_str());
                    target.rewrite(flag, arg)
                })
                .collect();
            let at = &command.at;
            let started = Instant::now();
            match args.first().map(String::as_str) {
                Some("serve") => {
                    let mut args = args.clone();
                    if !args.iter().any(|a| a == "--listen") {
                        args.extend(["--listen".into(), "127.0.0.1:0".into()]);
                    }
                    check_serve(at, upspec(dir.path(), &command.env, &args));
                }
                Some("run") if !args.iter().any(|a| a == "--list") => {
                    let mut listed = args.clone();
                    listed.push("--list".into());
                    let output = finish(at, upspec(dir.path(), &command.env, &listed));
                    check_exit(at, &format!("{shown} --list"), &output, 0);
                    assert!(
                        !output.stdout.is_empty(),
                        "{at}: `{shown}` selects no scenario"
                    );
                    let mut narrowed = args.clone();
                    let own_specs = args.iter().any(|a| a == "--specs" || a == "--config");
                    if !own_specs {
                        if !args.iter().any(|a| a == "--exact") {
                            narrowed.push("--exact".into());
                        }
                        narrowed.extend(QUICK.map(String::from));
                    }
                    let output = finish(at, upspec(dir.path(), &command.env, &narrowed));
                    check_exit(at, &shown, &output, 0);
                }
                _ => {
                    let output = finish(at, upspec(dir.path(), &command.env, &args));
                    check_exit(at, &shown, &output, 0);
                    assert!(!output.stdout.is_empty(), "{at}: `{shown}` printed nothing");
                }
            }
            eprintln!("{:>6.2?} {at} {shown}", started.elapsed());
            ran.insert(shown, at.clone());
        }
    }
    servers.shut_down();

    for (command, reason) in NOT_RUN {
        assert!(
            skipped.iter().any(|s| s == command),
            "`{command}` is allowed not to run ({reason}) but no doc shows it any more"
        );
    }
    for must in ["upspec run --list", "upspec coverage", "upspec man"] {
        assert!(ran.contains_key(must), "`{must}` not found in the docs");
    }
    assert!(
        ran.len() >= 30,
        "only {} command lines found in the docs: {ran:#?}",
        ran.len()
    );
}

/// The rows of the table under the `Exit codes` heading of a doc: code and text.
fn exit_code_rows(file: &str) -> Vec<(u8, String)> {
    let text = std::fs::read_to_string(file).unwrap();
    let section = text
        .split_once("Exit codes\n")
        .unwrap_or_else(|| panic!("{file} has no `Exit codes` section"))
        .1;
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|row| {
            let (code, rest) = row.trim_start_matches('|').split_once('|')?;
            Some((code.trim().parse().ok()?, rest.to_owned()))
        })
        .collect()
}

/// The README's and docs/ci.md's tables list every exit code the binary has, and
/// each says what makes it: an S3 bucket that cannot be created is a 3, and
/// `--no-tests` turns a run in which nothing ran into a 0.
#[test]
fn the_exit_code_tables_list_every_exit_code() {
    use upspec::cli::Exit;
    let all = [
        Exit::Success,
        Exit::Failures,
        Exit::Invalid,
        Exit::Unreachable,
        Exit::NothingDecided,
    ];
    // A new exit code fails to compile here until it is listed above (and in the docs).
    for exit in all {
        match exit {
            Exit::Success
            | Exit::Failures
            | Exit::Invalid
            | Exit::Unreachable
            | Exit::NothingDecided => {}
        }
    }
    let codes: Vec<u8> = all.map(|exit| exit as u8).to_vec();
    for file in ["README.md", "docs/ci.md"] {
        let rows = exit_code_rows(file);
        let listed: Vec<u8> = rows.iter().map(|(code, _)| *code).collect();
        assert_eq!(listed, codes, "{file}");
        let row = |code: u8| &rows.iter().find(|(c, _)| *c == code).unwrap().1;
        for (code, words) in [
            (2, &["scenario file", "config file", "baseline", "flag"][..]),
            (3, &["reach", "S3 bucket", "--max-connection-errors"][..]),
            (4, &["matched", "skipped", "verdict", "--no-tests"][..]),
        ] {
            for word in words {
                assert!(
                    row(code).contains(word),
                    "{file}: exit code {code} omits `{word}`"
                );
            }
        }
    }
}
