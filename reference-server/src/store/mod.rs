//! Where upload bytes and their records live, independent of any protocol.
//!
//! An upload is a byte sequence plus a record: the committed `offset` (how
//! many bytes are durable) and protocol-owned `meta` (tus keeps its length,
//! metadata and concatenation state there). The contract every backend keeps:
//!
//! * bytes past the committed offset do not exist for readers, so a crash
//!   between writing bytes and committing them can never make the server
//!   report bytes it does not hold;
//! * a commit makes the bytes written so far durable *before* it records the
//!   new offset, and records it atomically together with the new meta;
//! * every mutation needs the upload's [`UploadLock`], which only one request
//!   can hold at a time.

mod file;
mod id;
mod lock;
mod memory;
mod stores;

use std::future::Future;
use std::io;
use std::path::PathBuf;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::http::ByteStream;
pub use file::FileStore;
pub use id::UploadId;
pub use lock::UploadLock;
pub use memory::MemoryStore;
pub use stores::{FileStores, MemoryStores, Stores};

/// The committed state of one upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<M> {
    /// Bytes `[0, offset)` are durable and readable.
    pub offset: u64,
    pub meta: M,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("record {} is corrupt: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("encoding the record of upload {id}: {source}")]
    Encode {
        id: UploadId,
        source: serde_json::Error,
    },
    #[error("upload {0} does not exist")]
    Missing(UploadId),
    #[error(
        "the record of upload {id} cannot move its offset forward from {current} to {requested}"
    )]
    OffsetForward {
        id: UploadId,
        current: u64,
        requested: u64,
    },
    #[error("the writer of upload {id} stopped: {reason}")]
    WriterGone { id: UploadId, reason: String },
}

/// A storage backend. Generic methods (no `dyn`): the server is
/// monomorphised per backend, chosen once at start-up.
pub trait Store: Send + Sync + 'static {
    type Appender: Appender;

    /// Creates an upload with offset 0 and a fresh random id, returned
    /// locked so the creator can append to it before anyone else.
    fn create<M: Serialize + Sync>(
        &self,
        meta: &M,
    ) -> impl Future<Output = Result<UploadLock, StoreError>> + Send;

    /// The committed record, or `None` if there is no such upload.
    fn load<M: DeserializeOwned>(
        &self,
        id: &UploadId,
    ) -> impl Future<Output = Result<Option<Record<M>>, StoreError>> + Send;

    /// Takes the upload's lock without waiting; `None` if another request
    /// holds it. The upload need not exist.
    fn try_lock(&self, id: &UploadId) -> Option<UploadLock>;

    /// Replaces the record. The offset may only stay or shrink (bytes past
    /// it are dropped): growth goes through an [`Appender`].
    fn replace<M: Serialize + Sync>(
        &self,
        lock: &UploadLock,
        record: &Record<M>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Starts appending at `offset`, which must be the committed offset.
    fn append(
        &self,
        lock: &UploadLock,
        offset: u64,
    ) -> impl Future<Output = Result<Self::Appender, StoreError>> + Send;

    /// Streams bytes `[0, len)`; `len` must not exceed the committed offset.
    fn read(
        &self,
        id: &UploadId,
        len: u64,
    ) -> impl Future<Output = Result<ByteStream, StoreError>> + Send {
        self.read_range(id, 0, len)
    }

    /// Streams bytes `[start, start + len)`, which must lie within the
    /// committed offset. S3 serves Range requests and copies part ranges
    /// with it, without reading the bytes before `start`.
    fn read_range(
        &self,
        id: &UploadId,
        start: u64,
        len: u64,
    ) -> impl Future<Output = Result<ByteStream, StoreError>> + Send;

    /// Deletes the upload, bytes and record.
    fn remove(&self, lock: UploadLock) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every upload id, for maintenance sweeps.
    fn list(&self) -> impl Future<Output = Result<Vec<UploadId>, StoreError>> + Send;
}

/// Appends bytes to one upload. Written bytes become visible only through
/// [`Appender::commit`]; dropping the appender discards everything written
/// since the last commit.
pub trait Appender: Send + 'static {
    fn write(&mut self, chunk: Bytes) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Makes every byte written so far durable, then records the new offset
    /// together with `meta`. Returns the new committed offset.
    fn commit<M: Serialize + Sync>(
        &mut self,
        meta: &M,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
