//! Interim (1xx) responses, as hyper reports them before the final response.

use std::sync::{Arc, Mutex};

use http::{HeaderMap, StatusCode};

use super::expect_continue::ContinueGate;

/// Interim responses kept per exchange; more are only counted, so a server that
/// floods them costs neither memory nor time beyond the step's own bound.
pub(crate) const INTERIM_KEPT: usize = 100;

/// The interim responses one exchange received, in order of arrival.
#[derive(Clone, Debug, Default)]
pub(crate) struct InterimLog(Arc<Mutex<Interims>>);

#[derive(Debug, Default)]
pub(crate) struct Interims {
    /// The first [`INTERIM_KEPT`], in order.
    pub(crate) kept: Vec<(StatusCode, HeaderMap)>,
    /// All of them, kept or not.
    pub(crate) count: u64,
}

impl InterimLog {
    /// Records into this log every interim response `request` receives, and
    /// opens `gate` (a body held for `Expect: 100-continue`) on a 100.
    pub(crate) fn attach<B>(&self, request: &mut http::Request<B>, gate: Option<ContinueGate>) {
        let log = self.clone();
        hyper::ext::on_informational(request, move |response| {
            if response.status() == StatusCode::CONTINUE
                && let Some(gate) = &gate
            {
                gate.continued();
            }
            let mut interims = log
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            interims.count += 1;
            if interims.kept.len() < INTERIM_KEPT {
                interims
                    .kept
                    .push((response.status(), response.headers().clone()));
            }
        });
    }

    /// What arrived so far.
    pub(crate) fn take(&self) -> Interims {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}
