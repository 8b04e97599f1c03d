//! The engine's HTTP client: HTTP/1.1 over TCP, or over TLS on `https`, with one
//! idle connection kept per origin for each scenario; no redirects, retries,
//! proxies or decompression, because each would change what a scenario checks.
//!
//! It is built on hyper's connection API rather than a general-purpose client
//! because a conformance check must see what those hide: interim (1xx) responses,
//! recorded in order with every exchange ([`InterimLog`]), and bytes a server
//! sends after a response's declared end, which break HTTP framing and are charged
//! to the exchange they followed ([`Response::finish`]). Only HTTP/1.1 is spoken,
//! also on `https`: the framing rules checked here are HTTP/1.1's, and hyper
//! reports interim responses only there.

mod connect;
mod connection;
mod expect_continue;
mod interim;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::Mutex;

use bytes::Bytes;
use http::header::{ACCEPT, HOST};
use http::{HeaderValue, Uri};
use http_body_util::BodyExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use url::Url;

use self::connect::Origin;
use self::connection::{Connection, Settled};
pub(crate) use self::expect_continue::{ContinueGate, DEFAULT_CONTINUE_WAIT, expects_continue};
pub(crate) use self::interim::InterimLog;

/// What a request body may fail with (a deliberate abort, a withdrawn body).
pub(crate) type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// A request body as the transport sends it.
pub(crate) type RequestBody = UnsyncBoxBody<Bytes, BodyError>;

/// Why a request got no response.
#[derive(Debug)]
pub(crate) enum TransportError {
    /// The URL cannot be requested.
    Url(String),
    /// No TCP connection to the origin.
    Connect { origin: String, source: io::Error },
    /// The TLS handshake with the origin failed.
    Tls { origin: String, source: io::Error },
    /// The connection broke, or the server answered something that is not an
    /// HTTP/1.1 response, before a response head arrived.
    Exchange(hyper::Error),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Url(message) => f.write_str(message),
            TransportError::Connect { origin, .. } => write!(f, "cannot connect to {origin}"),
            TransportError::Tls { origin, .. } => write!(f, "TLS with {origin} failed"),
            TransportError::Exchange(_) => f.write_str("no response"),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TransportError::Url(_) => None,
            TransportError::Connect { source, .. } | TransportError::Tls { source, .. } => {
                Some(source)
            }
            TransportError::Exchange(source) => Some(source),
        }
    }
}

/// One scenario's connections: whatever one scenario leaves on a connection (a
/// body the server stopped reading) cannot stall another's request.
#[derive(Default)]
pub(crate) struct Transport {
    idle: Mutex<HashMap<Origin, Connection>>,
}

impl Transport {
    /// Sends `request` to `url` (its URI is set from `url`, in origin form) and
    /// waits for the response head. Adds `Host`, and `Accept: */*` unless the
    /// request sets an `Accept`, as the client used before this one did.
    pub(crate) async fn send(
        &self,
        url: &Url,
        mut request: http::Request<RequestBody>,
    ) -> Result<Response<'_>, TransportError> {
        let origin = Origin::of(url)?;
        *request.uri_mut() = origin_form(url)?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let host = HeaderValue::from_str(&host)
            .map_err(|_| TransportError::Url(format!("`{url}`: the host is no header value")))?;
        let headers = request.headers_mut();
        if !headers.contains_key(HOST) {
            headers.insert(HOST, host);
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let mut reused = self.checkout(&origin);
        loop {
            let fresh = reused.is_none();
            let mut connection = match reused.take() {
                Some(connection) => connection,
                None => Connection::open(origin.connect().await?)
                    .await
                    .map_err(TransportError::Exchange)?,
            };
            // An idle connection the server closed meanwhile is no answer to this
            // request: a new one is, as long as nothing of the request was written.
            if let Err(error) = connection.ready().await {
                if fresh {
                    return Err(TransportError::Exchange(error));
                }
                continue;
            }
            match connection.send(request).await {
                Ok(response) => {
                    let (head, body) = response.into_parts();
                    return Ok(Response {
                        head,
                        body,
                        connection,
                        origin,
                        transport: self,
                    });
                }
                Err((_, Some(unsent))) if !fresh => request = unsent,
                Err((error, _)) => return Err(TransportError::Exchange(error)),
            }
        }
    }

    /// Closes the idle connections: the next request opens a new one. After a
    /// server answered an error before reading a whole body (rustus's early 413),
    /// the rest may still be on the connection, to be read as the next request,
    /// which then never gets an answer; curl closes the connection too.
    pub(crate) fn forget(&self) {
        self.idle().clear();
    }

    fn checkout(&self, origin: &Origin) -> Option<Connection> {
        self.idle().remove(origin).filter(Connection::is_alive)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The request target as HTTP/1.1 sends it to an origin server: path and query.
fn origin_form(url: &Url) -> Result<Uri, TransportError> {
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    target
        .parse()
        .map_err(|error| TransportError::Url(format!("`{url}`: {error}")))
}

/// A response whose head has arrived; its body is read with [`Response::chunk`].
pub(crate) struct Response<'t> {
    pub(crate) head: http::response::Parts,
    body: Incoming,
    connection: Connection,
    origin: Origin,
    transport: &'t Transport,
}

/// Bytes the server sent after the declared end of a response body.
#[derive(Debug)]
pub(crate) struct Trailing(pub(crate) Bytes);

impl Response<'_> {
    /// The next piece of the body; `None` at its end. Trailer fields are skipped.
    pub(crate) async fn chunk(&mut self) -> hyper::Result<Option<Bytes>> {
        while let Some(frame) = self.body.frame().await {
            if let Ok(data) = frame?.into_data() {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }

    /// After the body's end: fails if the server sent bytes past it (they would
    /// be read as the next response, or silently dropped with the connection),
    /// and otherwise keeps the connection for the origin's next request if it can
    /// carry one.
    pub(crate) async fn finish(self) -> Result<(), Trailing> {
        match self.connection.settle().await {
            Settled::Open(connection) => {
                self.transport.idle().insert(self.origin, connection);
                Ok(())
            }
            Settled::Gone => Ok(()),
            Settled::Trailing(bytes) => Err(Trailing(bytes)),
        }
    }
}
