//! Opening a connection to an origin: TCP, then TLS on `https`.

use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock};

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::{Host, Url};

use super::TransportError;

/// Where a connection goes: requests to the same origin may share one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Origin {
    tls: bool,
    host: Host<String>,
    port: u16,
}

impl Origin {
    pub(super) fn of(url: &Url) -> Result<Origin, TransportError> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(TransportError::Url(format!(
                    "`{url}`: the scheme `{other}` is not http or https"
                )));
            }
        };
        let host = url
            .host()
            .ok_or_else(|| TransportError::Url(format!("`{url}` names no host")))?
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| TransportError::Url(format!("`{url}` names no port")))?;
        Ok(Origin { tls, host, port })
    }

    /// Opens a TCP connection, with TLS on `https`.
    pub(super) async fn connect(&self) -> Result<Io, TransportError> {
        let connecting = match &self.host {
            Host::Domain(name) => TcpStream::connect((name.as_str(), self.port)).await,
            Host::Ipv4(ip) => TcpStream::connect((*ip, self.port)).await,
            Host::Ipv6(ip) => TcpStream::connect((*ip, self.port)).await,
        };
        let tcp = connecting.map_err(|source| TransportError::Connect {
            origin: self.to_string(),
            source,
        })?;
        // Small writes (a request head, a short body) go out at once, as curl's do.
        tcp.set_nodelay(true)
            .map_err(|source| TransportError::Connect {
                origin: self.to_string(),
                source,
            })?;
        if !self.tls {
            return Ok(TokioIo::new(Box::new(tcp)));
        }
        let name = match &self.host {
            Host::Domain(name) => ServerName::try_from(name.clone()).map_err(|error| {
                TransportError::Url(format!("`{name}` is not a TLS server name: {error}"))
            })?,
            Host::Ipv4(ip) => ServerName::IpAddress((*ip).into()),
            Host::Ipv6(ip) => ServerName::IpAddress((*ip).into()),
        };
        let tls = TlsConnector::from(http1_tls_config())
            .connect(name, tcp)
            .await
            .map_err(|source: io::Error| TransportError::Tls {
                origin: self.to_string(),
                source,
            })?;
        Ok(TokioIo::new(Box::new(tls)))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// A byte stream a connection runs on: plain TCP or TLS over it.
pub(super) trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// What hyper reads and writes.
pub(super) type Io = TokioIo<Box<dyn Stream>>;

/// The process-wide TLS set-up, offering only HTTP/1.1 by ALPN: this client speaks
/// nothing else, and a server must not pick a protocol the client did not offer.
fn http1_tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut config = crate::engine::tls_config().clone();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}
