//! Crash safety: a server process is killed with SIGKILL at random moments
//! during PATCHes, many times over, and restarted on the same data dir.
//! After every restart HEAD's offset must lie between the offset before the
//! PATCH and the bytes sent, and the stored bytes must be exactly the sent
//! ones. Prints its seed; set UPSPEC_CRASH_SEED to replay a run.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Client, pattern};
use tokio::io::AsyncWriteExt;

const UPLOAD: usize = 16 * 1024 * 1024;
const ROUNDS: usize = 60;

struct Server {
    child: Child,
    client: Client,
}

impl Server {
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_upspec-reference-server"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected banner {line:?}"));
        let addr = url.split('/').next().unwrap().parse().unwrap();
        Self {
            child,
            client: Client { addr },
        }
    }

    fn kill(self) {
        drop(self);
    }
}

impl Drop for Server {
    /// SIGKILL, also when a failed assertion unwinds past the server.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// xorshift for kill timings; the seed is printed so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_patch_never_loses_or_invents_bytes() {
    let seed = std::env::var("UPSPEC_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed: {seed} (UPSPEC_CRASH_SEED={seed} to replay)");
    let mut dice = Dice(seed);
    let data = pattern(UPLOAD, seed);
    let dir = tempfile::tempdir().unwrap();

    let mut server = Server::start(dir.path());
    let upload = server.client.create(UPLOAD as u64).await;
    let mut offset = 0usize;
    // Rounds killed before the commit (nothing kept) and after it.
    let mut outcomes = [0usize; 2];
    for round in 0..ROUNDS {
        let remaining = UPLOAD - offset;
        if remaining == 0 {
            break;
        }
        let chunk = 1 + dice.below(remaining.min(512 * 1024) as u64) as usize;
        let end = offset + chunk;
        let mut stream = tokio::net::TcpStream::connect(server.client.addr)
            .await
            .unwrap();
        let cut = dice.below(2) == 0;
        // Either a whole PATCH of `chunk` bytes, or one that promises all the
        // rest and stops after `chunk` (an interrupted PATCH).
        let declared = if cut { remaining } else { chunk };
        let head = format!(
            "PATCH {upload} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
             Upload-Offset: {offset}\r\nContent-Length: {declared}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let body = &data[offset..end];
        let split = dice.below(body.len() as u64 + 1) as usize;
        let _ = stream.write_all(&body[..split]).await;
        tokio::time::sleep(Duration::from_micros(dice.below(3000))).await;
        let _ = stream.write_all(&body[split..]).await;
        if cut {
            drop(stream);
        }
        // Mostly soon after the last byte: while the server writes and commits.
        tokio::time::sleep(Duration::from_micros(dice.below(1_500))).await;
        server.kill();

        server = Server::start(dir.path());
        let now = server.client.offset(&upload).await as usize;
        assert!(
            now >= offset && now <= end,
            "round {round}: offset {now} outside [{offset}, {end}] (seed {seed})"
        );
        let held = server.client.bytes(&upload).await;
        assert_eq!(
            held.len(),
            now,
            "round {round}: GET length differs from HEAD offset (seed {seed})"
        );
        assert!(
            held == data[..now],
            "round {round}: stored bytes differ from the bytes sent (seed {seed})"
        );
        outcomes[usize::from(now > offset)] += 1;
        offset = now;
    }
    // The upload completes normally after all that.
    let res = server
        .client
        .patch(&upload, offset as u64, &data[offset..])
        .await;
    assert_eq!(res.status, 204, "{res:?}");
    assert!(server.client.bytes(&upload).await == data);
    server.kill();
    eprintln!("killed rounds that kept nothing / their chunk: {outcomes:?}");
}
