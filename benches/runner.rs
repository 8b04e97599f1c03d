//! The runner's own overhead (`cargo bench -p upspec --bench runner`, issue 16
//! goal 4): `upspec run --specs DIR --target URL`, as users run it, with a
//! generated scenario that sends 1,000 small requests, and one that sends one
//! 1 GiB body (`fill`, generated and streamed), against a trivial HTTP server
//! this bench starts; beside a bare hyper client (one keep-alive connection,
//! the same requests, a static 64 KiB buffer for the big body) in the same
//! run. Both clients are fresh child processes timed from spawn to exit, so
//! both pay for starting; a one-request scenario shows upspec's fixed cost
//! (loading the scenario, discovery, the report). Peak RSS is the child's own
//! (`ru_maxrss` from `wait4`): flat means the 1 GiB run stays near the small one.
//! A last row runs hyper on tokio's multi-thread runtime, which upspec uses,
//! to tell the runtime's cost (cross-thread wake-ups per request) from the engine's.
//!
//! Rounds are interleaved; figures are the fastest of UPSPEC_BENCH_RUNS (3),
//! with the spread (slowest / fastest - 1). UPSPEC_BENCH_BYTES sets the big
//! body (1 GiB).

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::pin::Pin;
use std::process::{Command, ExitStatus, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

const MIB: u64 = 1024 * 1024;
const ROLE: &str = "UPSPEC_BENCH_ROLE";
/// For the hyper child: `multi` for tokio's multi-thread runtime.
const HYPER_THREADS: &str = "UPSPEC_BENCH_HYPER_THREADS";
const SMALL: usize = 1000;
const CHUNK: usize = 64 * 1024;
static FILL: [u8; CHUNK] = [b'A'; CHUNK];

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("server") => return server(),
        Ok("hyper") => return hyper_client(),
        _ => {}
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too,
    // with no such flag: then only check that we start.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = env_or("UPSPEC_BENCH_RUNS", 3).max(1);
    let total: u64 = env_or("UPSPEC_BENCH_BYTES", 1024 * MIB);

    let mut server = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, "server")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut addr = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut addr)
        .unwrap();
    let target = format!("http://{}/", addr.trim());

    let specs = tempfile::tempdir().unwrap();
    let scenario = |dir: &str, steps: &str| {
        let path = specs.path().join(dir);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(
            path.join("bench.yaml"),
            format!(
                "scenarios:\n  - id: bench\n    title: runner overhead\n    level: MUST\n    timeout: 1h\n    steps:\n{steps}"
            ),
        )
        .unwrap();
        path
    };
    let one = scenario(
        "one",
        "      - request: { method: PUT, url: \"{{target}}\", body: x }\n        expect: { status: 204 }\n",
    );
    let small = scenario(
        "small",
        &format!(
            "      - repeat:\n          times: {SMALL}\n          steps:\n            - request: {{ method: PUT, url: \"{{{{target}}}}\", body: x }}\n              expect: {{ status: 204 }}\n"
        ),
    );
    let large = scenario(
        "large",
        &format!(
            "      - request:\n          method: PUT\n          url: \"{{{{target}}}}\"\n          body: {{ fill: A, size: {total} }}\n          timeout: 1h\n        expect: {{ status: 204 }}\n"
        ),
    );

    type Case<'a> = (&'a str, Box<dyn Fn() -> Run + 'a>);
    let cases: Vec<Case> = vec![
        (
            "hyper, 1 request",
            Box::new(|| hyper_run(&target, "small", 1, false)),
        ),
        ("upspec, 1 request", Box::new(|| upspec_run(&one, &target))),
        (
            "hyper, 1,000 small PUTs",
            Box::new(|| hyper_run(&target, "small", SMALL as u64, false)),
        ),
        (
            "upspec, 1,000 small PUTs",
            Box::new(|| upspec_run(&small, &target)),
        ),
        (
            "hyper, one big PUT",
            Box::new(|| hyper_run(&target, "large", total, false)),
        ),
        (
            "upspec, one big PUT (fill body)",
            Box::new(|| upspec_run(&large, &target)),
        ),
        (
            "hyper multi-thread rt, 1,000 small",
            Box::new(|| hyper_run(&target, "small", SMALL as u64, true)),
        ),
    ];
    let mut all: Vec<Vec<Run>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for ((_, measure), runs) in cases.iter().zip(&mut all) {
            runs.push(measure());
        }
    }
    let _ = server.kill();
    let _ = server.wait();

    println!(
        "runner overhead against a trivial HTTP server, big body {} MiB, best of {runs} interleaved rounds, {} CPUs",
        total / MIB,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<34} {:>8} {:>7} {:>10} {:>9}",
        "", "seconds", "spread", "peak RSS", "vs hyper"
    );
    let best: Vec<Run> = all
        .iter()
        .map(|runs| {
            let fastest = *runs.iter().min_by_key(|r| r.wall).unwrap();
            Run {
                rss_kib: runs.iter().map(|r| r.rss_kib).max().unwrap(),
                ok: runs.iter().all(|r| r.ok),
                ..fastest
            }
        })
        .collect();
    for (i, ((name, _), runs)) in cases.iter().zip(&all).enumerate() {
        let run = best[i];
        // Each upspec row against the hyper row before it; the last row
        // (hyper on upspec's runtime) against hyper's small PUTs.
        let hyper = best[if i == 6 { 2 } else { i & !1 }];
        let worst = runs.iter().map(|r| r.wall).max().unwrap();
        println!(
            "{name:<34} {:>8.3} {:>6.0}% {:>6.1} MiB {:>9.2}{}",
            run.wall.as_secs_f64(),
            (worst.as_secs_f64() / run.wall.as_secs_f64() - 1.0) * 100.0,
            run.rss_kib as f64 / 1024.0,
            hyper.wall.as_secs_f64() / run.wall.as_secs_f64(),
            if run.ok { "" } else { "  (FAILED)" }
        );
    }
    let ratio = |i: usize| best[i - 1].wall.as_secs_f64() / best[i].wall.as_secs_f64();
    let verdict = |r: f64| if r >= 0.9 { "met" } else { "NOT met" };
    println!(
        "goal: 1,000 small requests at ≥ 0.9 of hyper: {:.2} {}",
        ratio(3),
        verdict(ratio(3))
    );
    println!(
        "goal: one {} MiB body at ≥ 0.9 of hyper: {:.2} {}",
        total / MIB,
        ratio(5),
        verdict(ratio(5))
    );
    println!(
        "  hyper on tokio's multi-thread runtime (as upspec runs) takes {:.3} s for the 1,000 small PUTs: upspec runs at {:.2} of that",
        best[6].wall.as_secs_f64(),
        best[6].wall.as_secs_f64() / best[3].wall.as_secs_f64()
    );
    let fixed = best[1].wall.as_secs_f64() - best[0].wall.as_secs_f64();
    println!(
        "  upspec's fixed cost (1 request, beyond hyper's): {:.0} ms; per small request beyond it: {:.0} us upspec, {:.0} us hyper",
        fixed * 1e3,
        (best[3].wall.as_secs_f64() - best[1].wall.as_secs_f64()) * 1e6 / (SMALL - 1) as f64,
        (best[2].wall.as_secs_f64() - best[0].wall.as_secs_f64()) * 1e6 / (SMALL - 1) as f64,
    );
    let flat = best[5].rss_kib as f64 / best[3].rss_kib as f64;
    println!(
        "goal: upspec RSS flat for the big body: {:.1} MiB vs {:.1} MiB for 1,000 small requests ({flat:.2}x) {}",
        best[5].rss_kib as f64 / 1024.0,
        best[3].rss_kib as f64 / 1024.0,
        if flat < 1.5 { "met" } else { "NOT met" }
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    rss_kib: u64,
    ok: bool,
}

fn upspec_run(specs: &Path, target: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upspec"));
    command
        .args(["run", "-q", "--specs"])
        .arg(specs)
        .args(["--target", target]);
    measure(command)
}

fn hyper_run(target: &str, mode: &str, amount: u64, multi: bool) -> Run {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env(ROLE, "hyper")
        .args([target, mode, &amount.to_string()]);
    if multi {
        command.env(HYPER_THREADS, "multi");
    }
    measure(command)
}

/// Runs the child, output discarded, and waits for it with `wait4`, whose
/// resource usage carries the child's own peak RSS.
fn measure(mut command: Command) -> Run {
    let started = Instant::now();
    #[allow(
        clippy::zombie_processes,
        reason = "wait4 below reaps it, which Child::wait cannot do with the rusage"
    )]
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the client starts");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are
    // valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let wall = started.elapsed();
    let status: ExitStatus = std::os::unix::process::ExitStatusExt::from_raw(status);
    Run {
        wall,
        rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        ok: status.success(),
    }
}

/// A body of `left` bytes of `A`, in 64 KiB frames of one static buffer.
struct Fill {
    left: u64,
}

impl Body for Fill {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(CHUNK as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&FILL[..n])))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

/// The baseline: `hyper` on one keep-alive connection, `amount` small PUTs
/// (`small`) or one PUT of `amount` bytes (`large`).
fn hyper_client() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (target, mode, amount) = (&args[0], &args[1], args[2].parse::<u64>().unwrap());
    // The multi-thread runtime, as upspec runs, when asked.
    let runtime = if std::env::var(HYPER_THREADS).as_deref() == Ok("multi") {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build()
    .unwrap();
    runtime.block_on(async {
        let uri: http::Uri = target.parse().unwrap();
        let authority = uri.authority().unwrap().to_string();
        let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let (count, size) = match mode.as_str() {
            "small" => (amount, 1),
            _ => (1, amount),
        };
        for _ in 0..count {
            sender.ready().await.unwrap();
            let request = http::Request::put(uri.clone())
                .header(http::header::HOST, &authority)
                .header(http::header::CONTENT_LENGTH, size)
                .body(Fill { left: size })
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), 204);
            http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap();
        }
    });
}

/// The trivial server: a thread per connection; reads each request's body
/// (Content-Length or chunked) and discards it, answers 204.
fn server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap());
    std::io::stdout().flush().unwrap();
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        std::thread::spawn(move || {
            let _ = conn.set_nodelay(true);
            let _ = serve(BufReader::with_capacity(MIB as usize, conn));
        });
    }
}

fn serve(mut reader: BufReader<std::net::TcpStream>) -> std::io::Result<()> {
    loop {
        let mut head = String::new();
        loop {
            let before = head.len();
            if reader.read_line(&mut head)? == 0 {
                return Ok(());
            }
            if head[before..] == *"\r\n" {
                break;
            }
        }
        let field = |name: &str| {
            head.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
        };
        if field("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size)?;
                let size = u64::from_str_radix(size.trim().split(';').next().unwrap(), 16)
                    .map_err(std::io::Error::other)?;
                if size == 0 {
                    // Trailers, then the empty line.
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    break;
                }
                discard(&mut reader, size)?;
                discard(&mut reader, 2)?;
            }
        } else {
            let length = field("content-length").map_or(0, |v| v.parse().unwrap_or(0));
            discard(&mut reader, length)?;
        }
        let answer = if head.starts_with("OPTIONS") {
            "HTTP/1.1 204 No Content\r\nTus-Resumable: 1.0.0\r\nTus-Version: 1.0.0\r\n\r\n"
        } else {
            "HTTP/1.1 204 No Content\r\n\r\n"
        };
        reader.get_mut().write_all(answer.as_bytes())?;
    }
}

fn discard(reader: &mut BufReader<std::net::TcpStream>, mut left: u64) -> std::io::Result<()> {
    while left > 0 {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let n = buf.len().min(left as usize);
        reader.consume(n);
        left -= n as u64;
    }
    Ok(())
}
