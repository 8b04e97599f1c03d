//! One store per protocol, from one store configuration: protocols never
//! see each other's uploads, and the server opens every protocol the same
//! way whichever backend it runs on.

use std::path::{Path, PathBuf};

use super::{FileStore, MemoryStore, Store, StoreError};

/// Opens the store of one protocol.
pub trait Stores: Send + Sync {
    type Store: Store + Clone;

    /// The store of the protocol named `name` (its folder's name: `tus`,
    /// `s3`).
    fn open(&self, name: &str) -> Result<Self::Store, StoreError>;
}

/// A directory per protocol under one data directory.
#[derive(Debug)]
pub struct FileStores {
    data_dir: PathBuf,
    fsync: bool,
}

impl FileStores {
    pub fn new(data_dir: &Path, fsync: bool) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            fsync,
        }
    }
}

impl Stores for FileStores {
    type Store = FileStore;

    fn open(&self, name: &str) -> Result<FileStore, StoreError> {
        FileStore::open(self.data_dir.join(name), self.fsync)
    }
}

/// A fresh map per protocol.
#[derive(Debug)]
pub struct MemoryStores {
    /// Large uploads go to anonymous temporary files ([`MemoryStore::spilling`]).
    pub spill: bool,
}

impl Stores for MemoryStores {
    type Store = MemoryStore;

    fn open(&self, _name: &str) -> Result<MemoryStore, StoreError> {
        Ok(if self.spill {
            MemoryStore::spilling()
        } else {
            MemoryStore::new()
        })
    }
}
