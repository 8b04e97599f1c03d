//! The listening side: binds, accepts HTTP/1.1 connections, hands requests
//! to the protocol handler, and shuts down on request. Every connection's
//! socket is wrapped so handlers can write interim (1xx) responses before
//! their final one (`interim.rs`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::CONNECTION;
use http::{HeaderValue, StatusCode};
use http_body::Body as _;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Config, ConfigError, StoreConfig};
use crate::interim::InterimIo;
use crate::protocol::{Handler, Listener, Opening, Registration};
use crate::protocols;
use crate::store::{FileStores, MemoryStores, StoreError, Stores};

/// How long in-flight requests get to finish when the server shuts down.
const GRACE: Duration = Duration::from_secs(5);
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest read buffer per connection: big reads mean fewer syscalls and
/// fewer chunks handed to the store for bulk uploads.
const READ_BUFFER: usize = 1024 * 1024;

/// A server started by [`serve`]: the tus listener, and the S3 listener
/// when [`Config::s3`] is set.
#[derive(Debug)]
pub struct RunningServer {
    /// Every listener, in the order bound, with the address it got.
    listeners: Vec<(Listener, SocketAddr)>,
    base_path: String,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address of the main (tus) listener, with the real port
    /// when port 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr(Listener::Tus)
            .expect("tus is registered unconditionally")
    }

    /// The creation URL, e.g. `http://127.0.0.1:1080/files/`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.local_addr(), self.base_path)
    }

    /// The S3 listener's address, when S3 is on.
    pub fn s3_addr(&self) -> Option<SocketAddr> {
        self.addr(Listener::S3)
    }

    /// The S3 endpoint for `--endpoint-url`, e.g. `http://127.0.0.1:9000`
    /// (no trailing slash; buckets are path-style under it), or `None`
    /// when S3 is off.
    pub fn s3_endpoint(&self) -> Option<String> {
        self.addr(Listener::S3).map(|addr| format!("http://{addr}"))
    }

    fn addr(&self, listener: Listener) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|(bound, _)| *bound == listener)
            .map(|&(_, addr)| addr)
    }

    /// Stops accepting, gives in-flight requests a short grace period to
    /// finish (committing what they received), then drops the rest.
    pub async fn shutdown(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Why the server did not start. Each case says what it was doing and
/// where: with two listeners, "Address already in use" alone does not
/// tell which address is taken.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr} (the {listener} listener): {source}")]
    Bind {
        listener: Listener,
        addr: SocketAddr,
        source: io::Error,
    },
    #[error("opening the {listener} store: {source}")]
    Store {
        listener: Listener,
        source: StoreError,
    },
}

/// Binds one listener, naming it and its address if that fails; returns
/// it with the address it really got (the port chosen for port 0).
async fn bind(
    listener: Listener,
    addr: SocketAddr,
) -> Result<(TcpListener, SocketAddr), ServeError> {
    let failed = |source| ServeError::Bind {
        listener,
        addr,
        source,
    };
    let bound = TcpListener::bind(addr).await.map_err(failed)?;
    let local = bound.local_addr().map_err(failed)?;
    Ok((bound, local))
}

/// Starts the server on the current tokio runtime and returns once it is
/// listening (on both listeners when S3 is on).
pub async fn serve(config: Config) -> Result<RunningServer, ServeError> {
    config.validate()?;
    match &config.store {
        StoreConfig::File { data_dir } => {
            start(&config, &FileStores::new(data_dir, config.fsync)).await
        }
        StoreConfig::Memory => start(&config, &MemoryStores { spill: false }).await,
        StoreConfig::Scratch => start(&config, &MemoryStores { spill: true }).await,
    }
}

/// The one start-up path, whatever the store: binds every listener the
/// registered protocols name (each once, in registration order), then
/// opens the protocols, then serves each listener with the protocols
/// registered on it.
async fn start<St: Stores>(config: &Config, stores: &St) -> Result<RunningServer, ServeError> {
    let mut groups: Vec<Group> = Vec::new();
    for Registration {
        listener,
        addr,
        open,
    } in protocols::registered(config, stores)
    {
        match groups.iter_mut().find(|group| group.listener == listener) {
            Some(group) => group.earlier.push(std::mem::replace(&mut group.last, open)),
            None => groups.push(Group {
                listener,
                addr,
                earlier: Vec::new(),
                last: open,
            }),
        }
    }
    let mut bound = Vec::new();
    for group in groups {
        let (socket, addr) = bind(group.listener, group.addr).await?;
        bound.push((socket, addr, group));
    }
    let mut listeners = Vec::new();
    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for (socket, addr, group) in bound {
        let listener = group.listener;
        let failed = |source| ServeError::Store { listener, source };
        let mut claimers = Vec::new();
        for open in group.earlier {
            claimers.push(open.await.map_err(failed)?);
        }
        let rest = group.last.await.map_err(failed)?;
        let (stop, stopped) = oneshot::channel();
        listeners.push((listener, addr));
        stops.push(stop);
        tasks.push(tokio::spawn(run(
            socket,
            Protocols { claimers, rest },
            stopped,
        )));
    }
    Ok(RunningServer {
        listeners,
        base_path: config.tus.base_path.clone(),
        stops,
        tasks,
    })
}

/// The registrations of one listener: where it binds, and its protocols
/// in registration order.
struct Group<'a> {
    listener: Listener,
    addr: SocketAddr,
    earlier: Vec<Opening<'a>>,
    last: Opening<'a>,
}

/// The protocols of one listener: those asked in turn whether they claim
/// a request, and the last registered, which answers what they leave.
struct Protocols {
    claimers: Vec<Box<dyn Handler>>,
    rest: Box<dyn Handler>,
}

impl Protocols {
    fn answering(&self, req: &http::Request<Incoming>) -> &dyn Handler {
        self.claimers
            .iter()
            .find(|handler| handler.claims(req))
            .unwrap_or(&self.rest)
            .as_ref()
    }

    fn all(&self) -> impl Iterator<Item = &dyn Handler> {
        self.claimers
            .iter()
            .chain(std::iter::once(&self.rest))
            .map(AsRef::as_ref)
    }
}

async fn run(listener: TcpListener, protocols: Protocols, mut stopped: oneshot::Receiver<()>) {
    let protocols = Arc::new(protocols);
    let background: Vec<_> = protocols
        .all()
        .filter_map(|handler| handler.background())
        .map(tokio::spawn)
        .collect();
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(READ_BUFFER);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: back off, keep serving.
                    eprintln!("upspec-reference-server: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        let _ = stream.set_nodelay(true);
        let (io, interim) = InterimIo::new(stream);
        let protocols = protocols.clone();
        let service = service_fn(move |mut req: http::Request<Incoming>| {
            let protocols = protocols.clone();
            // Any handler may write interim responses (interim.rs).
            req.extensions_mut().insert(interim.clone());
            let has_body = !req.body().is_end_stream();
            async move {
                let mut response = protocols.answering(&req).handle(req).await;
                if has_body && refused(response.status()) {
                    // The refused body may be left unread, and hyper then closes the
                    // connection after the answer without saying so: a client reusing
                    // it for its next request would write into a closed socket.
                    response
                        .headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                }
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(io), service));
        connections.spawn(async move {
            // A client that vanishes mid-request is routine, not an error.
            let _ = connection.await;
        });
        // Reap finished connections so the set stays small.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
    connections.shutdown().await;
    for task in background {
        task.abort();
    }
}

/// An answer that may leave the request's body unread.
fn refused(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}
