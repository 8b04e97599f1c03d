//! `Expect: 100-continue`: the body held back until the server says to send it.
//!
//! hyper's client writes a request body as soon as it has written the head, so
//! a request that carries the expectation sends its body through a [`Held`]
//! wrapper instead. The wrapper yields nothing until the [`ContinueGate`] opens,
//! which happens on the first of:
//!
//! - a `100 (Continue)` (the interim log reports it, see `InterimLog::attach`):
//!   the body goes;
//! - a final response (the exchange reports it): the body is never sent, and it
//!   ends in an error so that hyper closes the connection, which then cannot be
//!   reused with the expectation unanswered on it;
//! - the client's wait running out, which RFC 9110 §10.1.1 allows ("a client
//!   that sends a 100-continue expectation is not required to wait for any
//!   specific length of time"): the body goes, and the exchange records that it
//!   had to be pushed.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::header::EXPECT;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use super::{BodyError, RequestBody};
use crate::engine::outcome::ContinueOutcome;

/// How long a request with `Expect: 100-continue` waits by default: what curl
/// waits (`--expect100-timeout`).
pub(crate) const DEFAULT_CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// Whether the request's headers carry a 100-continue expectation (the field
/// value is case-insensitive, RFC 9110 §10.1.1).
pub(crate) fn expects_continue(headers: &HeaderMap) -> bool {
    headers.get_all(EXPECT).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|value| value.trim().eq_ignore_ascii_case("100-continue"))
    })
}

/// Decides when a held body may go; shared by the body, the interim log and the
/// exchange.
#[derive(Clone, Debug, Default)]
pub(crate) struct ContinueGate(Arc<Mutex<GateState>>);

#[derive(Debug, Default)]
struct GateState {
    outcome: Option<ContinueOutcome>,
    waker: Option<Waker>,
}

impl ContinueGate {
    /// A `100 (Continue)` arrived.
    pub(crate) fn continued(&self) {
        self.decide(ContinueOutcome::Continued);
    }

    /// A final response arrived.
    pub(crate) fn answered(&self) {
        self.decide(ContinueOutcome::Answered);
    }

    /// How the expectation was settled; `None` while it is not (or when the
    /// request had no body to hold).
    pub(crate) fn outcome(&self) -> Option<ContinueOutcome> {
        self.state().outcome
    }

    /// Holds `body` until the gate opens or `wait` passes.
    pub(crate) fn hold(&self, body: RequestBody, wait: Duration) -> RequestBody {
        RequestBody::new(Held {
            body,
            gate: self.clone(),
            wait,
            timer: None,
            withheld: false,
        })
    }

    /// The first decision stands.
    fn decide(&self, outcome: ContinueOutcome) {
        let mut state = self.state();
        if state.outcome.is_none() {
            state.outcome = Some(outcome);
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A request body that waits for its gate.
struct Held {
    body: RequestBody,
    gate: ContinueGate,
    wait: Duration,
    /// Started at the first poll: hyper polls the body once the head is written.
    timer: Option<Pin<Box<Sleep>>>,
    /// The body was refused by a final response, and has said so.
    withheld: bool,
}

/// The error a withheld body ends with, closing the connection.
#[derive(Debug)]
struct Withheld;

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body withheld: the server answered before 100 (Continue)")
    }
}

impl std::error::Error for Withheld {}

impl Body for Held {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        if this.withheld {
            return Poll::Ready(None);
        }
        let outcome = {
            let mut state = this.gate.state();
            if state.outcome.is_none() {
                state.waker = Some(cx.waker().clone());
            }
            state.outcome
        };
        let outcome = match outcome {
            Some(outcome) => outcome,
            None => {
                let wait = this.wait;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(wait)));
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.gate.decide(ContinueOutcome::WaitElapsed);
                this.gate.outcome().unwrap_or(ContinueOutcome::WaitElapsed)
            }
        };
        match outcome {
            ContinueOutcome::Continued | ContinueOutcome::WaitElapsed => {
                Pin::new(&mut this.body).poll_frame(cx)
            }
            ContinueOutcome::Answered => {
                this.withheld = true;
                Poll::Ready(Some(Err(Box::new(Withheld))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
