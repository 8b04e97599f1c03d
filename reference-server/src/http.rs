//! HTTP plumbing shared by every protocol the server speaks: the response body
//! type, its constructors, and the [`Handler`] seam the connection loop calls.
//!
//! Protocol modules (today `tus`, later `s3` and the IETF draft) build
//! responses with these helpers and never touch hyper's connection machinery.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};

/// The body of every response: empty, a buffer, or a stream of stored bytes.
/// Unsync because a file-reading stream is `Send` but not `Sync`.
pub type ResBody = http_body_util::combinators::UnsyncBoxBody<Bytes, io::Error>;

/// A stream of stored bytes, as the store hands them out.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A future the server keeps running beside the connections (e.g. the expiry
/// sweeper) and aborts on shutdown.
pub type Background = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the connection loop needs from a protocol: turn a request into a
/// response (never an error: protocol errors are responses too).
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        req: http::Request<Incoming>,
    ) -> impl Future<Output = http::Response<ResBody>> + Send;

    /// Long-running maintenance work the handler needs, if any.
    fn background(&self) -> Option<Background>;
}

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
