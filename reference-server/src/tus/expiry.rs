//! The expiry sweeper: turns expired uploads into tombstones, dropping their
//! bytes. Requests do not wait for it: an expired upload answers 410 as
//! soon as its time has passed (see `upload::is_expired`).

use std::time::{Duration, SystemTime};

use super::upload::{TusUpload, is_expired};
use crate::store::{Record, Store, StoreError};

pub(super) async fn sweep<S: Store>(store: S, period: Duration) {
    let every = (period / 2).clamp(Duration::from_millis(100), Duration::from_secs(60));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = sweep_once(&store).await {
            eprintln!("upspec-reference-server: expiry sweep: {e}");
        }
    }
}

async fn sweep_once<S: Store>(store: &S) -> Result<(), StoreError> {
    let due = |r: &Record<TusUpload>| !r.meta.expired && is_expired(r, SystemTime::now());
    for id in store.list().await? {
        if !store.load::<TusUpload>(&id).await?.is_some_and(|r| due(&r)) {
            continue;
        }
        // A busy upload is being written to: it is not idle, skip it.
        let Some(lock) = store.try_lock(&id) else {
            continue;
        };
        // Checked again under the lock: a PATCH may have just refreshed it.
        let Some(record) = store.load::<TusUpload>(&id).await?.filter(due) else {
            continue;
        };
        let mut meta = record.meta;
        meta.expired = true;
        store.replace(&lock, &Record { offset: 0, meta }).await?;
    }
    Ok(())
}
