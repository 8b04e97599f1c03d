//! An in-memory store for tests and throw-away servers. It keeps the same
//! contract as the file store (records are serialised, uncommitted bytes are
//! invisible) so tests against it exercise the same protocol paths.
//!
//! A spilling store keeps an upload's bytes in memory only while they are
//! few: past [`SPILL_AT`] they move to an anonymous temporary file, which the
//! system removes when the store lets go of it. A run of the whole suite
//! against the embedded server leaves some 200 MB of S3 parts until its end;
//! spilled, they stay out of the process, at one file per large upload rather
//! than the file store's records and renames for every small one.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::lock::LockTable;
use super::{Appender, ByteStream, Record, Store, StoreError, UploadId, UploadLock};

/// Bytes an upload may hold in memory in a spilling store before they move
/// to a file: small uploads (a tus PATCH of a few bytes, the thousand tiny
/// parts of a ListParts scenario) never touch the disk.
pub const SPILL_AT: usize = 256 * 1024;

/// What is read from a spilled upload at once.
const READ_CHUNK: u64 = 64 * 1024;

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    uploads: Arc<Mutex<HashMap<UploadId, Entry>>>,
    locks: LockTable,
    /// Large uploads go to anonymous temporary files.
    spill: bool,
}

#[derive(Debug)]
struct Entry {
    /// The serialised meta, so a type mismatch fails here as it would on disk.
    meta: Vec<u8>,
    /// Exactly the committed bytes.
    data: Data,
}

/// An upload's committed bytes.
#[derive(Debug)]
enum Data {
    Held(Vec<u8>),
    /// The first `len` bytes of an anonymous file; bytes past them are an
    /// append not yet committed, invisible to readers.
    Spilled {
        file: Arc<File>,
        len: u64,
    },
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Data::Held(bytes) => bytes.len() as u64,
            Data::Spilled { len, .. } => *len,
        }
    }

    fn truncate(&mut self, to: u64) {
        match self {
            Data::Held(bytes) => bytes.truncate(to as usize),
            Data::Spilled { len, .. } => *len = (*len).min(to),
        }
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose large uploads move to anonymous temporary files (see
    /// [`SPILL_AT`]).
    pub fn spilling() -> Self {
        Self {
            spill: true,
            ..Self::default()
        }
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
                        data: Data::Held(Vec::new()),
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
                        offset: entry.data.len(),
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
            let current = entry.data.len();
            if record.offset > current {
                return Err(StoreError::OffsetForward {
                    id,
                    current,
                    requested: record.offset,
                });
            }
            entry.data.truncate(record.offset);
            entry.meta = meta;
            Ok(())
        })
    }

    async fn append(&self, lock: &UploadLock, offset: u64) -> Result<MemoryAppender, StoreError> {
        let id = *lock.id();
        let file = self.with(|uploads| match uploads.get(&id) {
            Some(entry) if entry.data.len() == offset => Ok(match &entry.data {
                Data::Held(_) => None,
                Data::Spilled { file, .. } => Some(file.clone()),
            }),
            Some(entry) => Err(StoreError::OffsetForward {
                id,
                current: entry.data.len(),
                requested: offset,
            }),
            None => Err(StoreError::Missing(id)),
        })?;
        Ok(MemoryAppender {
            store: self.clone(),
            id,
            pending: Pending::Held(Vec::new()),
            file,
            offset,
        })
    }

    async fn read_range(
        &self,
        id: &UploadId,
        start: u64,
        len: u64,
    ) -> Result<ByteStream, StoreError> {
        let range = self.with(|uploads| {
            let entry = uploads.get(id).ok_or(StoreError::Missing(*id))?;
            let start = start.min(entry.data.len());
            let end = start.saturating_add(len).min(entry.data.len());
            Ok(match &entry.data {
                Data::Held(bytes) => {
                    Range::Held(Bytes::copy_from_slice(&bytes[start as usize..end as usize]))
                }
                Data::Spilled { file, .. } => Range::Spilled {
                    file: file.clone(),
                    start,
                    end,
                },
            })
        })?;
        match range {
            Range::Held(bytes) => Ok(Box::pin(stream::iter([Ok(bytes)]))),
            // Read as the body goes out, a chunk at a time, not the whole range at once.
            Range::Spilled { file, start, end } => Ok(Box::pin(stream::unfold(start, move |at| {
                let file = file.clone();
                async move {
                    if at >= end {
                        return None;
                    }
                    let mut chunk = vec![0; (end - at).min(READ_CHUNK) as usize];
                    Some(match file.read_exact_at(&mut chunk, at) {
                        Ok(()) => (Ok(Bytes::from(chunk)), at + READ_CHUNK),
                        Err(error) => (Err(error), end),
                    })
                }
            }))),
        }
    }

    async fn remove(&self, lock: UploadLock) -> Result<(), StoreError> {
        self.with(|uploads| uploads.remove(lock.id()));
        Ok(())
    }

    async fn list(&self) -> Result<Vec<UploadId>, StoreError> {
        Ok(self.with(|uploads| uploads.keys().copied().collect()))
    }
}

/// A range being read: copied out of memory, or read from the file as it goes.
enum Range {
    Held(Bytes),
    Spilled {
        file: Arc<File>,
        start: u64,
        end: u64,
    },
}

/// Appends to one upload: bytes are buffered until commit, or, once the
/// upload is spilled, written to its file past the committed length.
#[derive(Debug)]
pub struct MemoryAppender {
    store: MemoryStore,
    id: UploadId,
    /// The committed length when the append began.
    offset: u64,
    /// The upload's file, once it has one.
    file: Option<Arc<File>>,
    pending: Pending,
}

/// What an appender has written since its last commit.
#[derive(Debug)]
enum Pending {
    Held(Vec<u8>),
    /// This many bytes in the file, past `offset`.
    Spilled(u64),
}

impl MemoryAppender {
    fn io_error(&self, action: &'static str) -> impl FnOnce(io::Error) -> StoreError {
        let path = format!("memory:{}", self.id).into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// Moves the upload to an anonymous file: its committed bytes, then what
    /// this appender holds. Returns how many pending bytes the file now has.
    fn spill(&mut self, held: &[u8]) -> Result<u64, StoreError> {
        let file = Arc::new(tempfile::tempfile().map_err(self.io_error("creating a spill file"))?);
        let id = self.id;
        // Copied, not taken: readers see the committed bytes until the file has them.
        let committed = self.store.with(|uploads| match uploads.get(&id) {
            Some(Entry {
                data: Data::Held(bytes),
                ..
            }) => Ok(bytes.clone()),
            Some(_) => unreachable!("an upload without a file is held"),
            None => Err(StoreError::Missing(id)),
        })?;
        file.write_all_at(&committed, 0)
            .and_then(|()| file.write_all_at(held, committed.len() as u64))
            .map_err(self.io_error("writing a spill file"))?;
        self.store.with(|uploads| {
            if let Some(entry) = uploads.get_mut(&id) {
                entry.data = Data::Spilled {
                    file: file.clone(),
                    len: committed.len() as u64,
                };
            }
        });
        self.file = Some(file);
        Ok(held.len() as u64)
    }
}

impl Appender for MemoryAppender {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let at = match &mut self.pending {
            Pending::Held(held) => {
                held.extend_from_slice(&chunk);
                if !self.store.spill || self.offset as usize + held.len() <= SPILL_AT {
                    return Ok(());
                }
                let held = std::mem::take(held);
                let written = match &self.file {
                    Some(file) => {
                        file.write_all_at(&held, self.offset)
                            .map_err(self.io_error("writing a spill file"))?;
                        held.len() as u64
                    }
                    None => self.spill(&held)?,
                };
                self.pending = Pending::Spilled(written);
                return Ok(());
            }
            Pending::Spilled(written) => self.offset + *written,
        };
        let file = self.file.as_ref().expect("a spilled append has a file");
        file.write_all_at(&chunk, at)
            .map_err(self.io_error("writing a spill file"))?;
        if let Pending::Spilled(written) = &mut self.pending {
            *written += chunk.len() as u64;
        }
        Ok(())
    }

    async fn commit<M: Serialize + Sync>(&mut self, meta: &M) -> Result<u64, StoreError> {
        let id = self.id;
        let meta = encode(&id, meta)?;
        let pending = std::mem::replace(&mut self.pending, Pending::Held(Vec::new()));
        if let (Pending::Held(held), Some(file)) = (&pending, &self.file) {
            // An upload spilled by an earlier append: its bytes go to the file.
            file.write_all_at(held, self.offset)
                .map_err(self.io_error("writing a spill file"))?;
        }
        let committed = self.store.with(|uploads| {
            let entry = uploads.get_mut(&id).ok_or(StoreError::Missing(id))?;
            match (&mut entry.data, pending) {
                (Data::Held(bytes), Pending::Held(held)) => bytes.extend_from_slice(&held),
                (Data::Spilled { len, .. }, Pending::Held(held)) => *len += held.len() as u64,
                (Data::Spilled { len, .. }, Pending::Spilled(written)) => *len += written,
                (Data::Held(_), Pending::Spilled(_)) => {
                    unreachable!("spilling moves the upload to its file")
                }
            }
            entry.meta = meta;
            Ok(entry.data.len())
        })?;
        self.offset = committed;
        Ok(committed)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;

    use super::*;
    use crate::store::Record;

    async fn read(store: &MemoryStore, id: &UploadId, start: u64, len: u64) -> Vec<u8> {
        let mut stream = store.read_range(id, start, len).await.unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    async fn offset(store: &MemoryStore, id: &UploadId) -> u64 {
        store.load::<u32>(id).await.unwrap().unwrap().offset
    }

    #[tokio::test]
    async fn a_spilled_upload_keeps_the_contract_of_a_held_one() {
        let bytes: Vec<u8> = (0..3 * SPILL_AT + 5).map(|i| (i % 251) as u8).collect();
        for store in [MemoryStore::new(), MemoryStore::spilling()] {
            let lock = store.create(&1u32).await.unwrap();
            let id = *lock.id();
            let mut appender = store.append(&lock, 0).await.unwrap();
            // A small commit first, held in memory either way, then the rest.
            appender
                .write(Bytes::copy_from_slice(&bytes[..10]))
                .await
                .unwrap();
            assert_eq!(appender.commit(&2u32).await.unwrap(), 10);
            let held = store.with(|uploads| matches!(uploads[&id].data, Data::Held(_)));
            assert!(held, "a small upload stays in memory");
            for chunk in bytes[10..].chunks(64 * 1024) {
                appender.write(Bytes::copy_from_slice(chunk)).await.unwrap();
            }
            assert_eq!(
                offset(&store, &id).await,
                10,
                "uncommitted bytes are invisible"
            );
            let len = bytes.len() as u64;
            assert_eq!(appender.commit(&3u32).await.unwrap(), len);
            drop(appender);
            let spilled = store.with(|uploads| matches!(uploads[&id].data, Data::Spilled { .. }));
            assert_eq!(spilled, store.spill);
            assert_eq!(read(&store, &id, 0, len).await, bytes);
            assert_eq!(read(&store, &id, 7, 100_000).await, bytes[7..100_007]);

            // Shrinking drops the tail; the next append overwrites it.
            store
                .replace(
                    &lock,
                    &Record {
                        offset: 20,
                        meta: 4u32,
                    },
                )
                .await
                .unwrap();
            assert_eq!(offset(&store, &id).await, 20);
            let mut appender = store.append(&lock, 20).await.unwrap();
            appender.write(Bytes::from_static(b"new")).await.unwrap();
            // Dropped without a commit: nothing changes.
            drop(appender);
            assert_eq!(offset(&store, &id).await, 20);
            let mut appender = store.append(&lock, 20).await.unwrap();
            appender.write(Bytes::from_static(b"new")).await.unwrap();
            assert_eq!(appender.commit(&5u32).await.unwrap(), 23);
            let mut expected = bytes[..20].to_vec();
            expected.extend_from_slice(b"new");
            assert_eq!(read(&store, &id, 0, 23).await, expected);
        }
    }
}
