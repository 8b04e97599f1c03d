//! One HTTP/1.1 connection, driven by a task of its own that can tell what the
//! server sent after a response's declared end.
//!
//! hyper stops an idle client connection with an "unexpected message" error when
//! bytes arrive that no request asked for, and a connection that closes after a
//! response keeps what it read past the end in its read buffer. The task therefore
//! runs the connection without shutting it down, and when it ends takes the IO
//! back (`into_parts`): whatever is left in the read buffer was sent after the end
//! of the last response. Detection is deterministic because an exchange, once its
//! body has ended, asks the task to poll the connection once more ([`settle`]):
//! hyper then reads what the server sent so far, and either fails on it or
//! stays idle.
//!
//! [`settle`]: Connection::settle

use std::future::poll_fn;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::RequestBody;
use super::connect::Io;

/// An open connection and the task that drives it.
pub(super) struct Connection {
    sender: http1::SendRequest<RequestBody>,
    /// Asks the task to poll the connection and answer once it has.
    nudges: mpsc::UnboundedSender<oneshot::Sender<()>>,
    /// Ends with the bytes read but never parsed as a response.
    driver: JoinHandle<Bytes>,
}

/// What became of a connection after its response ended.
pub(super) enum Settled {
    /// Idle and ready for the next request.
    Open(Connection),
    /// Closed, or busy with a request body that is still being sent: not reusable.
    Gone,
    /// Closed after the server sent these bytes past the response's end.
    Trailing(Bytes),
}

impl Connection {
    pub(super) async fn open(io: Io) -> hyper::Result<Connection> {
        let (sender, connection) = http1::Builder::new().handshake(io).await?;
        let (nudges, nudged) = mpsc::unbounded_channel();
        let driver = tokio::spawn(drive(connection, nudged));
        Ok(Connection {
            sender,
            nudges,
            driver,
        })
    }

    /// Whether the connection may still carry a request (the server may close it
    /// at any moment all the same).
    pub(super) fn is_alive(&self) -> bool {
        !self.sender.is_closed() && !self.driver.is_finished()
    }

    /// Waits until the connection can take a request; fails if it closed.
    pub(super) async fn ready(&mut self) -> hyper::Result<()> {
        self.sender.ready().await
    }

    /// Sends a request; on failure, gives the request back if none of it was written.
    pub(super) async fn send(
        &mut self,
        request: http::Request<RequestBody>,
    ) -> Result<http::Response<Incoming>, (hyper::Error, Option<http::Request<RequestBody>>)> {
        self.sender
            .try_send_request(request)
            .await
            .map_err(|mut error| {
                let unsent = error.take_message();
                (error.into_error(), unsent)
            })
    }

    /// After a response body has ended: lets the connection take in whatever the
    /// server has sent since, and says whether it can carry the next request.
    pub(super) async fn settle(self) -> Settled {
        let (polled, answer) = oneshot::channel();
        let alive = self.nudges.send(polled).is_ok() && answer.await.is_ok();
        if alive {
            // Still sending a request body (the server answered early): dropping
            // the sender lets the connection end with that body.
            return if self.sender.is_ready() {
                Settled::Open(self)
            } else {
                Settled::Gone
            };
        }
        // The task dropped the nudge unanswered: it has ended, or is ending now.
        match self.driver.await {
            Ok(leftover) if !leftover.is_empty() => Settled::Trailing(leftover),
            Ok(_) | Err(_) => Settled::Gone,
        }
    }
}

/// Runs the connection until it ends, answering nudges after each poll that left
/// it waiting, and returns what it read past the last response.
async fn drive(
    mut connection: http1::Connection<Io, RequestBody>,
    mut nudged: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
) -> Bytes {
    loop {
        tokio::select! {
            // The connection first: a nudge is answered only after a poll that
            // left the connection waiting for the network.
            biased;
            // How it ended (closed, failed on unexpected bytes, failed sending) is
            // told to the exchange in flight by hyper itself; what matters here is
            // what is left unread.
            _ = poll_fn(|cx| connection.poll_without_shutdown(cx)) => break,
            Some(polled) = nudged.recv() => {
                let _ = polled.send(());
            }
        }
    }
    connection.into_parts().read_buf
}
