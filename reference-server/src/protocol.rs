//! The seam between the server and the protocols it speaks: what a
//! protocol is given when it opens ([`Common`]), what the listening loop
//! asks of it ([`Handler`]), and how it is entered in the list of
//! `protocols.rs` ([`Registration`]: a listener, its address, and the
//! opening of the handler).
//!
//! Handlers are trait objects, so that one list can hold protocols of
//! different types over one store type, and several may share a listener.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;

use crate::faults::Faults;
use crate::http::ResBody;
use crate::store::StoreError;

/// Which of the server's listeners a protocol answers on (and an error is
/// about). The tus listener is the main one, at `Config::listen`; the IETF
/// draft will share it, telling its requests apart by a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Tus,
    S3,
}

impl std::fmt::Display for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Listener::Tus => "tus",
            Listener::S3 => "S3",
        })
    }
}

/// What every protocol is given besides its own section of the config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Common {
    /// How long a request body may stall before the request is ended.
    pub idle_timeout: Duration,
    /// Deliberate deviations (empty for a correct server).
    pub faults: Faults,
}

/// A handler's answer in the making.
pub(crate) type Answer<'a> = Pin<Box<dyn Future<Output = Response<ResBody>> + Send + 'a>>;

/// A future the server keeps running beside the connections (e.g. the expiry
/// sweeper) and aborts on shutdown.
pub(crate) type Background = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the connection loop needs from a protocol: turn a request into a
/// response (never an error: protocol errors are responses too).
pub(crate) trait Handler: Send + Sync + 'static {
    /// Whether this protocol answers `req`, on a listener where another
    /// protocol is registered after it (the last one registered answers
    /// whatever the others leave, and is not asked). By default, none: a
    /// protocol that shares a listener says how its requests look.
    fn claims(&self, _req: &Request<Incoming>) -> bool {
        false
    }

    fn handle(&self, req: Request<Incoming>) -> Answer<'_>;

    /// Long-running maintenance work the handler needs, if any.
    fn background(&self) -> Option<Background>;
}

/// Opening a protocol: its store, its state (S3 settles what a crash left).
/// Lazy: nothing happens until every listener is bound, so a second server
/// started on a taken port never touches the first one's store.
pub(crate) type Opening<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn Handler>, StoreError>> + Send + 'a>>;

/// One entry of the list of protocols.
pub(crate) struct Registration<'a> {
    pub listener: Listener,
    /// Where `listener` binds; protocols sharing a listener give the same.
    pub addr: SocketAddr,
    pub open: Opening<'a>,
}

impl<'a> Registration<'a> {
    pub fn new<H: Handler>(
        listener: Listener,
        addr: SocketAddr,
        open: impl Future<Output = Result<H, StoreError>> + Send + 'a,
    ) -> Self {
        Self {
            listener,
            addr,
            open: Box::pin(async move { Ok(Box::new(open.await?) as Box<dyn Handler>) }),
        }
    }
}
