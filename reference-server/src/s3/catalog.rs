//! Buckets, objects, uploads and parts: durable records in the store, and
//! an in-memory index rebuilt from them at start-up.
//!
//! Every S3 entity is one store entry (the store's "upload"): its record is
//! the entity's [`Record`], its bytes are the entity's bytes (an object put
//! whole, a part; buckets and multipart uploads have none). The store's
//! guarantees carry over: a record appears atomically and only after its
//! bytes are durable.
//!
//! Crash safety comes from ordering, and from [`Catalog::open`] settling
//! whatever a crash left half done:
//!
//! * bodies are written under a `Pending` record, committed under their
//!   final record once verified: a crash mid-body leaves a `Pending`, which
//!   is removed;
//! * an overwrite commits the new object before removing the old one; two
//!   objects for one key are settled by their sequence number (last wins);
//! * Complete commits the object record (which lists its part blobs and
//!   names the upload) before removing the upload record and the unused
//!   parts; an upload whose object exists is therefore complete, and parts
//!   that no upload or object references are garbage.
//!
//! The index lock is held only for map work, never across an await.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use super::checksum::{Algorithm, ChecksumType};
use super::clock;
use super::error::S3Error;
use super::headers::StoredHeaders;
use super::policy::Policy;
use super::rules;
use crate::store::{Appender, Store, StoreError, UploadId, UploadLock};

/// What a store entry is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// Bytes being received; removed at start-up if a crash left it.
    Pending,
    Bucket(BucketRecord),
    Upload(UploadRecord),
    Part(PartRecord),
    Object(ObjectRecord),
}

impl From<PartRecord> for Record {
    fn from(part: PartRecord) -> Self {
        Record::Part(part)
    }
}

impl From<ObjectRecord> for Record {
    fn from(object: ObjectRecord) -> Self {
        Record::Object(object)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    pub created_ms: u64,
    pub seq: u64,
}

/// An unfinished multipart upload; its store id is the S3 UploadId.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRecord {
    pub bucket: String,
    pub key: String,
    pub seq: u64,
    pub initiated_ms: u64,
    pub headers: StoredHeaders,
    pub checksum: Option<UploadChecksum>,
    /// The access key that created it (`Initiator`/`Owner`).
    pub owner: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadChecksum {
    pub algorithm: Algorithm,
    pub kind: ChecksumType,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    pub upload: UploadId,
    pub number: u32,
    pub seq: u64,
    pub size: u64,
    /// Lowercase hex MD5: the part's ETag.
    pub etag: String,
    pub last_modified_ms: u64,
    /// Base64 checksums: the upload's algorithm (always computed) and any
    /// other the client sent and that was verified.
    pub checksums: Vec<(Algorithm, String)>,
}

impl PartRecord {
    pub fn checksum(&self, algorithm: Algorithm) -> Option<&str> {
        self.checksums
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub bucket: String,
    pub key: String,
    pub seq: u64,
    pub size: u64,
    /// Unquoted: hex MD5, or `hex-N` for a multipart object.
    pub etag: String,
    pub last_modified_ms: u64,
    pub headers: StoredHeaders,
    pub checksum: Option<ObjectChecksum>,
    pub layout: Layout,
    /// The multipart upload this object completed, so a repeated Complete
    /// answers the same and start-up knows the upload is finished.
    pub from_upload: Option<UploadId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChecksum {
    pub algorithm: Algorithm,
    pub kind: ChecksumType,
    /// Base64, with `-N` when COMPOSITE.
    pub value: String,
}

/// Where an object's bytes are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Layout {
    /// In the object's own store entry.
    Inline,
    /// In these part entries, in order.
    Parts(Vec<Segment>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    pub blob: UploadId,
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub checksum: Option<String>,
}

/// A live object: its store id and record.
#[derive(Debug)]
pub struct Object {
    pub id: UploadId,
    pub meta: ObjectRecord,
}

impl Object {
    /// Every store entry holding this object.
    fn blobs(&self) -> Vec<UploadId> {
        let mut ids = vec![self.id];
        if let Layout::Parts(segments) = &self.meta.layout {
            ids.extend(segments.iter().map(|s| s.blob));
        }
        ids
    }
}

#[derive(Debug)]
pub struct Part {
    pub blob: UploadId,
    pub meta: PartRecord,
}

pub struct Bucket {
    pub id: UploadId,
    pub created_ms: u64,
    pub objects: BTreeMap<String, Arc<Object>>,
    /// Unfinished uploads by (key, seq): ListMultipartUploads' order.
    pub uploads: BTreeMap<(String, u64), UploadId>,
}

pub struct Upload {
    pub meta: Arc<UploadRecord>,
    pub parts: BTreeMap<u32, Arc<Part>>,
    /// A Complete or Abort is running: parts can no longer be added.
    pub closing: bool,
}

/// A consistent copy of an upload for a request to work on.
pub struct UploadView {
    pub id: UploadId,
    pub meta: Arc<UploadRecord>,
    pub parts: Vec<Arc<Part>>,
}

#[derive(Default)]
pub struct Index {
    pub buckets: BTreeMap<String, Bucket>,
    pub uploads: HashMap<UploadId, Upload>,
}

impl Index {
    /// The bucket of that name, or 404 NoSuchBucket.
    pub fn bucket(&self, name: &str) -> Result<&Bucket, S3Error> {
        self.buckets.get(name).ok_or_else(|| no_such_bucket(name))
    }

    pub fn bucket_mut(&mut self, name: &str) -> Result<&mut Bucket, S3Error> {
        self.buckets
            .get_mut(name)
            .ok_or_else(|| no_such_bucket(name))
    }
}

fn no_such_bucket(name: &str) -> S3Error {
    S3Error::NoSuchBucket {
        bucket: name.to_owned(),
    }
}

pub struct Catalog<St> {
    store: St,
    index: Mutex<Index>,
    last_seq: AtomicU64,
}

impl<St: Store + Clone> Catalog<St> {
    /// Loads every record and settles what a crash left half done (see the
    /// module doc), removing the leftovers.
    pub async fn open(store: St) -> Result<Self, StoreError> {
        let mut records = Vec::new();
        for id in store.list().await? {
            if let Some(record) = store.load::<Record>(&id).await? {
                records.push((id, record.meta));
            }
        }
        let mut garbage: Vec<UploadId> = Vec::new();
        let mut max_seq = 0;
        let mut index = Index::default();
        // Buckets first: the lowest seq wins a duplicated name.
        let mut buckets: Vec<_> = records
            .iter()
            .filter_map(|(id, r)| match r {
                Record::Bucket(b) => Some((*id, b)),
                _ => None,
            })
            .collect();
        buckets.sort_by_key(|(_, b)| b.seq);
        for (id, bucket) in buckets {
            max_seq = max_seq.max(bucket.seq);
            if index.buckets.contains_key(&bucket.name) {
                garbage.push(id);
                continue;
            }
            index.buckets.insert(
                bucket.name.clone(),
                Bucket {
                    id,
                    created_ms: bucket.created_ms,
                    objects: BTreeMap::new(),
                    uploads: BTreeMap::new(),
                },
            );
        }
        // Objects: the highest seq wins a key.
        let mut completed: HashSet<UploadId> = HashSet::new();
        for (id, record) in &records {
            let Record::Object(meta) = record else {
                continue;
            };
            max_seq = max_seq.max(meta.seq);
            let object = Arc::new(Object {
                id: *id,
                meta: meta.clone(),
            });
            let Some(bucket) = index.buckets.get_mut(&meta.bucket) else {
                garbage.extend(object.blobs());
                continue;
            };
            let loser = match bucket.objects.get(&meta.key) {
                Some(current) if current.meta.seq > meta.seq => object,
                _ => match bucket.objects.insert(meta.key.clone(), object) {
                    Some(old) => old,
                    None => continue,
                },
            };
            garbage.extend(loser.blobs());
        }
        for bucket in index.buckets.values() {
            completed.extend(bucket.objects.values().filter_map(|o| o.meta.from_upload));
        }
        // Uploads: dropped with their bucket, or when their object exists.
        for (id, record) in &records {
            let Record::Upload(meta) = record else {
                continue;
            };
            max_seq = max_seq.max(meta.seq);
            match index.buckets.get_mut(&meta.bucket) {
                Some(bucket) if !completed.contains(id) => {
                    bucket.uploads.insert((meta.key.clone(), meta.seq), *id);
                    index.uploads.insert(
                        *id,
                        Upload {
                            meta: Arc::new(meta.clone()),
                            parts: BTreeMap::new(),
                            closing: false,
                        },
                    );
                }
                _ => garbage.push(*id),
            }
        }
        // Parts: kept by a live upload (highest seq per number) or object.
        let referenced: HashSet<UploadId> = index
            .buckets
            .values()
            .flat_map(|b| b.objects.values())
            .flat_map(|o| o.blobs())
            .collect();
        for (id, record) in &records {
            match record {
                Record::Part(meta) => {
                    max_seq = max_seq.max(meta.seq);
                    if referenced.contains(id) {
                        continue;
                    }
                    let Some(upload) = index.uploads.get_mut(&meta.upload) else {
                        garbage.push(*id);
                        continue;
                    };
                    let part = Arc::new(Part {
                        blob: *id,
                        meta: meta.clone(),
                    });
                    let loser = match upload.parts.get(&meta.number) {
                        Some(current) if current.meta.seq > meta.seq => part,
                        _ => match upload.parts.insert(meta.number, part) {
                            Some(old) => old,
                            None => continue,
                        },
                    };
                    garbage.push(loser.blob);
                }
                Record::Pending => garbage.push(*id),
                _ => {}
            }
        }
        let catalog = Self {
            store,
            index: Mutex::new(index),
            last_seq: AtomicU64::new(max_seq),
        };
        catalog.discard(garbage).await;
        Ok(catalog)
    }

    pub fn store(&self) -> &St {
        &self.store
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the index (listings read it this way).
    pub fn read<T>(&self, f: impl FnOnce(&Index) -> T) -> T {
        f(&self.index())
    }

    /// A fresh sequence number: unique, increasing, and (so that it also
    /// orders writes across restarts) at least the wall clock in ns.
    pub fn seq(&self) -> u64 {
        let now = clock::to_ms(std::time::SystemTime::now()).saturating_mul(1_000_000);
        let previous = self
            .last_seq
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .unwrap_or_else(|last| last);
        now.max(previous + 1)
    }

    /// Removes store entries nobody references any more. Failures are
    /// logged, not returned: the request already succeeded, and start-up
    /// removes what is left.
    pub async fn discard(&self, ids: Vec<UploadId>) {
        for id in ids {
            let Some(lock) = self.store.try_lock(&id) else {
                continue;
            };
            if let Err(e) = self.store.remove(lock).await {
                eprintln!("upspec-reference-server: s3: removing {id}: {e}");
            }
        }
    }

    /// Stores a new blob: `write` fills it, `describe` makes its record from
    /// what was written, and the record is committed with the bytes. If any
    /// step fails the blob is removed again, so a refused or broken body
    /// leaves nothing behind. Returns the blob's lock and its record.
    pub async fn write_blob<T, R>(
        &self,
        write: impl AsyncFnOnce(&mut St::Appender) -> Result<T, S3Error>,
        describe: impl FnOnce(T) -> R,
    ) -> Result<(UploadLock, R), S3Error>
    where
        R: Clone + Into<Record>,
    {
        let lock = self.store.create(&Record::Pending).await?;
        let mut appender = self.store.append(&lock, 0).await?;
        let stored = match write(&mut appender).await {
            Ok(written) => {
                let record = describe(written);
                let committed = appender.commit(&record.clone().into()).await;
                committed.map(|_| record).map_err(S3Error::from)
            }
            Err(e) => Err(e),
        };
        drop(appender);
        match stored {
            Ok(record) => Ok((lock, record)),
            Err(e) => {
                self.drop_own(lock).await;
                Err(e)
            }
        }
    }

    /// Ends the install of a new object or part: once the index has decided,
    /// the blobs it dropped go (what the new entry replaced, or the entry
    /// itself when an older-looking write lost); if it was refused, only its
    /// own entry goes (an object's parts, if any, are still the upload's).
    async fn settle(
        &self,
        lock: UploadLock,
        outcome: Result<Vec<UploadId>, S3Error>,
    ) -> Result<(), S3Error> {
        match outcome {
            Ok(garbage) => {
                drop(lock);
                self.discard(garbage).await;
                Ok(())
            }
            Err(e) => {
                self.drop_own(lock).await;
                Err(e)
            }
        }
    }

    /// Removes an entry this request created and still holds.
    pub async fn drop_own(&self, lock: UploadLock) {
        if let Err(e) = self.store.remove(lock).await {
            eprintln!("upspec-reference-server: s3: removing a refused body: {e}");
        }
    }

    // ---- buckets --------------------------------------------------------

    pub fn has_bucket(&self, name: &str) -> bool {
        self.index().buckets.contains_key(name)
    }

    pub fn require_bucket(&self, name: &str) -> Result<(), S3Error> {
        self.index().bucket(name).map(drop)
    }

    pub async fn create_bucket(&self, name: &str) -> Result<(), S3Error> {
        if self.has_bucket(name) {
            return Err(S3Error::BucketAlreadyOwnedByYou {
                bucket: name.to_owned(),
            });
        }
        let created_ms = clock::now_ms();
        let lock = self
            .store
            .create(&Record::Bucket(BucketRecord {
                name: name.to_owned(),
                created_ms,
                seq: self.seq(),
            }))
            .await?;
        let id = *lock.id();
        let taken = {
            let mut index = self.index();
            let taken = index.buckets.contains_key(name);
            if !taken {
                index.buckets.insert(
                    name.to_owned(),
                    Bucket {
                        id,
                        created_ms,
                        objects: BTreeMap::new(),
                        uploads: BTreeMap::new(),
                    },
                );
            }
            taken
        };
        if taken {
            self.drop_own(lock).await;
            return Err(S3Error::BucketAlreadyOwnedByYou {
                bucket: name.to_owned(),
            });
        }
        Ok(())
    }

    /// DeleteBucket: refused while objects remain; unfinished uploads are
    /// aborted with the bucket, as general-purpose S3 buckets do. The
    /// bucket's record goes first, so a crash before its uploads and parts
    /// are removed leaves only entries without a bucket, which start-up
    /// removes. A part or Complete still in flight finds its upload gone and
    /// removes what it wrote.
    pub async fn delete_bucket(&self, name: &str) -> Result<(), S3Error> {
        let (id, garbage) = {
            let mut index = self.index();
            if !index.bucket(name)?.objects.is_empty() {
                return Err(S3Error::BucketNotEmpty {
                    bucket: name.to_owned(),
                });
            }
            let Some(bucket) = index.buckets.remove(name) else {
                return Err(no_such_bucket(name));
            };
            let mut garbage = Vec::new();
            for upload_id in bucket.uploads.values() {
                if let Some(upload) = index.uploads.remove(upload_id) {
                    garbage.push(*upload_id);
                    garbage.extend(upload.parts.values().map(|p| p.blob));
                }
            }
            (bucket.id, garbage)
        };
        let lock = self.store.try_lock(&id).ok_or(S3Error::OperationAborted)?;
        self.store.remove(lock).await?;
        self.discard(garbage).await;
        Ok(())
    }

    // ---- objects --------------------------------------------------------

    pub fn object(&self, bucket: &str, key: &str) -> Result<Option<Arc<Object>>, S3Error> {
        let index = self.index();
        let bucket = index.bucket(bucket)?;
        Ok(bucket.objects.get(key).cloned())
    }

    /// Makes a committed object entry visible, replacing the key's current
    /// object if `precondition` accepts it. A refused entry is removed.
    pub async fn install_object(
        &self,
        lock: UploadLock,
        meta: ObjectRecord,
        precondition: impl FnOnce(Option<&Object>) -> Result<(), S3Error>,
    ) -> Result<(), S3Error> {
        let object = Arc::new(Object {
            id: *lock.id(),
            meta,
        });
        let outcome = {
            let mut index = self.index();
            match index.buckets.get_mut(&object.meta.bucket) {
                None => Err(no_such_bucket(&object.meta.bucket)),
                Some(bucket) => {
                    let current = bucket.objects.get(&object.meta.key);
                    match precondition(current.map(|o| o.as_ref())) {
                        Err(e) => Err(e),
                        // A later write already landed: it stays, ours goes.
                        Ok(()) if current.is_some_and(|c| c.meta.seq > object.meta.seq) => {
                            Ok(object.blobs())
                        }
                        Ok(()) => Ok(bucket
                            .objects
                            .insert(object.meta.key.clone(), object.clone())
                            .map(|old| old.blobs())
                            .unwrap_or_default()),
                    }
                }
            }
        };
        self.settle(lock, outcome).await
    }

    /// Deletes the key's object, if any.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), S3Error> {
        let removed = {
            let mut index = self.index();
            let bucket = index.bucket_mut(bucket)?;
            bucket.objects.remove(key)
        };
        if let Some(object) = removed {
            self.discard(object.blobs()).await;
        }
        Ok(())
    }

    // ---- multipart ------------------------------------------------------

    pub async fn create_upload(&self, meta: UploadRecord) -> Result<UploadId, S3Error> {
        self.require_bucket(&meta.bucket)?;
        let lock = self.store.create(&Record::Upload(meta.clone())).await?;
        let id = *lock.id();
        let added = {
            let mut index = self.index();
            match index.buckets.get_mut(&meta.bucket) {
                Some(bucket) => {
                    bucket.uploads.insert((meta.key.clone(), meta.seq), id);
                    index.uploads.insert(
                        id,
                        Upload {
                            meta: Arc::new(meta.clone()),
                            parts: BTreeMap::new(),
                            closing: false,
                        },
                    );
                    true
                }
                None => false,
            }
        };
        if !added {
            self.drop_own(lock).await;
            return Err(no_such_bucket(&meta.bucket));
        }
        Ok(id)
    }

    /// The upload `upload_id` of `bucket`/`key`, open (not being completed
    /// or aborted). Any mismatch is NoSuchUpload, as is a missing bucket
    /// once the id itself is unknown.
    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<UploadView, S3Error> {
        let index = self.index();
        let found = UploadId::parse(upload_id)
            .and_then(|id| index.uploads.get(&id).map(|u| (id, u)))
            .filter(|(_, u)| u.meta.bucket == bucket && u.meta.key == key && !u.closing);
        match found {
            Some((id, upload)) => Ok(UploadView {
                id,
                meta: upload.meta.clone(),
                parts: upload.parts.values().cloned().collect(),
            }),
            None if !index.buckets.contains_key(bucket) => Err(no_such_bucket(bucket)),
            None => Err(rules::no_such_upload(upload_id)),
        }
    }

    /// Makes a committed part entry visible (replacing an earlier upload of
    /// the same number), unless its upload was completed or aborted
    /// meanwhile, in which case the entry is removed.
    pub async fn install_part(
        &self,
        lock: UploadLock,
        meta: PartRecord,
        policy: Policy,
    ) -> Result<(), S3Error> {
        let part = Arc::new(Part {
            blob: *lock.id(),
            meta,
        });
        let first_wins = !policy.later_part_upload_wins();
        let outcome = {
            let mut index = self.index();
            match index.uploads.get_mut(&part.meta.upload) {
                Some(upload) if !upload.closing => match upload.parts.get(&part.meta.number) {
                    Some(current) if first_wins || current.meta.seq > part.meta.seq => {
                        Ok(vec![part.blob])
                    }
                    _ => Ok(upload
                        .parts
                        .insert(part.meta.number, part.clone())
                        .map(|old| old.blob)
                        .into_iter()
                        .collect()),
                },
                _ => Err(rules::no_such_upload(&part.meta.upload.to_string())),
            }
        };
        self.settle(lock, outcome).await
    }

    /// Marks an upload as closing (so no part can change under a Complete
    /// or Abort) and returns it. A second closer gets OperationAborted.
    pub fn close_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadView, S3Error> {
        let mut index = self.index();
        let has_bucket = index.buckets.contains_key(bucket);
        let id = UploadId::parse(upload_id);
        let upload = id
            .and_then(|id| index.uploads.get_mut(&id))
            .filter(|u| u.meta.bucket == bucket && u.meta.key == key);
        match upload {
            Some(upload) if upload.closing => Err(S3Error::OperationAborted),
            Some(upload) => {
                upload.closing = true;
                Ok(UploadView {
                    id: id.expect("found by id"),
                    meta: upload.meta.clone(),
                    parts: upload.parts.values().cloned().collect(),
                })
            }
            None if !has_bucket => Err(no_such_bucket(bucket)),
            None => Err(rules::no_such_upload(upload_id)),
        }
    }

    /// Undoes [`Catalog::close_upload`] after a refused Complete.
    pub fn reopen_upload(&self, id: &UploadId) {
        if let Some(upload) = self.index().uploads.get_mut(id) {
            upload.closing = false;
        }
    }

    /// Finishes a Complete: the object entry (already committed, listing its
    /// parts) replaces the key's object, the upload goes, and its parts not
    /// in the object are removed. On a refused precondition the upload is
    /// reopened and the object entry removed.
    pub async fn complete(
        &self,
        lock: UploadLock,
        meta: ObjectRecord,
        upload: &UploadView,
        precondition: impl FnOnce(Option<&Object>) -> Result<(), S3Error>,
        policy: Policy,
    ) -> Result<(), S3Error> {
        let object = Arc::new(Object {
            id: *lock.id(),
            meta,
        });
        let outcome = {
            let mut index = self.index();
            let Index { buckets, uploads } = &mut *index;
            match buckets.get_mut(&object.meta.bucket) {
                None => Err(no_such_bucket(&object.meta.bucket)),
                Some(bucket) => {
                    match precondition(bucket.objects.get(&object.meta.key).map(|o| o.as_ref())) {
                        Err(e) => {
                            if let Some(u) = uploads.get_mut(&upload.id) {
                                u.closing = false;
                            }
                            Err(e)
                        }
                        Ok(()) => {
                            let used: HashSet<UploadId> = object.blobs().into_iter().collect();
                            let (mut garbage, parts) = if policy.complete_ends_upload() {
                                bucket
                                    .uploads
                                    .remove(&(upload.meta.key.clone(), upload.meta.seq));
                                // The upload's record goes first, then unused parts.
                                let parts = uploads.remove(&upload.id).map(|u| u.parts);
                                (vec![upload.id], parts)
                            } else {
                                // Left open, without the parts the object now owns.
                                let parts = uploads.get_mut(&upload.id).map(|u| {
                                    u.closing = false;
                                    std::mem::take(&mut u.parts)
                                });
                                (Vec::new(), parts)
                            };
                            if let Some(parts) = parts {
                                garbage.extend(
                                    parts.values().map(|p| p.blob).filter(|b| !used.contains(b)),
                                );
                            }
                            if let Some(old) = bucket
                                .objects
                                .insert(object.meta.key.clone(), object.clone())
                            {
                                garbage.extend(old.blobs());
                            }
                            Ok(garbage)
                        }
                    }
                }
            }
        };
        self.settle(lock, outcome).await
    }

    /// Abort: the upload and every part go, record first, so a crash in
    /// between leaves only unreferenced parts, which start-up removes
    /// (S3-MPU-ABORT-BASIC: no part outlives the abort).
    pub async fn abort(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        policy: Policy,
    ) -> Result<(), S3Error> {
        if !policy.abort_removes_parts() {
            return self.upload(bucket, key, upload_id).map(drop);
        }
        if !policy.abort_keeps_object() {
            self.upload(bucket, key, upload_id)?;
            self.delete_object(bucket, key).await?;
        }
        let view = self.close_upload(bucket, key, upload_id)?;
        let removed = {
            let mut index = self.index();
            if let Some(b) = index.buckets.get_mut(bucket) {
                b.uploads.remove(&(view.meta.key.clone(), view.meta.seq));
            }
            index.uploads.remove(&view.id)
        };
        let mut garbage = vec![view.id];
        if let Some(removed) = removed {
            garbage.extend(removed.parts.values().map(|p| p.blob));
        }
        self.discard(garbage).await;
        Ok(())
    }
}
