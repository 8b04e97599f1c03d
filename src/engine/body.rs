//! Request bodies as regenerable descriptions, never as bytes held in memory.
//!
//! A [`Payload`] says how to produce a body (these literal bytes, then that many
//! seeded random bytes, …). Sending streams it in chunks; the registry of what each
//! named step sent keeps only payloads, so `sent_by` and `body.equals` regenerate
//! the bytes and compare them as they stream. A 1 GiB upload therefore costs a
//! few 64 KiB buffers, not a gigabyte.

use std::collections::HashMap;
use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body, Frame};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use super::digest::Hasher;
use super::scope::{EvalError, Scope};
use crate::scenario::model::{BodySource, CutEnd, DigestAlgorithm};
use crate::scenario::units;

/// Largest chunk handed to the transport or generated at once. Also the random
/// generator's block size, which keeps its output independent of how callers read it.
pub(crate) const CHUNK: usize = 64 * 1024;
/// The allocation a sending body cuts its chunks from, and reuses once the
/// transport has let go of them: a fresh allocation per chunk made the
/// allocator hand memory back and fault it in again, a third of the CPU of a
/// 1 GiB upload.
const REGION: usize = 16 * CHUNK;

/// The 32-byte ChaCha8 seed of a random body.
pub(crate) type RandomKey = [u8; 32];

/// Derives the ChaCha8 seed of a `random` body. This is a compatibility promise:
/// a seed printed by one version must replay the same bytes in every later one.
///
/// - With an explicit `seed: N`: `sha256("upspec-random-v1\0" ‖ N as 8 bytes little-endian)`,
///   so the same explicit seed gives the same bytes in any step of any scenario.
/// - Otherwise: `sha256("upspec-random-v1\0" ‖ run seed as 8 bytes little-endian ‖
///   scenario name (`module::id`) ‖ "\0" ‖ position)`, where the position is the
///   step's place in the tree without its name, e.g. `step 2.1 [iteration 4]` or
///   `finally 1`. Renaming a step keeps its bytes; moving it changes them.
///
/// The bytes are the ChaCha8 keystream (`rand_chacha::ChaCha8Rng::from_seed`),
/// drawn in 64 KiB blocks with `fill_bytes` and truncated to the size.
pub(crate) fn random_key(
    explicit: Option<u64>,
    run_seed: u64,
    scenario: &str,
    position: &str,
) -> RandomKey {
    let mut hash = Sha256::new();
    hash.update(b"upspec-random-v1\0");
    match explicit {
        Some(seed) => hash.update(seed.to_le_bytes()),
        None => {
            hash.update(run_seed.to_le_bytes());
            hash.update(scenario.as_bytes());
            hash.update(b"\0");
            hash.update(position.as_bytes());
        }
    }
    hash.finalize().into()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Rendered text or inline/fixture bytes: small, and already in the model.
    Bytes(Arc<[u8]>),
    Random(RandomKey),
    /// A pattern repeated for as long as the segment goes.
    Fill(Arc<[u8]>),
}

/// The first `len` bytes of a piece.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    piece: Piece,
    len: u64,
}

/// A body, described well enough to produce it again byte for byte.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Payload {
    segments: Vec<Segment>,
}

impl Payload {
    pub(crate) fn bytes(data: impl Into<Arc<[u8]>>) -> Self {
        let data = data.into();
        let len = data.len() as u64;
        Payload {
            segments: vec![Segment {
                piece: Piece::Bytes(data),
                len,
            }],
        }
    }

    /// `pattern` (never empty) repeated to `len` bytes.
    pub(crate) fn fill(pattern: Arc<[u8]>, len: u64) -> Self {
        Payload {
            segments: vec![Segment {
                piece: Piece::Fill(pattern),
                len,
            }],
        }
    }

    pub(crate) fn random(key: RandomKey, len: u64) -> Self {
        Payload {
            segments: vec![Segment {
                piece: Piece::Random(key),
                len,
            }],
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.segments.iter().map(|segment| segment.len).sum()
    }

    pub(crate) fn append(&mut self, other: &Payload) {
        self.segments.extend(other.segments.iter().cloned());
    }

    /// The first `len` bytes: what was really sent when a step aborted its body.
    pub(crate) fn truncated(&self, len: u64) -> Payload {
        let mut left = len;
        let mut segments = Vec::new();
        for segment in &self.segments {
            if left == 0 {
                break;
            }
            let take = segment.len.min(left);
            segments.push(Segment {
                piece: segment.piece.clone(),
                len: take,
            });
            left -= take;
        }
        Payload { segments }
    }

    pub(crate) fn reader(&self) -> PayloadReader {
        PayloadReader {
            segments: self.segments.clone().into_iter(),
            current: None,
        }
    }

    /// The digest of every byte, read in one pass without holding the body.
    pub(crate) fn digest(&self, algorithm: DigestAlgorithm) -> Vec<u8> {
        let mut hasher = Hasher::new(algorithm);
        let mut reader = self.reader();
        let mut buf = vec![0; CHUNK];
        loop {
            let n = reader.read(&mut buf);
            if n == 0 {
                return hasher.finish_bytes();
            }
            hasher.update(&buf[..n]);
        }
    }

    /// The first `limit` bytes, for transcripts.
    pub(crate) fn prefix(&self, limit: usize) -> Vec<u8> {
        let mut out = vec![0; limit.min(usize::try_from(self.len()).unwrap_or(usize::MAX))];
        let filled = self.reader().read(&mut out);
        out.truncate(filled);
        out
    }
}

/// Turns a body source into a payload in the scope of the step that sends (or expects) it.
pub(crate) fn resolve(
    source: &BodySource,
    scope: Scope<'_>,
    sent: &SentBodies,
    derive_key: impl FnOnce(Option<u64>) -> RandomKey,
) -> Result<Payload, EvalError> {
    match source {
        BodySource::Text(template) => Ok(Payload::bytes(scope.render(template)?.into_bytes())),
        BodySource::Bytes(data) => Ok(Payload::bytes(data.clone())),
        BodySource::Random { size, seed } => {
            let text = scope.render(size)?;
            let len = units::parse_size(&text)
                .map_err(|message| EvalError::Invalid(format!("random body size: {message}")))?;
            Ok(Payload::random(derive_key(*seed), len))
        }
        BodySource::SentBy(names) => sent.concatenation(names),
        BodySource::Fill { pattern, size } => {
            let text = scope.render(size)?;
            let len = units::parse_size(&text)
                .map_err(|message| EvalError::Invalid(format!("fill body size: {message}")))?;
            Ok(Payload::fill(pattern.clone(), len))
        }
        BodySource::Each {
            list,
            before,
            item,
            after,
        } => {
            let items = scope.list(list)?;
            let mut out = String::new();
            if let Some(before) = before {
                out.push_str(&scope.render(before)?);
            }
            for (position, element) in items.iter().enumerate() {
                let index = (position + 1).to_string();
                out.push_str(&scope.render_with(item, &[("item", element), ("index", &index)])?);
            }
            if let Some(after) = after {
                out.push_str(&scope.render(after)?);
            }
            Ok(Payload::bytes(out.into_bytes()))
        }
    }
}

/// Something that produces a request body's bytes in order: a payload, or a payload
/// wrapped in a [`BodyEncoding`].
pub(crate) trait ByteSource: Send {
    /// Fills `buf` as far as the body goes; 0 means the end.
    fn read(&mut self, buf: &mut [u8]) -> usize;
}

/// A content coding that frames the payload as it is sent (a signed chunk coding):
/// the payload stays what steps refer to, and this says what goes on the wire.
pub(crate) trait BodyEncoding: Send + Sync + std::fmt::Debug {
    /// The encoded bytes of `payload`, produced as they are read.
    fn reader(&self, payload: &Payload) -> Box<dyn ByteSource>;
    /// How many bytes the encoded body has.
    fn encoded_len(&self) -> u64;
    /// Payload bytes among the first `encoded` bytes sent.
    fn decoded_within(&self, encoded: u64, decoded_len: u64) -> u64;
}

impl ByteSource for PayloadReader {
    fn read(&mut self, buf: &mut [u8]) -> usize {
        PayloadReader::read(self, buf)
    }
}

/// Produces a payload's bytes in order, on demand.
pub(crate) struct PayloadReader {
    segments: std::vec::IntoIter<Segment>,
    current: Option<PieceReader>,
}

impl PayloadReader {
    /// Fills `buf` as far as the payload goes; 0 means the end.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut filled = 0;
        while filled < buf.len() {
            let current = match &mut self.current {
                Some(current) => current,
                None => match self.segments.next() {
                    Some(segment) => self.current.insert(PieceReader::new(segment)),
                    None => break,
                },
            };
            let n = current.read(&mut buf[filled..]);
            if n == 0 {
                self.current = None;
            }
            filled += n;
        }
        filled
    }
}

enum PieceReader {
    Bytes {
        data: Arc<[u8]>,
        pos: usize,
        end: usize,
    },
    Random {
        rng: Box<ChaCha8Rng>,
        block: Box<[u8]>,
        /// Read position in `block`; `CHUNK` means "draw the next block".
        pos: usize,
        left: u64,
    },
    Fill {
        pattern: Arc<[u8]>,
        /// Position in `pattern` of the next byte.
        pos: usize,
        left: u64,
    },
}

impl PieceReader {
    fn new(segment: Segment) -> Self {
        match segment.piece {
            Piece::Bytes(data) => {
                let end =
                    usize::try_from(segment.len).map_or(data.len(), |len| len.min(data.len()));
                PieceReader::Bytes { data, pos: 0, end }
            }
            Piece::Random(key) => PieceReader::Random {
                rng: Box::new(ChaCha8Rng::from_seed(key)),
                block: vec![0; CHUNK].into_boxed_slice(),
                pos: CHUNK,
                left: segment.len,
            },
            Piece::Fill(pattern) => PieceReader::Fill {
                pattern,
                pos: 0,
                left: segment.len,
            },
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> usize {
        match self {
            PieceReader::Bytes { data, pos, end } => {
                let n = buf.len().min(*end - *pos);
                buf[..n].copy_from_slice(&data[*pos..*pos + n]);
                *pos += n;
                n
            }
            PieceReader::Random {
                rng,
                block,
                pos,
                left,
            } => {
                if *left == 0 {
                    return 0;
                }
                if *pos == CHUNK {
                    // Always whole blocks: `fill_bytes` drops the tail of a partly used
                    // word, so uneven draws would make the stream depend on read sizes.
                    rng.fill_bytes(block);
                    *pos = 0;
                }
                let n = buf
                    .len()
                    .min(CHUNK - *pos)
                    .min(usize::try_from(*left).unwrap_or(usize::MAX));
                buf[..n].copy_from_slice(&block[*pos..*pos + n]);
                *pos += n;
                *left -= n as u64;
                n
            }
            PieceReader::Fill { pattern, pos, left } => {
                let n = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                if let [byte] = **pattern {
                    buf[..n].fill(byte);
                } else {
                    let mut filled = 0;
                    while filled < n {
                        let take = (n - filled).min(pattern.len() - *pos);
                        buf[filled..filled + take].copy_from_slice(&pattern[*pos..*pos + take]);
                        *pos = (*pos + take) % pattern.len();
                        filled += take;
                    }
                }
                *left -= n as u64;
                n
            }
        }
    }
}

/// What each named step has sent so far, in sending order, as payloads.
#[derive(Debug, Default)]
pub(crate) struct SentBodies(Mutex<HashMap<String, Vec<Payload>>>);

impl SentBodies {
    pub(crate) fn record(&self, step: &str, payload: Payload) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(step.to_owned())
            .or_default()
            .push(payload);
    }

    /// The named steps' bodies in the order the names are listed, each step
    /// contributing all of its sends in the order it made them. Listing order (not
    /// the clock) decides, so parts uploaded by parallel branches still concatenate
    /// predictably.
    pub(crate) fn concatenation(&self, names: &[String]) -> Result<Payload, EvalError> {
        let sent = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = Payload::default();
        for name in names {
            let sends = sent.get(name).ok_or_else(|| {
                EvalError::Invalid(format!("step `{name}` has not sent a request yet"))
            })?;
            for payload in sends {
                out.append(payload);
            }
        }
        Ok(out)
    }
}

/// How long the connection must stay quiet after the last allowed byte before an
/// aborting body fails. Hyper buffers body chunks and writes them when the socket
/// is ready, and failing the body discards whatever is still buffered; hyper polls
/// the body again whenever it makes progress, so a quiet spell means the buffer has
/// reached the kernel (or the peer stopped reading, when nothing more can be done).
const ABORT_QUIET: Duration = Duration::from_millis(50);

/// The longest an abort waits for that quiet spell, so a connection kept busy by
/// the response cannot postpone the abort until the step times out.
const ABORT_SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// Where a body stops short of its declared length, and what it does there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Body bytes sent before the cut.
    pub(crate) after: u64,
    pub(crate) then: CutEnd,
}

/// The error an aborting body ends with (and a stalled one, once the engine lets it
/// go), so the engine can tell its own abort from a transport failure.
#[derive(Debug)]
pub(crate) struct DeliberateAbort(u64);

impl fmt::Display for DeliberateAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "body deliberately aborted after {} bytes", self.0)
    }
}

impl std::error::Error for DeliberateAbort {}

/// Counters the engine keeps after the body has been handed to the transport.
#[derive(Clone, Debug, Default)]
pub(crate) struct UploadProgress {
    sent: Arc<AtomicU64>,
    aborted: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    withdrawn: Arc<AtomicBool>,
}

impl UploadProgress {
    /// Bytes handed to the transport (all of them reached the wire unless it failed).
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }

    /// Whether the body ended with its deliberate abort.
    pub(crate) fn aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Whether the body sent everything it was allowed to and is now stalling, the
    /// connection open: from here on only the server can end the exchange.
    pub(crate) fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Acquire)
    }

    /// Stops the rest of the body: the server answered with an error before reading
    /// all of it. RFC 9112 asks a client sending a body to "monitor the network
    /// connection for an error response while it is transmitting the request" and to
    /// cease transmitting when the server does not wish to receive it; curl does the
    /// same. Ending the body with an error also makes hyper close the connection
    /// instead of pooling one whose leftover bytes the server would read as the
    /// next request (rustus, answering 413 early, then never answers that request).
    pub(crate) fn withdraw(&self) {
        self.withdrawn.store(true, Ordering::Release);
    }

    /// Whether the body was withdrawn after an early error response.
    pub(crate) fn withdrawn(&self) -> bool {
        self.withdrawn.load(Ordering::Acquire)
    }
}

/// Keeps a stalling body open for as long as it lives. Dropping it ends the body with
/// [`DeliberateAbort`], which closes the connection if the server has not: a server
/// that never ends the request cannot keep it (or the connection) past the step.
#[derive(Debug)]
pub(crate) struct StallHold {
    _ends_the_stall_when_dropped: oneshot::Sender<()>,
}

/// A request body: the payload in chunks, optionally cut short.
pub(crate) struct Upload {
    reader: Box<dyn ByteSource>,
    /// Bytes still to yield (the whole payload, or up to the cut).
    left: u64,
    progress: UploadProgress,
    state: CutState,
    /// The other end of a stall's [`StallHold`], until [`Upload::stall_hold`] takes it.
    hold: Option<oneshot::Sender<()>>,
    /// What the next chunks are cut from ([`REGION`]).
    buffer: BytesMut,
}

/// Whether, and how far, the body is on its way to its cut.
enum CutState {
    /// The body is sent whole (or what was left of it has ended).
    Never,
    /// The allowed bytes are still being yielded; then the body aborts.
    Armed,
    /// All allowed bytes are with hyper; waiting for the connection to go quiet.
    Settling {
        quiet: Pin<Box<Sleep>>,
        give_up: Instant,
    },
    /// Once the allowed bytes are yielded, nothing more comes until the hold is dropped.
    Stalling(oneshot::Receiver<()>),
}

impl Upload {
    pub(crate) fn new(payload: &Payload, cut: Option<Cut>, progress: UploadProgress) -> Self {
        Upload::from_source(Box::new(payload.reader()), payload.len(), cut, progress)
    }

    /// A body of `len` bytes read from `reader` (an encoded payload, say). A cut at
    /// or past the end sends the body whole.
    pub(crate) fn from_source(
        reader: Box<dyn ByteSource>,
        len: u64,
        cut: Option<Cut>,
        progress: UploadProgress,
    ) -> Self {
        let cut = cut.filter(|cut| cut.after < len);
        let (hold, released) = match cut {
            Some(Cut {
                then: CutEnd::Stall,
                ..
            }) => {
                let (hold, released) = oneshot::channel();
                (Some(hold), Some(released))
            }
            _ => (None, None),
        };
        Upload {
            reader,
            left: cut.map_or(len, |cut| cut.after),
            progress,
            state: match (cut, released) {
                (Some(_), Some(released)) => CutState::Stalling(released),
                (Some(_), None) => CutState::Armed,
                (None, _) => CutState::Never,
            },
            hold,
            buffer: BytesMut::new(),
        }
    }

    /// What keeps a stalling body open, to drop when the exchange is over; `None`
    /// unless the body stalls. Untaken, the body holds itself open for as long as
    /// the connection lives.
    pub(crate) fn stall_hold(&mut self) -> Option<StallHold> {
        self.hold.take().map(|sender| StallHold {
            _ends_the_stall_when_dropped: sender,
        })
    }
}

impl Body for Upload {
    type Data = Bytes;
    type Error = DeliberateAbort;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, DeliberateAbort>>> {
        let this = &mut *self;
        if this.left > 0 && this.progress.withdrawn() {
            this.left = 0;
            this.state = CutState::Never;
            return Poll::Ready(Some(Err(DeliberateAbort(this.progress.sent()))));
        }
        if this.left > 0 {
            let want = usize::try_from(this.left).map_or(CHUNK, |left| left.min(CHUNK));
            if this.buffer.capacity() < want && !this.buffer.try_reclaim(want) {
                let region = usize::try_from(this.left).map_or(REGION, |left| left.min(REGION));
                this.buffer = BytesMut::with_capacity(region);
            }
            this.buffer.resize(want, 0);
            let n = this.reader.read(&mut this.buffer);
            this.buffer.truncate(n);
            let chunk = this.buffer.split().freeze();
            this.left -= n as u64;
            this.progress.sent.fetch_add(n as u64, Ordering::AcqRel);
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if let CutState::Stalling(released) = &mut this.state {
            this.progress.stalled.store(true, Ordering::Release);
            // The hold is dropped, never used to send: either way the wait is over.
            if Pin::new(released).poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.state = CutState::Never;
            return Poll::Ready(Some(Err(DeliberateAbort(this.progress.sent()))));
        }
        let now = Instant::now();
        if matches!(this.state, CutState::Armed) {
            // The timer starts only now: however long sending took, the buffer still
            // needs its quiet spell.
            this.state = CutState::Settling {
                quiet: Box::pin(tokio::time::sleep_until(now + ABORT_QUIET)),
                give_up: now + ABORT_SETTLE_LIMIT,
            };
        } else if let CutState::Settling { quiet, give_up } = &mut this.state
            && quiet.as_mut().poll(cx).is_pending()
        {
            // Polled before the timer fired: the connection is still busy, so the
            // quiet spell starts over.
            quiet.as_mut().reset((now + ABORT_QUIET).min(*give_up));
        }
        let CutState::Settling { quiet, .. } = &mut this.state else {
            return Poll::Ready(None);
        };
        if quiet.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.state = CutState::Never;
        this.progress.aborted.store(true, Ordering::Release);
        Poll::Ready(Some(Err(DeliberateAbort(this.progress.sent()))))
    }
}

/// A request body followed by trailer fields, for a chunked transfer (tus's
/// checksum-trailer extension). The trailers go only after a whole body: a
/// deliberate abort or stall ends the request without them.
pub(crate) struct WithTrailers {
    upload: Upload,
    trailers: Option<HeaderMap>,
}

impl WithTrailers {
    pub(crate) fn new(upload: Upload, trailers: HeaderMap) -> Self {
        WithTrailers {
            upload,
            trailers: Some(trailers),
        }
    }
}

impl Body for WithTrailers {
    type Data = Bytes;
    type Error = DeliberateAbort;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, DeliberateAbort>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.upload).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(frame)) => Poll::Ready(Some(frame)),
            Poll::Ready(None) => Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(payload: &Payload, step: usize) -> Vec<u8> {
        let mut reader = payload.reader();
        let mut out = Vec::new();
        let mut buf = vec![0; step];
        loop {
            let n = reader.read(&mut buf);
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn random_bytes_do_not_depend_on_read_sizes() {
        let payload = Payload::random(random_key(Some(7), 0, "", ""), 200_003);
        let whole = read_all(&payload, 1 << 20);
        assert_eq!(whole.len(), 200_003);
        assert_eq!(read_all(&payload, 3), whole);
        assert_eq!(read_all(&payload, CHUNK + 1), whole);
    }

    #[test]
    fn random_key_derivation_is_pinned() {
        // Changing any of these breaks replaying printed seeds: see `random_key`.
        // The keys were computed independently (Python's hashlib).
        assert_eq!(
            random_key(Some(1), 99, "ignored", "ignored"),
            hex_bytes("2dd0a415ac6a64726b10398e98436fa87f5a26261ba4def34cdc948ab82af952")[..]
        );
        assert_eq!(
            random_key(None, 42, "tus::core::patch::x", "step 2"),
            hex_bytes("bee26309523210fc1d2beadbe0249574fb1e7437eba5097492b6674964c44102")[..]
        );
        let payload = Payload::random(random_key(Some(1), 0, "", ""), 8);
        assert_eq!(read_all(&payload, 8), hex_bytes("01e59e3d955aa280"));
    }

    fn hex_bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn concatenation_truncation_and_prefix() {
        let mut payload = Payload::bytes(&b"hello "[..]);
        payload.append(&Payload::bytes(&b"world"[..]));
        assert_eq!(payload.len(), 11);
        assert_eq!(read_all(&payload.truncated(8), 2), b"hello wo");
        assert_eq!(payload.prefix(4), b"hell");
        assert_eq!(payload.prefix(100), b"hello world");
    }

    #[test]
    fn fill_repeats_its_pattern_across_reads() {
        let a = Payload::fill(Arc::from(&b"A"[..]), 5);
        assert_eq!(read_all(&a, 2), b"AAAAA");
        let abc = Payload::fill(Arc::from(&b"abc"[..]), 8);
        assert_eq!(read_all(&abc, 1), b"abcabcab");
        assert_eq!(read_all(&abc, 5), b"abcabcab");
        assert_eq!(abc.prefix(4), b"abca");
    }

    #[test]
    fn sent_bodies_follow_listing_order_then_sending_order() {
        let sent = SentBodies::default();
        sent.record("b", Payload::bytes(&b"B1"[..]));
        sent.record("a", Payload::bytes(&b"A1"[..]));
        sent.record("b", Payload::bytes(&b"B2"[..]));
        let both = sent.concatenation(&["a".into(), "b".into()]).unwrap();
        assert_eq!(read_all(&both, 64), b"A1B1B2");
        assert!(sent.concatenation(&["c".into()]).is_err());
    }
}
