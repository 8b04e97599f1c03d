//! The default store: one directory, two files per upload.
//!
//! * `<id>.bin` holds the bytes. It may be longer than the committed offset
//!   (bytes written by a request that was killed before it committed); those
//!   trailing bytes are never read and are cut off by the next append.
//! * `<id>.json` holds the [`Record`]: committed offset plus protocol meta.
//!   It is replaced atomically (write `<id>.json.tmp`, then rename), so a
//!   reader sees either the old record or the new one, never a torn one.
//!
//! A commit first flushes the bytes (`fdatasync` when `fsync` is on; without
//! it they are at least in the kernel, which survives a `kill -9` of this
//! process but not a power cut), and only then renames the new record into
//! place. So a restarted server never reports more bytes than it holds.
//!
//! Appends run on a blocking thread fed through a small bounded channel:
//! reading the network and writing the disk overlap, and memory stays flat.
//!
//! The store remembers, for a bounded number of recently used uploads, the
//! committed record and the open data file (when it is known to end at the
//! committed offset). The disk stays the truth, written before the memory
//! is updated, and a restart starts with nothing remembered; remembering only
//! spares a request in a run of PATCHes re-reading the record twice, opening
//! and truncating the data file and two round trips to a blocking thread. The
//! commit itself (fdatasync, record, rename) is never skipped.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::io::ReaderStream;

use super::lock::LockTable;
use super::{Appender, ByteStream, Record, Store, StoreError, UploadId, UploadLock};

/// How many chunks may wait for the disk; with hyper's read buffer (at most
/// ~400 KiB a chunk) this bounds a request's buffered bytes to a few MiB.
const WRITE_QUEUE: usize = 8;
/// Read size when streaming an upload back.
const READ_CHUNK: usize = 256 * 1024;
const RECORD_EXT: &str = "json";
const DATA_EXT: &str = "bin";
const TMP_EXT: &str = "json.tmp";
/// Most uploads whose record (and data file) the store remembers; each open
/// file is one descriptor.
const REMEMBERED: usize = 64;

#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    fsync: bool,
    locks: LockTable,
    remembered: Mutex<HashMap<UploadId, Remembered>>,
    /// Numbers appenders, so a writer that finishes late cannot hand back
    /// its file over a newer appender's.
    appenders: AtomicU64,
}

/// What the store remembers of one upload.
#[derive(Debug)]
struct Remembered {
    /// The committed record, as on disk.
    record: Record<serde_json::Value>,
    /// The data file, open for writing and exactly as long as the committed
    /// offset; taken by an appender while it runs.
    file: Option<File>,
    /// The appender that took the file last, which alone may give it back.
    appender: u64,
}

impl FileStore {
    /// Opens (creating if needed) the store in `dir`, removing what an
    /// earlier crash may have left half-made: temporary records, and data
    /// files whose record was never written.
    pub fn open(dir: impl Into<PathBuf>, fsync: bool) -> Result<Self, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io_err("creating the store directory", &dir))?;
        let entries = fs::read_dir(&dir).map_err(io_err("listing", &dir))?;
        for entry in entries {
            let path = entry.map_err(io_err("listing", &dir))?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let orphan = name.ends_with(TMP_EXT)
                || (name.ends_with(DATA_EXT) && !path.with_extension(RECORD_EXT).exists());
            if orphan {
                fs::remove_file(&path).map_err(io_err("removing leftover", &path))?;
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                fsync,
                locks: LockTable::default(),
                remembered: Mutex::default(),
                appenders: AtomicU64::new(0),
            }),
        })
    }
}

impl Inner {
    fn path(&self, id: &UploadId, ext: &str) -> PathBuf {
        self.dir.join(format!("{id}.{ext}"))
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<UploadId, Remembered>> {
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The committed record, if the store remembers it.
    fn recall(&self, id: &UploadId) -> Option<Record<serde_json::Value>> {
        self.remembered().get(id).map(|r| r.record.clone())
    }

    /// Remembers `record` as the committed one, keeping the file.
    fn remember(&self, id: &UploadId, record: Record<serde_json::Value>) {
        let mut remembered = self.remembered();
        if let Some(entry) = remembered.get_mut(id) {
            entry.record = record;
            return;
        }
        if remembered.len() >= REMEMBERED {
            // Any entry may go: the disk holds the same.
            let victim = *remembered.keys().next().expect("the map is full");
            remembered.remove(&victim);
        }
        remembered.insert(
            *id,
            Remembered {
                record,
                file: None,
                appender: 0,
            },
        );
    }

    fn forget(&self, id: &UploadId) {
        self.remembered().remove(id);
    }

    /// The committed record. Only a holder of the upload's lock may have
    /// it remembered: a reader without it could remember a record that a
    /// commit replaced while it was reading.
    fn read_record(
        &self,
        id: &UploadId,
        locked: bool,
    ) -> Result<Option<Record<serde_json::Value>>, StoreError> {
        if let Some(record) = self.recall(id) {
            return Ok(Some(record));
        }
        let path = self.path(id, RECORD_EXT);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("reading", &path)(e)),
        };
        let record: Record<serde_json::Value> =
            serde_json::from_slice(&text).map_err(|source| StoreError::Corrupt { path, source })?;
        if locked {
            self.remember(id, record.clone());
        }
        Ok(Some(record))
    }

    /// The committed offset; for holders of the upload's lock.
    fn committed_offset(&self, id: &UploadId) -> Result<u64, StoreError> {
        self.read_record(id, true)?
            .map(|r| r.offset)
            .ok_or(StoreError::Missing(*id))
    }

    /// Atomically replaces the record: temp file, flush, rename. The
    /// directory is not synced here: if a power cut loses the rename, the
    /// previous record (a smaller offset) comes back, which is still true,
    /// and tus clients resume from HEAD. Creation and removal sync it.
    fn write_record(
        &self,
        id: &UploadId,
        record: &Record<serde_json::Value>,
    ) -> Result<(), StoreError> {
        let json =
            serde_json::to_vec(record).map_err(|source| StoreError::Encode { id: *id, source })?;
        let tmp = self.path(id, TMP_EXT);
        let mut file = File::create(&tmp).map_err(io_err("creating", &tmp))?;
        file.write_all(&json).map_err(io_err("writing", &tmp))?;
        if self.fsync {
            file.sync_data().map_err(io_err("syncing", &tmp))?;
        }
        let path = self.path(id, RECORD_EXT);
        fs::rename(&tmp, &path).map_err(io_err("renaming into", &path))?;
        self.remember(id, record.clone());
        Ok(())
    }

    /// Takes the remembered data file of an upload for appender `appender`,
    /// if the store has one that ends at `offset`.
    fn take_file(&self, id: &UploadId, offset: u64, appender: u64) -> Option<File> {
        let mut remembered = self.remembered();
        let entry = remembered.get_mut(id)?;
        entry.appender = appender;
        entry.file.take().filter(|_| entry.record.offset == offset)
    }

    /// Gives back the data file of a finished appender, which ends at `end`,
    /// unless another appender has started since or the offset moved.
    fn give_back(&self, id: &UploadId, appender: u64, file: File, end: u64) {
        let mut remembered = self.remembered();
        if let Some(entry) = remembered.get_mut(id)
            && entry.appender == appender
            && entry.record.offset == end
        {
            entry.file = Some(file);
        }
    }

    fn sync_dir(&self) -> Result<(), StoreError> {
        if self.fsync {
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err("syncing", &self.dir))?;
        }
        Ok(())
    }
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

/// Runs blocking file work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Io {
            action: "running file work",
            path: PathBuf::new(),
            source: io::Error::other(e),
        }),
    }
}

fn to_value<M: Serialize>(id: &UploadId, meta: &M) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(meta).map_err(|source| StoreError::Encode { id: *id, source })
}

impl Store for FileStore {
    type Appender = FileAppender;

    async fn create<M: Serialize + Sync>(&self, meta: &M) -> Result<UploadLock, StoreError> {
        let inner = self.inner.clone();
        let meta = to_value(&UploadId::random(), meta)?;
        loop {
            let id = UploadId::random();
            let Some(lock) = inner.locks.try_lock(&id) else {
                continue;
            };
            let inner = inner.clone();
            let meta = meta.clone();
            let created = blocking(move || {
                let data = inner.path(&id, DATA_EXT);
                match OpenOptions::new().write(true).create_new(true).open(&data) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                    Err(e) => return Err(io_err("creating", &data)(e)),
                }
                inner.write_record(&id, &Record { offset: 0, meta })?;
                inner.sync_dir()?;
                Ok(true)
            })
            .await?;
            if created {
                return Ok(lock);
            }
        }
    }

    async fn load<M: DeserializeOwned>(
        &self,
        id: &UploadId,
    ) -> Result<Option<Record<M>>, StoreError> {
        let id = *id;
        // A remembered record needs no trip to a blocking thread.
        let value = match self.inner.recall(&id) {
            Some(record) => Some(record),
            None => {
                let inner = self.inner.clone();
                blocking(move || inner.read_record(&id, false)).await?
            }
        };
        value
            .map(|record| {
                let meta =
                    serde_json::from_value(record.meta).map_err(|source| StoreError::Corrupt {
                        path: self.inner.path(&id, RECORD_EXT),
                        source,
                    })?;
                Ok(Record {
                    offset: record.offset,
                    meta,
                })
            })
            .transpose()
    }

    fn try_lock(&self, id: &UploadId) -> Option<UploadLock> {
        self.inner.locks.try_lock(id)
    }

    async fn replace<M: Serialize + Sync>(
        &self,
        lock: &UploadLock,
        record: &Record<M>,
    ) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        let id = *lock.id();
        let record = Record {
            offset: record.offset,
            meta: to_value(&id, &record.meta)?,
        };
        blocking(move || {
            let current = inner.committed_offset(&id)?;
            if record.offset > current {
                return Err(StoreError::OffsetForward {
                    id,
                    current,
                    requested: record.offset,
                });
            }
            // Record first: readers must never see an offset past the bytes.
            inner.write_record(&id, &record)?;
            // A remembered file would end past the new offset until truncated.
            inner.forget(&id);
            let data = inner.path(&id, DATA_EXT);
            OpenOptions::new()
                .write(true)
                .open(&data)
                .and_then(|f| f.set_len(record.offset))
                .map_err(io_err("truncating", &data))
        })
        .await
    }

    async fn append(&self, lock: &UploadLock, offset: u64) -> Result<FileAppender, StoreError> {
        let inner = self.inner.clone();
        let id = *lock.id();
        let number = inner.appenders.fetch_add(1, Ordering::Relaxed) + 1;
        let check = move |current: u64| {
            if current == offset {
                Ok(())
            } else {
                Err(StoreError::OffsetForward {
                    id,
                    current,
                    requested: offset,
                })
            }
        };
        // The common case of a run of PATCHes: the record and a file that
        // ends at the offset are remembered, and nothing needs the disk.
        let remembered = inner
            .recall(&id)
            .map(|record| check(record.offset))
            .transpose()?
            .and_then(|()| inner.take_file(&id, offset, number));
        let file = match remembered {
            Some(file) => file,
            None => {
                blocking({
                    let inner = inner.clone();
                    move || {
                        check(inner.committed_offset(&id)?)?;
                        // Taken again: the first look may have found no record.
                        if let Some(file) = inner.take_file(&id, offset, number) {
                            return Ok(file);
                        }
                        let data = inner.path(&id, DATA_EXT);
                        let file = OpenOptions::new()
                            .write(true)
                            .open(&data)
                            .map_err(io_err("opening", &data))?;
                        // Drop whatever an uncommitted request left past the offset.
                        file.set_len(offset).map_err(io_err("truncating", &data))?;
                        Ok(file)
                    }
                })
                .await?
            }
        };
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let ending = Arc::new(Ending::default());
        let writer = Writer {
            ending: Finished(ending.clone()),
            inner,
            id,
            number,
            file,
            offset,
            committed: offset,
            failure: None,
        };
        tokio::task::spawn_blocking(move || writer.run(rx));
        Ok(FileAppender {
            id,
            tx: Some(tx),
            ending,
            dirty: false,
        })
    }

    async fn read_range(
        &self,
        id: &UploadId,
        start: u64,
        len: u64,
    ) -> Result<ByteStream, StoreError> {
        let data = self.inner.path(id, DATA_EXT);
        let mut file = tokio::fs::File::open(&data)
            .await
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StoreError::Missing(*id),
                _ => io_err("opening", &data)(e),
            })?;
        if start > 0 {
            use tokio::io::AsyncSeekExt;
            file.seek(SeekFrom::Start(start))
                .await
                .map_err(io_err("seeking", &data))?;
        }
        Ok(Box::pin(ReaderStream::with_capacity(
            file.take(len),
            READ_CHUNK,
        )))
    }

    async fn remove(&self, lock: UploadLock) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        let id = *lock.id();
        blocking(move || {
            inner.forget(&id);
            // The record goes first: without it the upload no longer exists,
            // and a data file left by a crash here is cleaned up at open.
            for ext in [RECORD_EXT, DATA_EXT] {
                let path = inner.path(&id, ext);
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("removing", &path)(e)),
                }
            }
            inner.sync_dir()
        })
        .await?;
        drop(lock);
        Ok(())
    }

    async fn list(&self) -> Result<Vec<UploadId>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || {
            let entries = fs::read_dir(&inner.dir).map_err(io_err("listing", &inner.dir))?;
            let mut ids = Vec::new();
            for entry in entries {
                let name = entry.map_err(io_err("listing", &inner.dir))?.file_name();
                let id = name
                    .to_str()
                    .and_then(|n| n.strip_suffix(RECORD_EXT)?.strip_suffix('.'))
                    .and_then(UploadId::parse);
                ids.extend(id);
            }
            Ok(ids)
        })
        .await
    }
}

enum Command {
    Write(Bytes),
    Commit {
        meta: serde_json::Value,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
}

/// The async half of an append: hands chunks to the writer thread.
#[derive(Debug)]
pub struct FileAppender {
    id: UploadId,
    /// `None` once dropping.
    tx: Option<mpsc::Sender<Command>>,
    ending: Arc<Ending>,
    /// Chunks were sent since the last successful commit.
    dirty: bool,
}

/// How an appender and its writer thread part.
#[derive(Debug, Default)]
struct Ending {
    /// The appender was dropped with uncommitted chunks: the thread skips
    /// those still queued.
    abandoned: std::sync::atomic::AtomicBool,
    /// The thread has ended.
    finished: Mutex<bool>,
    ended: std::sync::Condvar,
}

/// Held by the writer thread; tells the appender it ended, also on a panic.
struct Finished(Arc<Ending>);

impl Drop for Finished {
    fn drop(&mut self) {
        *self
            .0
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.0.ended.notify_all();
    }
}

/// An appender dropped with uncommitted chunks (a refused or cut-off body)
/// waits for its thread, which skips what is still queued: otherwise the
/// next request could take the upload's lock while that thread still writes
/// stale bytes over the offsets the next append writes. The wait is at most
/// the one write in progress, and only on this path: after a commit nothing
/// is queued.
impl Drop for FileAppender {
    fn drop(&mut self) {
        drop(self.tx.take());
        if !self.dirty {
            return;
        }
        self.ending.abandoned.store(true, Ordering::Release);
        let mut finished = self
            .ending
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*finished {
            finished = self
                .ending
                .ended
                .wait(finished)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl FileAppender {
    fn sender(&self) -> Result<&mpsc::Sender<Command>, StoreError> {
        self.tx.as_ref().ok_or_else(|| self.gone())
    }

    fn gone(&self) -> StoreError {
        StoreError::WriterGone {
            id: self.id,
            reason: "its thread ended".into(),
        }
    }
}

impl Appender for FileAppender {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.dirty = true;
        self.sender()?
            .send(Command::Write(chunk))
            .await
            .map_err(|_| self.gone())
    }

    async fn commit<M: Serialize + Sync>(&mut self, meta: &M) -> Result<u64, StoreError> {
        let meta = to_value(&self.id, meta)?;
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(Command::Commit { meta, reply })
            .await
            .map_err(|_| self.gone())?;
        let offset = answer.await.map_err(|_| self.gone())??;
        self.dirty = false;
        Ok(offset)
    }
}

/// The blocking half of an append: writes chunks in order, commits on demand.
struct Writer {
    inner: Arc<Inner>,
    id: UploadId,
    /// This appender's number, for [`Inner::give_back`].
    number: u64,
    file: File,
    /// Bytes written so far, committed or not.
    offset: u64,
    /// The offset of the last successful commit.
    committed: u64,
    ending: Finished,
    /// The first failure; once set, writes are ignored and commits fail,
    /// since the file position is no longer known.
    failure: Option<Failure>,
}

enum Failure {
    Pending(io::Error),
    Reported,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        if let Err(e) = self.file.seek(SeekFrom::Start(self.offset)) {
            self.failure = Some(Failure::Pending(e));
        }
        while let Some(command) = rx.blocking_recv() {
            match command {
                Command::Write(chunk) => self.write(&chunk),
                Command::Commit { meta, reply } => {
                    // The requester may have gone; nothing to tell it then.
                    let _ = reply.send(self.commit(meta));
                }
            }
        }
        // A file that ends at the committed offset serves the next append.
        if self.failure.is_none() && self.offset == self.committed {
            self.inner
                .give_back(&self.id, self.number, self.file, self.committed);
        }
    }

    fn write(&mut self, chunk: &[u8]) {
        if self.failure.is_some() || self.ending.0.abandoned.load(Ordering::Acquire) {
            return;
        }
        match self.file.write_all(chunk) {
            Ok(()) => self.offset += chunk.len() as u64,
            Err(e) => self.failure = Some(Failure::Pending(e)),
        }
    }

    fn commit(&mut self, meta: serde_json::Value) -> Result<u64, StoreError> {
        let data = self.inner.path(&self.id, DATA_EXT);
        match self.failure.replace(Failure::Reported) {
            Some(Failure::Pending(e)) => return Err(io_err("writing", &data)(e)),
            Some(Failure::Reported) => {
                return Err(StoreError::WriterGone {
                    id: self.id,
                    reason: "an earlier write failed".into(),
                });
            }
            None => self.failure = None,
        }
        if self.inner.fsync
            && let Err(e) = self.file.sync_data()
        {
            self.failure = Some(Failure::Reported);
            return Err(io_err("syncing", &data)(e));
        }
        self.inner.write_record(
            &self.id,
            &Record {
                offset: self.offset,
                meta,
            },
        )?;
        self.committed = self.offset;
        Ok(self.offset)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;

    use super::*;

    async fn held(store: &FileStore, id: &UploadId) -> Vec<u8> {
        let len = store.load::<u32>(id).await.unwrap().unwrap().offset;
        let mut stream = store.read(id, len).await.unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    async fn append(store: &FileStore, lock: &UploadLock, bytes: &[u8], commit: bool) {
        let offset = store.load::<u32>(lock.id()).await.unwrap().unwrap().offset;
        let mut appender = store.append(lock, offset).await.unwrap();
        // Many small chunks, so a dropped appender leaves some queued.
        for piece in bytes.chunks(97) {
            appender.write(Bytes::copy_from_slice(piece)).await.unwrap();
        }
        if commit {
            appender.commit(&1u32).await.unwrap();
        }
    }

    /// Runs of appends reuse the remembered file; one that is dropped
    /// uncommitted must not leave its bytes for the next, whether the store
    /// still remembers the upload or reopens it from disk.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn remembered_files_never_keep_uncommitted_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path(), true).unwrap();
        let lock = store.create(&0u32).await.unwrap();
        let id = *lock.id();
        let mut expected = Vec::new();
        for round in 0..20u8 {
            let bytes = vec![round; 1000 + usize::from(round) * 37];
            let commit = round % 3 != 1;
            append(&store, &lock, &bytes, commit).await;
            if commit {
                expected.extend_from_slice(&bytes);
            }
            if round % 7 == 6 {
                // As after eviction or a restart: from disk again.
                store.inner.forget(&id);
            }
            assert_eq!(held(&store, &id).await, expected, "round {round}");
        }
        append(&store, &lock, b"tail", true).await;
        expected.extend_from_slice(b"tail");
        assert_eq!(held(&store, &id).await, expected);
        // A fresh store on the same directory sees the same.
        drop(lock);
        let reopened = FileStore::open(dir.path(), true).unwrap();
        assert_eq!(held(&reopened, &id).await, expected);
        let lock = reopened.try_lock(&id).unwrap();
        reopened.remove(lock).await.unwrap();
        assert!(reopened.load::<u32>(&id).await.unwrap().is_none());
    }
}
