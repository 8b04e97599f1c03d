//! Per-upload locks. A lock is taken without waiting: a request that finds
//! the upload busy is answered at once (the protocol decides how) instead of
//! queueing behind a possibly stalled body.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use super::UploadId;

/// The set of locked uploads of one store.
#[derive(Debug, Default, Clone)]
pub(super) struct LockTable(Arc<Mutex<HashSet<UploadId>>>);

impl LockTable {
    pub(super) fn try_lock(&self, id: &UploadId) -> Option<UploadLock> {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.insert(*id).then(|| UploadLock {
            id: *id,
            table: self.clone(),
        })
    }
}

/// Proof that the holder alone may change the upload; released on drop.
#[derive(Debug)]
pub struct UploadLock {
    id: UploadId,
    table: LockTable,
}

impl UploadLock {
    pub fn id(&self) -> &UploadId {
        &self.id
    }
}

impl Drop for UploadLock {
    fn drop(&mut self) {
        let mut held = self.table.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time() {
        let table = LockTable::default();
        let id = UploadId::random();
        let first = table.try_lock(&id).expect("free");
        assert!(table.try_lock(&id).is_none());
        assert!(table.try_lock(&UploadId::random()).is_some());
        drop(first);
        assert!(table.try_lock(&id).is_some());
    }
}
