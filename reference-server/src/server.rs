//! The listening side: binds, accepts HTTP/1.1 connections, hands requests
//! to the protocol handler, and shuts down on request.

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
use crate::faults::Faults;
use crate::http::Handler;
use crate::s3::S3;
use crate::store::{FileStore, MemoryStore, StoreError};
use crate::tus::Tus;

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
    addr: SocketAddr,
    base_path: String,
    s3_addr: Option<SocketAddr>,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The creation URL, e.g. `http://127.0.0.1:1080/files/`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.base_path)
    }

    /// The S3 listener's address, when S3 is on.
    pub fn s3_addr(&self) -> Option<SocketAddr> {
        self.s3_addr
    }

    /// The S3 endpoint for `--endpoint-url`, e.g. `http://127.0.0.1:9000`
    /// (no trailing slash; buckets are path-style under it), or `None`
    /// when S3 is off.
    pub fn s3_endpoint(&self) -> Option<String> {
        self.s3_addr.map(|addr| format!("http://{addr}"))
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

/// Which of the server's listeners an error is about.
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
    let (listener, addr) = bind(Listener::Tus, config.listen).await?;
    let (s3_listener, s3_addr) = match &config.s3 {
        Some(s3) => {
            let (listener, addr) = bind(Listener::S3, s3.listen).await?;
            (Some(listener), Some(addr))
        }
        None => (None, None),
    };
    let store_error = |listener| move |source| ServeError::Store { listener, source };
    let (stop, stopped) = oneshot::channel();
    let faults = Faults::new(config.faults.iter().copied());
    let mut stops = vec![stop];
    let mut tasks = Vec::new();
    match &config.store {
        StoreConfig::File { data_dir } => {
            let store = FileStore::open(data_dir.join("tus"), config.fsync)
                .map_err(store_error(Listener::Tus))?;
            let s3 = match (&config.s3, s3_listener) {
                (Some(s3), Some(listener)) => {
                    let store = FileStore::open(data_dir.join("s3"), config.fsync)
                        .map_err(store_error(Listener::S3))?;
                    let handler = S3::open(store, s3, faults, config.idle_timeout)
                        .await
                        .map_err(store_error(Listener::S3))?;
                    Some((listener, handler))
                }
                _ => None,
            };
            tasks.push(tokio::spawn(run(
                listener,
                Tus::new(store, &config),
                stopped,
            )));
            if let Some((listener, handler)) = s3 {
                let (stop, stopped) = oneshot::channel();
                stops.push(stop);
                tasks.push(tokio::spawn(run(listener, handler, stopped)));
            }
        }
        StoreConfig::Memory => {
            tasks.push(tokio::spawn(run(
                listener,
                Tus::new(MemoryStore::new(), &config),
                stopped,
            )));
            if let (Some(s3), Some(listener)) = (&config.s3, s3_listener) {
                let handler = S3::open(MemoryStore::new(), s3, faults, config.idle_timeout)
                    .await
                    .map_err(store_error(Listener::S3))?;
                let (stop, stopped) = oneshot::channel();
                stops.push(stop);
                tasks.push(tokio::spawn(run(listener, handler, stopped)));
            }
        }
    }
    Ok(RunningServer {
        addr,
        base_path: config.base_path,
        s3_addr,
        stops,
        tasks,
    })
}

async fn run<H: Handler>(listener: TcpListener, handler: H, mut stopped: oneshot::Receiver<()>) {
    let handler = Arc::new(handler);
    let background = handler.background().map(tokio::spawn);
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
        let handler = handler.clone();
        let service = service_fn(move |req: http::Request<Incoming>| {
            let handler = handler.clone();
            let has_body = !req.body().is_end_stream();
            async move {
                let mut response = handler.handle(req).await;
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
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
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
    if let Some(task) = background {
        task.abort();
    }
}

/// An answer that may leave the request's body unread.
fn refused(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}
