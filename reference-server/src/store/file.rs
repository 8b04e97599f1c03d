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

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
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

#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    fsync: bool,
    locks: LockTable,
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
            }),
        })
    }
}

impl Inner {
    fn path(&self, id: &UploadId, ext: &str) -> PathBuf {
        self.dir.join(format!("{id}.{ext}"))
    }

    fn read_record<M: DeserializeOwned>(
        &self,
        id: &UploadId,
    ) -> Result<Option<Record<M>>, StoreError> {
        let path = self.path(id, RECORD_EXT);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("reading", &path)(e)),
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|source| StoreError::Corrupt { path, source })
    }

    fn committed_offset(&self, id: &UploadId) -> Result<u64, StoreError> {
        self.read_record::<IgnoredAny>(id)?
            .map(|r| r.offset)
            .ok_or(StoreError::Missing(*id))
    }

    /// Atomically replaces the record: temp file, flush, rename. The
    /// directory is not synced here: if a power cut loses the rename, the
    /// previous record (a smaller offset) comes back, which is still true,
    /// and tus clients resume from HEAD. Creation and removal sync it.
    fn write_record<M: Serialize>(
        &self,
        id: &UploadId,
        record: &Record<M>,
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
        fs::rename(&tmp, &path).map_err(io_err("renaming into", &path))
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
        let inner = self.inner.clone();
        let id = *id;
        let value = blocking(move || inner.read_record::<serde_json::Value>(&id)).await?;
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
        let file = blocking({
            let inner = inner.clone();
            move || {
                let current = inner.committed_offset(&id)?;
                if current != offset {
                    return Err(StoreError::OffsetForward {
                        id,
                        current,
                        requested: offset,
                    });
                }
                let data = inner.path(&id, DATA_EXT);
                let mut file = OpenOptions::new()
                    .write(true)
                    .open(&data)
                    .map_err(io_err("opening", &data))?;
                // Drop whatever an uncommitted request left past the offset.
                file.set_len(offset).map_err(io_err("truncating", &data))?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(io_err("seeking", &data))?;
                Ok(file)
            }
        })
        .await?;
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let writer = Writer {
            inner,
            id,
            file,
            offset,
            failure: None,
        };
        tokio::task::spawn_blocking(move || writer.run(rx));
        Ok(FileAppender { id, tx })
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
    tx: mpsc::Sender<Command>,
}

impl FileAppender {
    fn gone(&self) -> StoreError {
        StoreError::WriterGone {
            id: self.id,
            reason: "its thread ended".into(),
        }
    }
}

impl Appender for FileAppender {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.tx
            .send(Command::Write(chunk))
            .await
            .map_err(|_| self.gone())
    }

    async fn commit<M: Serialize + Sync>(&mut self, meta: &M) -> Result<u64, StoreError> {
        let meta = to_value(&self.id, meta)?;
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Commit { meta, reply })
            .await
            .map_err(|_| self.gone())?;
        answer.await.map_err(|_| self.gone())?
    }
}

/// The blocking half of an append: writes chunks in order, commits on demand.
struct Writer {
    inner: Arc<Inner>,
    id: UploadId,
    file: File,
    /// Bytes written so far, committed or not.
    offset: u64,
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
        while let Some(command) = rx.blocking_recv() {
            match command {
                Command::Write(chunk) => self.write(&chunk),
                Command::Commit { meta, reply } => {
                    // The requester may have gone; nothing to tell it then.
                    let _ = reply.send(self.commit(meta));
                }
            }
        }
    }

    fn write(&mut self, chunk: &[u8]) {
        if self.failure.is_some() {
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
        Ok(self.offset)
    }
}
