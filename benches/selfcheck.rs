//! The self-check's wall time and peak RSS (`cargo bench -p upspec --bench
//! selfcheck`): `upspec run -q` without a target, every bundled suite against
//! the embedded reference server, as a user runs it, beside the same run one
//! scenario at a time (`--test-threads 1`), measured in the same process so
//! the ratios hold on whatever machine this runs. Then `upspec faults` once,
//! which runs the same scenarios once per fault.
//!
//! Each measurement is a fresh child, so its peak RSS (`ru_maxrss` from
//! `wait4`) is its own; the figures are the best of UPSPEC_BENCH_RUNS runs (3).
//! The goal (issue 16): under 3 s and under 64 MiB on two cores.

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const GOAL_SECONDS: f64 = 3.0;
const GOAL_RSS_MIB: f64 = 64.0;

/// One run of the binary: how long it took, its peak RSS, how it ended.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    rss_kib: u64,
    status: ExitStatus,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too,
    // with no such flag: then only check that we start.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("UPSPEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let default = best_of(runs, &["run", "-q"]);
    let serial = best_of(runs, &["run", "-q", "--test-threads", "1"]);
    println!(
        "upspec run without a target (the self-check), best of {runs} runs each, {} CPUs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<34} {:>9} {:>12} {:>10} {:>10}",
        "", "seconds", "peak RSS", "time vs", "RSS vs"
    );
    report("--test-threads 1 (the baseline)", serial, serial);
    report("default concurrency", default, serial);
    let seconds = default.wall.as_secs_f64();
    let mib = default.rss_kib as f64 / 1024.0;
    println!(
        "goal: under {GOAL_SECONDS} s and {GOAL_RSS_MIB} MiB: {} s {}, {mib:.1} MiB {}",
        format_args!("{seconds:.2}"),
        verdict(seconds < GOAL_SECONDS),
        verdict(mib < GOAL_RSS_MIB),
    );
    let faults = measure(&["faults"]);
    println!(
        "upspec faults (the same scenarios once per fault): {:.2} s, peak RSS {:.1} MiB{}",
        faults.wall.as_secs_f64(),
        faults.rss_kib as f64 / 1024.0,
        if faults.status.success() {
            ""
        } else {
            " (FAILED)"
        }
    );
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn report(label: &str, run: Run, baseline: Run) {
    println!(
        "{label:<34} {:>9.2} {:>8.1} MiB {:>9.2}x {:>9.2}x{}",
        run.wall.as_secs_f64(),
        run.rss_kib as f64 / 1024.0,
        run.wall.as_secs_f64() / baseline.wall.as_secs_f64(),
        run.rss_kib as f64 / baseline.rss_kib as f64,
        if run.status.success() {
            ""
        } else {
            "  (the run FAILED)"
        }
    );
}

/// The fastest of `runs` runs, with the highest peak RSS among them.
fn best_of(runs: usize, args: &[&str]) -> Run {
    let all: Vec<Run> = (0..runs.max(1)).map(|_| measure(args)).collect();
    let fastest = *all
        .iter()
        .min_by_key(|run| run.wall)
        .expect("at least one run");
    Run {
        rss_kib: all.iter().map(|run| run.rss_kib).max().unwrap_or(0),
        status: all
            .iter()
            .find(|run| !run.status.success())
            .map_or(fastest.status, |run| run.status),
        ..fastest
    }
}

/// Runs `upspec ARGS`, output discarded, and waits for it with `wait4`, whose
/// resource usage carries the child's own peak RSS.
fn measure(args: &[&str]) -> Run {
    let started = Instant::now();
    #[allow(
        clippy::zombie_processes,
        reason = "wait4 below reaps it, which Child::wait cannot do with the rusage"
    )]
    let child = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the upspec binary starts");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are
    // valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 on upspec failed");
    let wall = started.elapsed();
    Run {
        wall,
        rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
    }
}
