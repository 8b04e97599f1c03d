//! The seam between the engine and the protocols: a protocol's part in every request
//! of a run. The engine knows no protocol by name; it hands each request to every
//! session of the run before sending it (to sign it, to frame its body) and each
//! answer after (to note what the run created), and refuses a request carrying an
//! option whose protocol has no session in the run. A session that frames bodies
//! as they are sent does so through `body::BodyEncoding`.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::expect::Received;
use super::request::Prepared;
use super::scope::EvalError;
use crate::scenario::model::ProtocolOption;

/// One protocol's state for a run, shared by every scenario.
pub(crate) trait Session: Send + Sync + fmt::Debug {
    /// The protocol it belongs to: the options of that protocol are its to read.
    fn protocol(&self) -> &'static str;

    /// Prepares a request about to be sent, given the step's options of this protocol.
    fn prepare(
        &self,
        request: &mut Prepared,
        options: &[&dyn ProtocolOption],
        now: SystemTime,
    ) -> Result<(), EvalError>;

    /// Sees the answer to a prepared request.
    fn observe(&self, request: &Prepared, received: &Received);
}

/// The sessions of a run; none for a run that only speaks HTTP as scenarios write it.
#[derive(Clone, Debug, Default)]
pub struct Sessions(pub(crate) Vec<Arc<dyn Session>>);

impl Sessions {
    /// Hands `request` to every session with the step's options of its protocol.
    pub(crate) fn prepare(
        &self,
        request: &mut Prepared,
        options: &[Arc<dyn ProtocolOption>],
        now: SystemTime,
    ) -> Result<(), EvalError> {
        if let Some(unserved) = options
            .iter()
            .find(|option| !self.0.iter().any(|s| s.protocol() == option.protocol()))
        {
            return Err(EvalError::Invalid(unserved.unserved()));
        }
        for session in &self.0 {
            let own: Vec<&dyn ProtocolOption> = options
                .iter()
                .filter(|option| option.protocol() == session.protocol())
                .map(|option| &**option)
                .collect();
            session.prepare(request, &own, now)?;
        }
        Ok(())
    }

    pub(crate) fn observe(&self, request: &Prepared, received: &Received) {
        for session in &self.0 {
            session.observe(request, received);
        }
    }
}
