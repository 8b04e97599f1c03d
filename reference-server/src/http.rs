//! HTTP plumbing shared by every protocol the server speaks: the response body
//! type, its constructors, and the draining of refused bodies.
//!
//! Protocol modules build responses with these helpers and never touch
//! hyper's connection machinery (the seam they plug into is `protocol.rs`).

use std::convert::Infallible;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;

/// The body of every response: empty, a buffer, or a stream of stored bytes.
/// Unsync because a file-reading stream is `Send` but not `Sync`.
pub type ResBody = http_body_util::combinators::UnsyncBoxBody<Bytes, io::Error>;

/// A stream of stored bytes, as the store hands them out.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

pub fn empty() -> ResBody {
    Empty::new().map_err(never).boxed_unsync()
}

pub fn full(bytes: impl Into<Bytes>) -> ResBody {
    Full::new(bytes.into()).map_err(never).boxed_unsync()
}

pub fn stream(bytes: ByteStream) -> ResBody {
    StreamBody::new(bytes.map(|chunk| chunk.map(Frame::data))).boxed_unsync()
}

fn never(e: Infallible) -> io::Error {
    match e {}
}

/// How much of a refused request's body is read before answering.
pub(crate) const DRAIN_LIMIT: u64 = 1 << 20;
/// How long a refused request's body may take to arrive before the answer goes anyway.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and discards up to 1 MiB of a body a refusal will not use. Answering and
/// closing with the client's bytes still unread makes the kernel reset the
/// connection, and a client still writing then sees "broken pipe" instead of the
/// refusal; reading a bounded amount first lets it read the answer.
pub(crate) async fn drain(mut body: hyper::body::Incoming) {
    drain_up_to(&mut body, DRAIN_LIMIT, DRAIN_TIME).await;
}

/// Reads and discards what is left of `body`, up to `limit` bytes and for at
/// most `time` (the work one refused request can cause), as [`drain`].
pub(crate) async fn drain_up_to(
    body: &mut hyper::body::Incoming,
    limit: u64,
    time: std::time::Duration,
) {
    let mut read = 0u64;
    let _ = tokio::time::timeout(time, async {
        while read < limit {
            match body.frame().await {
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, |data| data.len() as u64);
                }
                _ => break,
            }
        }
    })
    .await;
}
