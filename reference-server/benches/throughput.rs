//! Upload throughput and memory of the reference server, each beside a
//! baseline measured in the same run (`cargo bench -p upspec-reference-server`,
//! optionally `-- tus` or `-- s3` to run one group).
//!
//! Every server and sink is a fresh child process, so its peak RSS (VmHWM) is
//! its own; the clients run in this process. Groups (issue 16, goals 2 and 3):
//!
//! * `tus-one`: N bytes in one PATCH, from this bench's own client (1 MiB
//!   writes) and from a curl-like client (the whole body in a single buffer,
//!   handed to one `write_all`), each against a raw loopback sink (reads and
//!   discards, no HTTP) with the same client. Goal: ≥ 0.8 of raw loopback.
//! * `tus-patches`: N bytes in 1 MiB PATCHes on one keep-alive connection,
//!   against an HTTP sink that answers every PATCH at once and discards the
//!   body. Goal: ≥ 0.7 of the sink.
//! * `s3`: a SigV4-signed multipart upload of N/4 bytes in 5 MiB parts (the
//!   client hashes every part for `x-amz-content-sha256`, as a signing client
//!   must), Create to Complete, against the same HTTP sink answering fake
//!   ETags. Goal: ≥ 0.6 of the sink, memory flat.
//!
//! Servers store on tmpfs (/dev/shm, when present: the server's own cost,
//! no disk) in the default mode (fsync on: a no-op on tmpfs), and on the disk
//! (the system temp dir) with fsync on and off, which gives the cost of
//! fsync. Sinks that also write what they receive to a tmpfs file show what
//! storing alone costs on this machine: no storing server can beat them.
//! Rounds are interleaved (every case once, then again) so a noisy
//! neighbour hits all cases alike; the figures are the fastest of
//! UPSPEC_BENCH_RUNS rounds (3), with the spread (slowest / fastest - 1) and
//! the largest peak RSS. N is 1 GiB, or UPSPEC_BENCH_BYTES.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use md5::Digest as _;

const MIB: u64 = 1024 * 1024;
const ROLE: &str = "UPSPEC_BENCH_ROLE";
/// For a sink child: a file to write the received bytes to.
const SINK_FILE: &str = "UPSPEC_BENCH_SINK_FILE";
/// The bench's own client writes (and the sinks read) this much at a time.
const CLIENT_BUFFER: usize = MIB as usize;
/// What the own client sends, [`CLIENT_BUFFER`] bytes at a time.
static OWN_BUFFER: [u8; CLIENT_BUFFER] = [0x5a; CLIENT_BUFFER];
const PART: u64 = 5 * MIB;
const ACCESS_KEY: &str = "AKIDBENCH";
const SECRET_KEY: &str = "bench-secret-key";
const REGION: &str = "us-east-1";
const BUCKET: &str = "bench";

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("raw") => return raw_sink(),
        Ok("http") => return http_sink(),
        _ => {}
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too,
    // with no such flag: then only check that we start.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let total: u64 = env_or("UPSPEC_BENCH_BYTES", 1024 * MIB);
    let runs: usize = env_or("UPSPEC_BENCH_RUNS", 3).max(1);
    let tmpfs = Path::new("/dev/shm")
        .is_dir()
        .then(|| PathBuf::from("/dev/shm"));
    let disk = std::env::temp_dir();
    // Where the "storing" sinks write, and where servers run by default.
    let fast = tmpfs.clone().unwrap_or_else(|| disk.clone());
    let fast_name = if tmpfs.is_some() { "tmpfs" } else { "disk" };
    let stores = [
        (fast_name, fast.clone(), true),
        ("disk", disk.clone(), true),
        ("disk", disk.clone(), false),
    ];
    println!(
        "payload {} MiB over 127.0.0.1 (S3: {} MiB), best of {runs} interleaved rounds, {} CPUs",
        total / MIB,
        total / 4 / MIB,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    if "tus-one".contains(&filter) || filter.is_empty() {
        let single = vec![0x5au8; total as usize];
        let mut cases: Vec<Case> = vec![
            Case::new("raw loopback, own client", |ctx| {
                raw(ctx.total, None, Client::Own)
            }),
            Case::new("raw loopback, curl-like client", |ctx| {
                raw(ctx.total, None, Client::Single(ctx.single))
            }),
            Case::new(format!("raw loopback + write to {fast_name}"), |ctx| {
                raw(ctx.total, Some(&ctx.fast), Client::Own)
            }),
        ];
        for (place, dir, fsync) in stores.clone() {
            let label = store_label(place, fsync);
            cases.push(Case::new(format!("server, {label}, own client"), {
                let dir = dir.clone();
                move |ctx| tus_server(ctx.total, ctx.total, &dir, fsync, Client::Own)
            }));
            if place != "disk" || fsync {
                cases.push(Case::new(format!("server, {label}, curl-like"), {
                    move |ctx| {
                        tus_server(
                            ctx.total,
                            ctx.total,
                            &dir,
                            fsync,
                            Client::Single(ctx.single),
                        )
                    }
                }));
            }
        }
        let ctx = Ctx {
            total,
            fast: fast.join(format!("upspec-bench-sink-{}", std::process::id())),
            single: &single,
        };
        let results = rounds(runs, &ctx, &mut cases);
        let _ = std::fs::remove_file(&ctx.fast);
        println!("\ntus: one PATCH of {} MiB", total / MIB);
        header("vs raw, same client");
        let own = results[0];
        let curl = results[1];
        for (case, result) in cases.iter().zip(&results) {
            let base = if case.name.contains("curl-like") {
                curl
            } else {
                own
            };
            row(&case.name, total, *result, base);
        }
        let default = results[3];
        goal(
            "tus one PATCH, own client, default store",
            ratio(own, default),
            0.8,
        );
        goal(
            "tus one PATCH, curl-like, default store",
            ratio(curl, results[4]),
            0.8,
        );
        println!(
            "  bound here: raw loopback + write to {fast_name} reaches {:.2} of raw loopback; the server reaches {:.2} of that",
            ratio(own, results[2]),
            ratio(results[2], default)
        );
        rss_goal(&results[3..]);
    }

    if "tus-patches".contains(&filter) || filter.is_empty() {
        let mut cases: Vec<Case> = vec![
            Case::new("HTTP sink, discarding", |ctx| tus_sink(ctx.total, None)),
            Case::new(format!("HTTP sink + write to {fast_name}"), |ctx| {
                tus_sink(ctx.total, Some(&ctx.fast))
            }),
        ];
        for (place, dir, fsync) in stores.clone() {
            cases.push(Case::new(
                format!("server, {}", store_label(place, fsync)),
                move |ctx| tus_server(ctx.total, MIB, &dir, fsync, Client::Own),
            ));
        }
        let ctx = Ctx {
            total,
            fast: fast.join(format!("upspec-bench-sink-{}", std::process::id())),
            single: &[],
        };
        let results = rounds(runs, &ctx, &mut cases);
        let _ = std::fs::remove_file(&ctx.fast);
        println!(
            "\ntus: {} MiB as 1 MiB PATCHes on one keep-alive connection, own client",
            total / MIB
        );
        header("vs discarding sink");
        for (case, result) in cases.iter().zip(&results) {
            row(&case.name, total, *result, results[0]);
        }
        goal(
            "tus 1 MiB PATCHes, default store",
            ratio(results[0], results[2]),
            0.7,
        );
        println!(
            "  bound here: the storing sink reaches {:.2} of the discarding one; the server reaches {:.2} of the storing sink",
            ratio(results[0], results[1]),
            ratio(results[1], results[2])
        );
        println!(
            "  cost of fsync on disk: {:.2} s for {} PATCHes ({:.0} us each; fsync on runs at {:.2} of fsync off)",
            results[3].best.as_secs_f64() - results[4].best.as_secs_f64(),
            total.div_ceil(MIB),
            (results[3].best.as_secs_f64() - results[4].best.as_secs_f64()) * 1e6
                / total.div_ceil(MIB) as f64,
            ratio(results[4], results[3])
        );
        rss_goal(&results[2..]);
    }

    if "s3".contains(&filter) || filter.is_empty() {
        let s3_total = (total / 4).max(1);
        let part = vec![0x5au8; PART as usize];
        let mut cases: Vec<Case> = vec![
            Case::new("HTTP sink, fake ETags", |ctx| s3_run(ctx.total, None)),
            Case::new(format!("HTTP sink + write to {fast_name}"), |ctx| {
                s3_sink_storing(ctx.total, &ctx.fast)
            }),
        ];
        for (place, dir, fsync) in stores.clone() {
            if place == "disk" && !fsync {
                continue;
            }
            cases.push(Case::new(
                format!("server, {}", store_label(place, fsync)),
                move |ctx| s3_run(ctx.total, Some((&dir, fsync))),
            ));
        }
        let ctx = Ctx {
            total: s3_total,
            fast: fast.join(format!("upspec-bench-sink-{}", std::process::id())),
            single: &[],
        };
        let results = rounds(runs, &ctx, &mut cases);
        let _ = std::fs::remove_file(&ctx.fast);
        println!(
            "\nS3: multipart upload of {} MiB in 5 MiB parts, SigV4 with signed payloads, Create to Complete",
            s3_total / MIB
        );
        header("vs fake-ETag sink");
        for (case, result) in cases.iter().zip(&results) {
            row(&case.name, s3_total, *result, results[0]);
        }
        goal(
            "S3 multipart, default store",
            ratio(results[0], results[2]),
            0.6,
        );
        // Flat memory: the same upload a quarter the size.
        let small = s3_run((s3_total / 4).max(1), Some((&fast, true)));
        println!(
            "  memory: peak RSS {:.1} MiB for {} MiB, {:.1} MiB for {} MiB",
            results[2].rss_kib as f64 / 1024.0,
            s3_total / MIB,
            small.rss_kib as f64 / 1024.0,
            s3_total / 4 / MIB
        );
        // What the hashing the protocol requires costs, on one core.
        let rate = |hash: &dyn Fn(&[u8])| {
            let started = Instant::now();
            let mut left = s3_total;
            while left > 0 {
                let n = left.min(PART) as usize;
                hash(&part[..n]);
                left -= n as u64;
            }
            s3_total as f64 / MIB as f64 / started.elapsed().as_secs_f64()
        };
        let md5_rate = rate(&|b| {
            std::hint::black_box(md5::Md5::digest(b));
        });
        let sha_rate = rate(&|b| {
            std::hint::black_box(sha2::Sha256::digest(b));
        });
        let sink_rate = s3_total as f64 / MIB as f64 / results[0].best.as_secs_f64();
        println!(
            "  hashing on one core: MD5 (the ETag) {md5_rate:.0} MiB/s, SHA-256 (x-amz-content-sha256) {sha_rate:.0} MiB/s;"
        );
        println!(
            "  the server hashes every byte with both: at most {:.0} MiB/s, {:.2} of the sink's {sink_rate:.0} MiB/s, before receiving or storing a byte",
            1.0 / (1.0 / md5_rate + 1.0 / sha_rate),
            1.0 / (1.0 / md5_rate + 1.0 / sha_rate) / sink_rate
        );
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn store_label(place: &str, fsync: bool) -> String {
    if fsync {
        format!("{place}, fsync on (default)")
    } else {
        format!("{place}, fsync off")
    }
}

/// What a case's closure gets.
struct Ctx<'a> {
    total: u64,
    /// A tmpfs file the storing sinks write to.
    fast: PathBuf,
    /// The curl-like client's body.
    single: &'a [u8],
}

type Measure<'a> = Box<dyn FnMut(&Ctx<'a>) -> Run + 'a>;

struct Case<'a> {
    name: String,
    measure: Measure<'a>,
}

impl<'a> Case<'a> {
    fn new(name: impl Into<String>, measure: impl FnMut(&Ctx<'a>) -> Run + 'a) -> Self {
        Self {
            name: name.into(),
            measure: Box::new(measure),
        }
    }
}

#[derive(Clone, Copy)]
struct Run {
    elapsed: Duration,
    rss_kib: u64,
}

#[derive(Clone, Copy)]
struct Summary {
    best: Duration,
    worst: Duration,
    rss_kib: u64,
}

/// Every case once per round, `runs` rounds.
fn rounds<'a>(runs: usize, ctx: &Ctx<'a>, cases: &mut [Case<'a>]) -> Vec<Summary> {
    let mut all: Vec<Vec<Run>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (case, runs) in cases.iter_mut().zip(&mut all) {
            runs.push((case.measure)(ctx));
        }
    }
    all.iter()
        .map(|runs| Summary {
            best: runs.iter().map(|r| r.elapsed).min().unwrap(),
            worst: runs.iter().map(|r| r.elapsed).max().unwrap(),
            rss_kib: runs.iter().map(|r| r.rss_kib).max().unwrap(),
        })
        .collect()
}

/// How fast `run` is next to `base`: above 1 is faster.
fn ratio(base: Summary, run: Summary) -> f64 {
    base.best.as_secs_f64() / run.best.as_secs_f64()
}

fn header(versus: &str) {
    println!(
        "{:<44} {:>8} {:>7} {:>7} {:>10} {:>8}",
        "", "seconds", "MiB/s", "spread", "peak RSS", "ratio"
    );
    println!(
        "{:<44} {:>8} {:>7} {:>7} {:>10} {versus:>8}",
        "", "", "", "", ""
    );
}

fn row(name: &str, total: u64, run: Summary, base: Summary) {
    let best = run.best.as_secs_f64();
    println!(
        "{name:<44} {best:>8.3} {:>7.0} {:>6.0}% {:>6.1} MiB {:>8.2}",
        total as f64 / MIB as f64 / best,
        (run.worst.as_secs_f64() / best - 1.0) * 100.0,
        run.rss_kib as f64 / 1024.0,
        ratio(base, run)
    );
}

fn goal(what: &str, ratio: f64, goal: f64) {
    println!(
        "goal: {what}: {ratio:.2} (goal ≥ {goal}) {}",
        if ratio >= goal { "met" } else { "NOT met" }
    );
}

fn rss_goal(servers: &[Summary]) {
    let peak = servers.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0;
    println!(
        "goal: server peak RSS under 32 MiB: {peak:.1} MiB {}",
        if peak < 32.0 { "met" } else { "NOT met" }
    );
}

// ---- clients ---------------------------------------------------------------

#[derive(Clone, Copy)]
enum Client<'a> {
    /// Writes of [`CLIENT_BUFFER`] bytes.
    Own,
    /// The whole body in one buffer, one `write_all`.
    Single(&'a [u8]),
}

/// One connection: writes go straight to the socket, reads are buffered.
struct Conn {
    reader: BufReader<TcpStream>,
}

struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> String {
        self.head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {name} in {}", self.head))
    }
}

impl Conn {
    fn connect(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::with_capacity(64 * 1024, stream),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    fn body(&mut self, len: u64, client: Client) {
        match client {
            Client::Own => send(self.reader.get_mut(), len, &OWN_BUFFER),
            Client::Single(all) => self.write(&all[..len as usize]),
        }
    }

    fn response(&mut self) -> Response {
        let mut head = String::new();
        loop {
            let before = head.len();
            assert_ne!(
                self.reader.read_line(&mut head).unwrap(),
                0,
                "connection closed mid-response: {head}"
            );
            if head[before..] == *"\r\n" {
                break;
            }
        }
        let status = head[9..12].parse().unwrap();
        let length = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            })
            .map_or(0, |(_, v)| v.trim().parse().unwrap());
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        Response { status, head, body }
    }
}

fn send(conn: &mut TcpStream, mut len: u64, buf: &[u8]) {
    while len > 0 {
        let n = len.min(buf.len() as u64) as usize;
        conn.write_all(&buf[..n]).unwrap();
        len -= n as u64;
    }
}

/// Creates a tus upload, then sends `total` bytes in PATCHes of `chunk`;
/// times the PATCHes.
fn tus_client(addr: &str, total: u64, chunk: u64, client: Client) -> Duration {
    let mut conn = Conn::connect(addr);
    conn.write(
        format!(
            "POST /files/ HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\nUpload-Length: {total}\r\n\r\n"
        )
        .as_bytes(),
    );
    let created = conn.response();
    assert_eq!(created.status, 201, "{}", created.head);
    let location = created.header("location");
    let started = Instant::now();
    let mut offset = 0;
    while offset < total {
        let len = chunk.min(total - offset);
        conn.write(
            format!(
                "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n\
                 Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\nContent-Length: {len}\r\n\r\n"
            )
            .as_bytes(),
        );
        conn.body(len, client);
        let response = conn.response();
        assert_eq!(response.status, 204, "{}", response.head);
        offset += len;
        assert_eq!(response.header("upload-offset"), offset.to_string());
    }
    started.elapsed()
}

/// A SigV4 S3 client on one keep-alive connection.
struct S3Client {
    conn: Conn,
    addr: String,
}

impl S3Client {
    fn request(&mut self, method: &str, path_and_query: &str, body: &[u8]) -> Response {
        let payload = hex::encode(sha2::Sha256::digest(body));
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path_and_query}", self.addr))
            .header("host", &self.addr)
            .header("content-length", body.len())
            .body(())
            .unwrap();
        sign(&mut request, &payload);
        let mut head = format!("{method} {path_and_query} HTTP/1.1\r\n");
        for (name, value) in request.headers() {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
        }
        head.push_str("\r\n");
        self.conn.write(head.as_bytes());
        self.conn.write(body);
        self.conn.response()
    }
}

fn sign(request: &mut http::Request<()>, payload: &str) {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let identity =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.uri().to_string(),
        headers.into_iter(),
        SignableBody::Precomputed(payload.to_owned()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(request);
}

/// A multipart upload of `total` bytes in 5 MiB parts, Create to Complete;
/// the bucket is created first, untimed.
fn s3_client(addr: &str, total: u64) -> Duration {
    let mut client = S3Client {
        conn: Conn::connect(addr),
        addr: addr.to_owned(),
    };
    let made = client.request("PUT", &format!("/{BUCKET}"), b"");
    assert_eq!(made.status, 200, "{}", made.head);
    let part = vec![0x5au8; PART as usize];
    let started = Instant::now();
    let created = client.request("POST", &format!("/{BUCKET}/object?uploads"), b"");
    assert_eq!(created.status, 200, "{}", created.head);
    let xml = String::from_utf8(created.body).unwrap();
    let id = xml
        .split_once("<UploadId>")
        .and_then(|(_, rest)| rest.split_once("</UploadId>"))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("no UploadId in {xml}"));
    let mut complete = String::from("<CompleteMultipartUpload>");
    let mut sent = 0;
    let mut number = 1;
    while sent < total {
        let len = PART.min(total - sent) as usize;
        let response = client.request(
            "PUT",
            &format!("/{BUCKET}/object?partNumber={number}&uploadId={id}"),
            &part[..len],
        );
        assert_eq!(response.status, 200, "{}", response.head);
        complete.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{}</ETag></Part>",
            response.header("etag")
        ));
        sent += len as u64;
        number += 1;
    }
    complete.push_str("</CompleteMultipartUpload>");
    let done = client.request(
        "POST",
        &format!("/{BUCKET}/object?uploadId={id}"),
        complete.as_bytes(),
    );
    assert_eq!(done.status, 200, "{}", done.head);
    started.elapsed()
}

// ---- measured setups ---------------------------------------------------------

/// The raw sink: the client sends `total` bytes on a bare TCP connection.
fn raw(total: u64, file: Option<&Path>, client: Client) -> Run {
    let mut child = sink_child("raw", file);
    let addr = first_line(&mut child);
    let mut conn = Conn::connect(addr.trim());
    let started = Instant::now();
    conn.body(total, client);
    conn.reader
        .get_ref()
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
    let mut ack = String::new();
    conn.reader.read_line(&mut ack).unwrap();
    let elapsed = started.elapsed();
    child.wait().unwrap();
    let mut fields = ack.split_whitespace().map(|f| f.parse::<u64>().unwrap());
    assert_eq!(fields.next(), Some(total), "sink received everything");
    Run {
        elapsed,
        rss_kib: fields.next().unwrap(),
    }
}

fn tus_sink(total: u64, file: Option<&Path>) -> Run {
    let mut child = sink_child("http", file);
    let addr = first_line(&mut child);
    let elapsed = tus_client(addr.trim(), total, MIB, Client::Own);
    finish(child, elapsed)
}

fn s3_sink_storing(total: u64, file: &Path) -> Run {
    let mut child = sink_child("http", Some(file));
    let addr = first_line(&mut child);
    let elapsed = s3_client(addr.trim(), total);
    finish(child, elapsed)
}

/// The S3 client against the fake-ETag sink (`server` None) or the server.
fn s3_run(total: u64, server: Option<(&Path, bool)>) -> Run {
    let (mut child, dir) = match server {
        None => (sink_child("http", None), None),
        Some((parent, fsync)) => {
            let dir = tempfile::tempdir_in(parent).unwrap();
            (server_child(dir.path(), fsync, total, true), Some(dir))
        }
    };
    let addr = if dir.is_some() {
        let lines = lines_until(&mut child, "s3 listening on http://");
        lines.trim().to_owned()
    } else {
        first_line(&mut child).trim().to_owned()
    };
    let elapsed = s3_client(&addr, total);
    finish(child, elapsed)
}

fn tus_server(total: u64, chunk: u64, parent: &Path, fsync: bool, client: Client) -> Run {
    let dir = tempfile::tempdir_in(parent).unwrap();
    let mut child = server_child(dir.path(), fsync, total, false);
    let banner = first_line(&mut child);
    let base = banner.trim().strip_prefix("listening on http://").unwrap();
    let (addr, _) = base.split_once('/').unwrap();
    let elapsed = tus_client(addr, total, chunk, client);
    finish(child, elapsed)
}

fn sink_child(role: &str, file: Option<&Path>) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(ROLE, role);
    if let Some(file) = file {
        command.env(SINK_FILE, file);
    }
    command.stdout(Stdio::piped()).spawn().unwrap()
}

fn server_child(dir: &Path, fsync: bool, total: u64, s3: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upspec-reference-server"));
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        // UPSPEC_BENCH_BYTES may ask for more than the default maximum.
        .args(["--max-size", &total.to_string()]);
    if !fsync {
        command.arg("--no-fsync");
    }
    if s3 {
        command
            .args(["--s3-listen", "127.0.0.1:0"])
            .env("UPSPEC_S3_ACCESS_KEY_ID", ACCESS_KEY)
            .env("UPSPEC_S3_SECRET_ACCESS_KEY", SECRET_KEY);
    }
    command.stdout(Stdio::piped()).spawn().unwrap()
}

/// Reads the child's peak RSS, then stops it.
fn finish(mut child: Child, elapsed: Duration) -> Run {
    let rss_kib = peak_rss_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    Run { elapsed, rss_kib }
}

fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

/// The rest of the first stdout line starting with `prefix`.
fn lines_until(child: &mut Child, prefix: &str) -> String {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..8 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    panic!("the server printed no line starting with {prefix:?}");
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

// ---- sink children -----------------------------------------------------------

fn sink_file() -> Option<std::fs::File> {
    std::env::var_os(SINK_FILE).map(|path| std::fs::File::create(path).unwrap())
}

/// The raw sink: accept one connection, read until EOF, acknowledge with
/// the byte count and its own peak RSS.
fn raw_sink() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap());
    let (mut conn, _) = listener.accept().unwrap();
    let mut file = sink_file();
    // The server reads into a buffer of up to 1 MiB; read in the same size.
    let mut buf = vec![0u8; CLIENT_BUFFER];
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

/// The HTTP sink: one keep-alive connection at a time; reads each request's
/// body (Content-Length) and discards it (or writes it to [`SINK_FILE`]),
/// then answers at once as the protocol's success would: tus creation and
/// PATCH, S3 CreateBucket, Create, UploadPart (a fake ETag), Complete.
fn http_sink() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap());
    let mut file = sink_file();
    let mut offset: u64 = 0;
    for conn in listener.incoming() {
        let conn = conn.unwrap();
        conn.set_nodelay(true).unwrap();
        let mut reader = BufReader::with_capacity(CLIENT_BUFFER, conn);
        loop {
            let mut head = String::new();
            loop {
                let before = head.len();
                if reader.read_line(&mut head).unwrap() == 0 {
                    break;
                }
                if head[before..] == *"\r\n" {
                    break;
                }
            }
            if head.is_empty() {
                break;
            }
            let mut words = head.split_whitespace();
            let (method, target) = (words.next().unwrap(), words.next().unwrap());
            let mut left: u64 = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                })
                .map_or(0, |(_, v)| v.trim().parse().unwrap());
            let len = left;
            while left > 0 {
                let buf = reader.fill_buf().unwrap();
                assert!(!buf.is_empty(), "body cut off");
                let n = buf.len().min(left as usize);
                if let Some(file) = &mut file {
                    file.write_all(&buf[..n]).unwrap();
                }
                reader.consume(n);
                left -= n as u64;
            }
            let (status, headers, body) = match method {
                "PATCH" => {
                    offset += len;
                    (
                        "204 No Content",
                        format!("Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"),
                        String::new(),
                    )
                }
                "POST" if target.starts_with("/files") => (
                    "201 Created",
                    "Tus-Resumable: 1.0.0\r\nLocation: /files/sink\r\nContent-Length: 0\r\n"
                        .to_owned(),
                    String::new(),
                ),
                "POST" if target.ends_with("?uploads") => (
                    "200 OK",
                    String::new(),
                    format!(
                        "<InitiateMultipartUploadResult><Bucket>{BUCKET}</Bucket><Key>object</Key><UploadId>sink</UploadId></InitiateMultipartUploadResult>"
                    ),
                ),
                "POST" => (
                    "200 OK",
                    String::new(),
                    "<CompleteMultipartUploadResult><ETag>\"fake-1\"</ETag></CompleteMultipartUploadResult>"
                        .to_owned(),
                ),
                _ => (
                    "200 OK",
                    format!("ETag: \"{:032x}\"\r\n", len),
                    String::new(),
                ),
            };
            let content_length = if method == "PATCH" || headers.contains("Content-Length") {
                String::new()
            } else {
                format!("Content-Length: {}\r\n", body.len())
            };
            write!(
                reader.get_mut(),
                "HTTP/1.1 {status}\r\n{headers}{content_length}\r\n{body}"
            )
            .unwrap();
        }
    }
}
