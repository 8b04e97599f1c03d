//! An in-memory store for tests and throw-away servers. It keeps the same
//! contract as the file store (records are serialised, uncommitted bytes are
//! invisible) so tests against it exercise the same protocol paths.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::lock::LockTable;
use super::{Appender, ByteStream, Record, Store, StoreError, UploadId, UploadLock};

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    uploads: Arc<Mutex<HashMap<UploadId, Entry>>>,
    locks: LockTable,
}

#[derive(Debug)]
struct Entry {
    /// The serialised meta, so a type mismatch fails here as it would on disk.
    meta: Vec<u8>,
    /// Exactly the committed bytes.
    data: Vec<u8>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<UploadId, Entry>) -> T) -> T {
        f(&mut self.uploads.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn encode<M: Serialize>(id: &UploadId, meta: &M) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(meta).map_err(|source| StoreError::Encode { id: *id, source })
}

impl Store for MemoryStore {
    type Appender = MemoryAppender;

    async fn create<M: Serialize + Sync>(&self, meta: &M) -> Result<UploadLock, StoreError> {
        loop {
            let id = UploadId::random();
            let Some(lock) = self.locks.try_lock(&id) else {
                continue;
            };
            let meta = encode(&id, meta)?;
            let fresh = self.with(|uploads| {
                if uploads.contains_key(&id) {
                    return false;
                }
                uploads.insert(
                    id,
                    Entry {
                        meta,
                        data: Vec::new(),
                    },
                );
                true
            });
            if fresh {
                return Ok(lock);
            }
        }
    }

    async fn load<M: DeserializeOwned>(
        &self,
        id: &UploadId,
    ) -> Result<Option<Record<M>>, StoreError> {
        self.with(|uploads| {
            uploads
                .get(id)
                .map(|entry| {
                    let meta = serde_json::from_slice(&entry.meta).map_err(|source| {
                        StoreError::Corrupt {
                            path: format!("memory:{id}").into(),
                            source,
                        }
                    })?;
                    Ok(Record {
                        offset: entry.data.len() as u64,
                        meta,
                    })
                })
                .transpose()
        })
    }

    fn try_lock(&self, id: &UploadId) -> Option<UploadLock> {
        self.locks.try_lock(id)
    }

    async fn replace<M: Serialize + Sync>(
        &self,
        lock: &UploadLock,
        record: &Record<M>,
    ) -> Result<(), StoreError> {
        let id = *lock.id();
        let meta = encode(&id, &record.meta)?;
        self.with(|uploads| {
            let entry = uploads.get_mut(&id).ok_or(StoreError::Missing(id))?;
            let current = entry.data.len() as u64;
            if record.offset > current {
                return Err(StoreError::OffsetForward {
                    id,
                    current,
                    requested: record.offset,
                });
            }
            entry.data.truncate(record.offset as usize);
            entry.meta = meta;
            Ok(())
        })
    }

    async fn append(&self, lock: &UploadLock, offset: u64) -> Result<MemoryAppender, StoreError> {
        let id = *lock.id();
        self.with(|uploads| match uploads.get(&id) {
            Some(entry) if entry.data.len() as u64 == offset => Ok(()),
            Some(entry) => Err(StoreError::OffsetForward {
                id,
                current: entry.data.len() as u64,
                requested: offset,
            }),
            None => Err(StoreError::Missing(id)),
        })?;
        Ok(MemoryAppender {
            store: self.clone(),
            id,
            pending: Vec::new(),
        })
    }

    async fn read_range(
        &self,
        id: &UploadId,
        start: u64,
        len: u64,
    ) -> Result<ByteStream, StoreError> {
        let bytes = self.with(|uploads| {
            let entry = uploads.get(id).ok_or(StoreError::Missing(*id))?;
            let start = (start as usize).min(entry.data.len());
            let end = start.saturating_add(len as usize).min(entry.data.len());
            Ok(Bytes::copy_from_slice(&entry.data[start..end]))
        })?;
        Ok(Box::pin(stream::iter([Ok(bytes)])))
    }

    async fn remove(&self, lock: UploadLock) -> Result<(), StoreError> {
        self.with(|uploads| uploads.remove(lock.id()));
        Ok(())
    }

    async fn list(&self) -> Result<Vec<UploadId>, StoreError> {
        Ok(self.with(|uploads| uploads.keys().copied().collect()))
    }
}

/// Buffers written bytes until commit.
#[derive(Debug)]
pub struct MemoryAppender {
    store: MemoryStore,
    id: UploadId,
    pending: Vec<u8>,
}

impl Appender for MemoryAppender {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.pending.extend_from_slice(&chunk);
        Ok(())
    }

    async fn commit<M: Serialize + Sync>(&mut self, meta: &M) -> Result<u64, StoreError> {
        let id = self.id;
        let meta = encode(&id, meta)?;
        let pending = std::mem::take(&mut self.pending);
        self.store.with(|uploads| {
            let entry = uploads.get_mut(&id).ok_or(StoreError::Missing(id))?;
            entry.data.extend_from_slice(&pending);
            entry.meta = meta;
            Ok(entry.data.len() as u64)
        })
    }
}
