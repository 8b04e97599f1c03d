//! Interim (1xx) responses a handler writes itself, before its final one.
//!
//! hyper's HTTP/1.1 server sends no 1xx response but its own automatic
//! `100 Continue`. A protocol that must announce something before its final
//! answer (the IETF draft's `104 Upload Resumption Supported`, carrying the
//! new upload's `Location`) needs to put a response head on the wire while
//! the request is still being handled. This module is that seam, for any
//! protocol: the accept loop wraps every socket in an [`InterimIo`], and
//! every request carries an [`Interim`] in its extensions, through which the
//! handler writes complete interim heads onto the same socket.
//!
//! # Why the bytes cannot interleave with hyper's
//!
//! Both writers go through one write half behind one lock, so no write is
//! ever split by the other. Ordering is kept by two rules:
//!
//! * **An interim head waits until hyper has flushed** everything it wrote
//!   (`flushed`, set when hyper's `poll_flush` completes and cleared by its
//!   next write). hyper reads the next request's head only once the previous
//!   response has been encoded, and its dispatch loop flushes after every
//!   write pass, so when a handler runs, the previous (pipelined) response is
//!   either on the socket or still being flushed, never half-encoded;
//!   waiting for the flush puts the interim head after all of it.
//! * **hyper waits while an interim head is being written** (`poll_write`
//!   returns `Pending` until it is done), so a head is never cut by hyper.
//!
//! The invariant a handler keeps: it awaits [`Interim::send`] **before it
//! polls the request body**, or only once it holds the body's second data
//! frame (next section). Before the body is polled, hyper writes nothing for the current request
//! until then: no final response (the handler has not returned) and no
//! `100 Continue` (which hyper sends when the body is first polled). So with
//! `Expect: 100-continue` the client sees the handler's interim heads first,
//! then hyper's `100 Continue`, then the final response.
//!
//! # Heads sent while the body is being received
//!
//! A handler may also send heads after it has started reading the body
//! (the draft's progress 104s during an append), once it holds **its second
//! data frame** or later. Polling the body is what makes hyper queue its
//! `100 Continue` (for `Expect: 100-continue`), in the same pass that hands
//! over the first frame, and hyper's dispatcher then writes and flushes it
//! before it reads again (handlers run inside the connection's task, as the
//! accept loop's `service_fn` future, so they cannot race that pass); it hands the handler one frame at a time (the
//! body channel holds one), so the second frame comes only after that
//! flush was attempted. If the socket took only part of it, hyper's write
//! returned `Pending` and `flushed` is false until hyper has written the
//! rest, so a head still waits for the whole `100 Continue`. The first
//! frame may arrive before that flush: a handler sends nothing on it.
//! Without `Expect`, hyper writes nothing for the request before the final
//! response, so the same rule is merely cautious.
//!
//! A head abandoned half-written (its `send` future dropped, e.g. by a
//! timeout on a client that reads nothing) cannot be taken back: the
//! connection is then marked broken and hyper's next write fails, which
//! closes it, rather than sending a final response after half a head.
//!
//! Interim responses are never sent to HTTP/1.0 clients (RFC 9110 §15.2:
//! "a server MUST NOT send a 1xx response to an HTTP/1.0 client"):
//! [`Interim::of`] returns `None` for them.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use http::{HeaderMap, Request, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The write side shared by hyper and the handlers of one connection.
struct Shared {
    write: OwnedWriteHalf,
    /// Every byte hyper handed over has been flushed to the socket, and
    /// hyper holds none it tried to write (a write that returned `Pending`
    /// clears it: hyper still has those bytes).
    flushed: bool,
    /// An interim head is partly written: hyper must wait.
    interim_busy: bool,
    /// A head was abandoned half-written (its sender was dropped): the
    /// byte stream is broken, so every later write fails.
    broken: bool,
    /// Tasks waiting for the other writer to finish.
    waiters: Vec<Waker>,
}

impl Shared {
    fn wake_all(&mut self) {
        for waker in self.waiters.drain(..) {
            waker.wake();
        }
    }

    /// What hyper gets instead of writing: `Pending` while a head is being
    /// written, an error once one was abandoned half-way.
    fn hyper_waits<T>(&mut self, cx: &Context<'_>) -> Option<Poll<io::Result<T>>> {
        if self.broken {
            return Some(Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())));
        }
        if self.interim_busy {
            // hyper has bytes to write: the next head waits for them.
            self.flushed = false;
            self.park(cx);
            return Some(Poll::Pending);
        }
        None
    }

    fn park(&mut self, cx: &Context<'_>) {
        if !self.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            self.waiters.push(cx.waker().clone());
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic while holding the lock leaves nothing half-updated that
    // matters more than the connection itself; carry on.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A TCP connection as hyper sees it: reads pass straight through, writes
/// share the socket with the connection's [`Interim`] handles.
pub(crate) struct InterimIo {
    read: OwnedReadHalf,
    shared: Arc<Mutex<Shared>>,
}

impl InterimIo {
    /// Wraps `stream`; the returned [`Interim`] goes into every request of
    /// this connection.
    pub fn new(stream: TcpStream) -> (Self, Interim) {
        let (read, write) = stream.into_split();
        let shared = Arc::new(Mutex::new(Shared {
            write,
            flushed: true,
            interim_busy: false,
            broken: false,
            waiters: Vec::new(),
        }));
        let interim = Interim {
            shared: shared.clone(),
        };
        (Self { read, shared }, interim)
    }
}

impl AsyncRead for InterimIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for InterimIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut shared = lock(&self.shared);
        if let Some(waiting) = shared.hyper_waits(cx) {
            return waiting;
        }
        let written = Pin::new(&mut shared.write).poll_write(cx, buf);
        // Bytes written but not flushed, or bytes hyper still holds
        // because the socket is full: either way a head must wait.
        if written.is_pending() || matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            shared.flushed = false;
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut shared = lock(&self.shared);
        if let Some(waiting) = shared.hyper_waits(cx) {
            return waiting;
        }
        let written = Pin::new(&mut shared.write).poll_write_vectored(cx, bufs);
        // Bytes written but not flushed, or bytes hyper still holds
        // because the socket is full: either way a head must wait.
        if written.is_pending() || matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            shared.flushed = false;
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut shared = lock(&self.shared);
        if let Some(waiting) = shared.hyper_waits(cx) {
            return waiting;
        }
        let flushed = Pin::new(&mut shared.write).poll_flush(cx);
        if matches!(flushed, Poll::Ready(Ok(()))) {
            shared.flushed = true;
            shared.wake_all();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut shared = lock(&self.shared);
        Pin::new(&mut shared.write).poll_shutdown(cx)
    }
}

/// A handle for writing interim responses on the connection a request came
/// in on. Cheap to clone; found in every request's extensions.
#[derive(Clone)]
pub(crate) struct Interim {
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for Interim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interim")
    }
}

impl Interim {
    /// The handle for `req`'s connection, unless the client speaks HTTP/1.0
    /// (or the request did not come through the accept loop).
    pub fn of<B>(req: &Request<B>) -> Option<Self> {
        if req.version() < Version::HTTP_11 {
            return None;
        }
        req.extensions().get::<Interim>().cloned()
    }

    /// Writes one complete interim response head (`status` must be 1xx
    /// other than 101) and waits until it is on the socket. Call it before
    /// polling the request's body, or once the second data frame of the
    /// body has arrived (see the module docs).
    pub async fn send(&self, status: StatusCode, headers: &HeaderMap) -> io::Result<()> {
        if !status.is_informational() || status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{status} is not an interim status"),
            ));
        }
        let head = head(status, headers);
        let mut sent = 0;
        // Dropped before the head is out (a timeout, a cancelled handler):
        // a half-written head cannot be taken back, so the connection is
        // marked broken and hyper's next write fails, closing it.
        let abandon = Abandon(&self.shared);
        let result = std::future::poll_fn(|cx| {
            let mut shared = lock(&self.shared);
            if !shared.interim_busy {
                // Starting: wait for hyper's bytes to be on the wire first.
                if !shared.flushed {
                    shared.park(cx);
                    return Poll::Pending;
                }
                shared.interim_busy = true;
            }
            while sent < head.len() {
                match Pin::new(&mut shared.write).poll_write(cx, &head[sent..]) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(finish(&mut shared, io::ErrorKind::WriteZero)));
                    }
                    Poll::Ready(Ok(n)) => sent += n,
                    Poll::Ready(Err(e)) => {
                        shared.interim_busy = false;
                        shared.wake_all();
                        return Poll::Ready(Err(e));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
            let flushed = Pin::new(&mut shared.write).poll_flush(cx);
            if flushed.is_pending() {
                return Poll::Pending;
            }
            shared.interim_busy = false;
            shared.wake_all();
            flushed
        })
        .await;
        std::mem::forget(abandon);
        result
    }
}

/// Marks the connection broken if dropped while its head is half-written.
struct Abandon<'a>(&'a Mutex<Shared>);

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        let mut shared = lock(self.0);
        if shared.interim_busy {
            shared.interim_busy = false;
            shared.broken = true;
            shared.wake_all();
        }
    }
}

fn finish(shared: &mut Shared, kind: io::ErrorKind) -> io::Error {
    shared.interim_busy = false;
    shared.wake_all();
    io::Error::from(kind)
}

/// `HTTP/1.1 <code> <reason>`, the fields, and the empty line.
fn head(status: StatusCode, headers: &HeaderMap) -> Vec<u8> {
    let reason = match status.as_u16() {
        // RFC 9110 has no name for it; the draft registers this one.
        104 => "Upload Resumption Supported",
        _ => status.canonical_reason().unwrap_or("Interim"),
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", status.as_u16()).into_bytes();
    for (name, value) in headers {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_complete_messages() {
        let mut headers = HeaderMap::new();
        headers.insert("location", "/files/x".parse().unwrap());
        assert_eq!(
            head(StatusCode::from_u16(104).unwrap(), &headers),
            b"HTTP/1.1 104 Upload Resumption Supported\r\nlocation: /files/x\r\n\r\n"
        );
        assert_eq!(
            head(StatusCode::EARLY_HINTS, &HeaderMap::new()),
            b"HTTP/1.1 103 Early Hints\r\n\r\n"
        );
    }
}
