//! Upload throughput and memory of the reference server against a raw
//! loopback TCP sink, in one run (`cargo bench -p upspec-reference-server`).
//!
//! Each measurement uses a fresh child process so its peak RSS (VmHWM) is
//! its own: the sink reads N bytes and discards them; the server receives
//! N bytes in one PATCH, then N bytes in 1 MiB PATCHes on one keep-alive
//! connection. The server's data dir is on tmpfs (/dev/shm, when present:
//! the server's own cost, no disk) and in the system temp dir (the disk),
//! there with fsync on (the default) and off. A second sink that writes
//! what it reads to a tmpfs file shows what storing alone costs here.
//! Results are printed as ratios
//! to the sink, best of 3 runs each. N is 1 GiB, or UPSPEC_BENCH_BYTES;
//! the run count is UPSPEC_BENCH_RUNS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;
const ROLE: &str = "UPSPEC_BENCH_ROLE";
/// For the sink child: a file to write the received bytes to.
const SINK_FILE: &str = "UPSPEC_BENCH_SINK_FILE";

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("sink") {
        return sink();
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too,
    // with no such flag: then only check that we start.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let total: u64 = std::env::var("UPSPEC_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024 * MIB);
    let runs: usize = std::env::var("UPSPEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let buf = vec![0x5au8; MIB as usize];

    let sink = best_of(runs, || measure_sink(total, &buf, None));
    println!(
        "payload {} MiB over 127.0.0.1, best of {runs} runs each",
        total / MIB
    );
    println!(
        "{:<38} {:>9} {:>10} {:>10} {:>12}",
        "", "seconds", "MiB/s", "vs sink", "peak RSS"
    );
    report("raw TCP sink", total, sink, sink);
    let tmpfs = Path::new("/dev/shm");
    if tmpfs.is_dir() {
        // What merely storing the bytes costs here, for scale.
        let dir = tempfile::tempdir_in(tmpfs).unwrap();
        let file = dir.path().join("sink");
        let run = best_of(runs, || measure_sink(total, &buf, Some(&file)));
        report("raw TCP sink writing to tmpfs", total, run, sink);
    }
    let disk = std::env::temp_dir();
    let mut setups = vec![
        ("disk", disk.as_path(), true),
        ("disk", disk.as_path(), false),
    ];
    if tmpfs.is_dir() {
        setups.insert(0, ("tmpfs", tmpfs, false));
    }
    for (place, dir, fsync) in setups {
        for chunk in [total, MIB] {
            let name = format!(
                "{}, {place}, fsync {}",
                if chunk == total {
                    "one PATCH"
                } else {
                    "1 MiB PATCHes"
                },
                if fsync { "on" } else { "off" }
            );
            report(
                &name,
                total,
                measure_server(total, chunk, dir, fsync, &buf),
                sink,
            );
        }
    }
}

/// The fastest of `runs` runs (this machine's loopback and page cache are
/// noisy), with the largest peak RSS seen.
fn best_of(runs: usize, mut measure: impl FnMut() -> Run) -> Run {
    let all: Vec<Run> = (0..runs.max(1)).map(|_| measure()).collect();
    Run {
        elapsed: all.iter().map(|r| r.elapsed).min().unwrap(),
        peak_rss_kib: all.iter().map(|r| r.peak_rss_kib).max().unwrap(),
    }
}

#[derive(Clone, Copy)]
struct Run {
    elapsed: Duration,
    peak_rss_kib: u64,
}

fn report(name: &str, total: u64, run: Run, sink: Run) {
    let rate = total as f64 / MIB as f64 / run.elapsed.as_secs_f64();
    let ratio = sink.elapsed.as_secs_f64() / run.elapsed.as_secs_f64();
    println!(
        "{name:<38} {:>9.2} {rate:>10.0} {ratio:>10.2} {:>8.1} MiB ({:.1}x sink)",
        run.elapsed.as_secs_f64(),
        run.peak_rss_kib as f64 / 1024.0,
        run.peak_rss_kib as f64 / sink.peak_rss_kib.max(1) as f64
    );
}

/// The sink child: accept one connection, read until EOF, acknowledge
/// with the byte count and its own peak RSS.
fn sink() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap());
    let (mut conn, _) = listener.accept().unwrap();
    let mut file = std::env::var_os(SINK_FILE).map(|path| std::fs::File::create(path).unwrap());
    // The server reads into a buffer of up to 1 MiB; read in the same size.
    let mut buf = vec![0u8; MIB as usize];
    let mut received: u64 = 0;
    loop {
        match conn.read(&mut buf).unwrap() {
            0 => break,
            n => {
                received += n as u64;
                if let Some(file) = &mut file {
                    file.write_all(&buf[..n]).unwrap();
                }
            }
        }
    }
    writeln!(conn, "{received} {}", peak_rss_kib(std::process::id())).unwrap();
}

/// The sink, discarding the bytes or (with `file`) writing them to a file.
fn measure_sink(total: u64, buf: &[u8], file: Option<&Path>) -> Run {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(ROLE, "sink");
    if let Some(file) = file {
        command.env(SINK_FILE, file);
    }
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let addr = first_line(&mut child);
    let mut conn = TcpStream::connect(addr.trim()).unwrap();
    let started = Instant::now();
    send(&mut conn, total, buf);
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut ack = String::new();
    BufReader::new(&conn).read_line(&mut ack).unwrap();
    let elapsed = started.elapsed();
    child.wait().unwrap();
    let mut fields = ack.split_whitespace().map(|f| f.parse::<u64>().unwrap());
    assert_eq!(fields.next(), Some(total), "sink received everything");
    Run {
        elapsed,
        peak_rss_kib: fields.next().unwrap(),
    }
}

fn measure_server(total: u64, chunk: u64, parent: &Path, fsync: bool, buf: &[u8]) -> Run {
    let dir = tempfile::tempdir_in(parent).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_upspec-reference-server"));
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        // UPSPEC_BENCH_BYTES may ask for more than the default maximum.
        .args(["--max-size", &total.to_string()]);
    if !fsync {
        command.arg("--no-fsync");
    }
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let banner = first_line(&mut child);
    let base = banner.trim().strip_prefix("listening on http://").unwrap();
    let (addr, _) = base.split_once('/').unwrap();
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_nodelay(true).unwrap();
    let location = {
        let head = format!(
            "POST /files/ HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\nUpload-Length: {total}\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).unwrap();
        let response = read_head(&mut conn);
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
        header(&response, "location")
    };
    let started = Instant::now();
    let mut offset = 0;
    while offset < total {
        let len = chunk.min(total - offset);
        let head = format!(
            "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\nContent-Length: {len}\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).unwrap();
        send(&mut conn, len, buf);
        let response = read_head(&mut conn);
        assert!(response.starts_with("HTTP/1.1 204"), "{response}");
        offset += len;
        assert_eq!(header(&response, "upload-offset"), offset.to_string());
    }
    let elapsed = started.elapsed();
    let peak_rss_kib = peak_rss_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    Run {
        elapsed,
        peak_rss_kib,
    }
}

fn send(conn: &mut TcpStream, mut len: u64, buf: &[u8]) {
    while len > 0 {
        let n = len.min(buf.len() as u64) as usize;
        conn.write_all(&buf[..n]).unwrap();
        len -= n as u64;
    }
}

/// Reads a response head (the server's 201/204 carry no body).
fn read_head(conn: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            conn.read(&mut byte).unwrap(),
            1,
            "connection closed mid-response"
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

fn header(head: &str, name: &str) -> String {
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

/// Peak resident set size of a live process, from /proc (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
