//! What a run created on the S3 target, noted as its requests succeed, so cleanup
//! can remove exactly that even where listing falls short (MinIO lists uploads only
//! for an exact key prefix; a scenario may write outside the run's prefix).

use std::collections::BTreeSet;
use std::sync::Mutex;

use url::Url;

/// The buckets, objects and multipart uploads a run's successful requests created.
/// Keys are kept percent-encoded exactly as they were sent, ready for a URL path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Created {
    pub buckets: BTreeSet<String>,
    /// (bucket, key)
    pub objects: BTreeSet<(String, String)>,
    /// (bucket, key, upload id)
    pub uploads: BTreeSet<(String, String, String)>,
}

/// Shared by every scenario of a run; a lock held only for one insert.
#[derive(Debug, Default)]
pub struct Ledger(Mutex<Created>);

impl Ledger {
    pub fn snapshot(&self) -> Created {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Created> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes what a successful request to `url` created, `path` being its path
    /// below the target's endpoint (`S3Target::path_of`): `PUT /bucket` a bucket,
    /// `POST /bucket/key?uploads` an upload (its id read from the answer), `PUT
    /// /bucket/key` (not a part) and `POST /bucket/key?uploadId=` (Complete) an object.
    pub fn observe(&self, method: &str, url: &Url, path: &str, status: u16, body: Option<&str>) {
        if !(200..300).contains(&status) {
            return;
        }
        let path = path.trim_start_matches('/');
        let (bucket, key) = match path.split_once('/') {
            Some((bucket, key)) => (bucket, key),
            None => (path, ""),
        };
        if bucket.is_empty() {
            return;
        }
        let has = |name: &str| url.query_pairs().any(|(key, _)| key == name);
        // The query of a presigned URL authenticates; it does not name a sub-resource.
        let plain = url.query_pairs().all(|(key, _)| key.starts_with("X-Amz-"));
        let mut created = self.lock();
        match (method, key.is_empty()) {
            ("PUT", true) if plain => {
                created.buckets.insert(bucket.to_owned());
            }
            ("PUT", false) if plain => {
                created.objects.insert((bucket.to_owned(), key.to_owned()));
            }
            ("POST", false) if has("uploads") => {
                let id = body.and_then(|text| {
                    crate::wire::xml::element_text(text, "InitiateMultipartUploadResult/UploadId")
                        .ok()
                });
                if let Some(id) = id {
                    created
                        .uploads
                        .insert((bucket.to_owned(), key.to_owned(), id));
                }
            }
            ("POST", false) if has("uploadId") => {
                created.objects.insert((bucket.to_owned(), key.to_owned()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_buckets_objects_and_uploads_from_successes_only() {
        let ledger = Ledger::default();
        let observe = |method, url: &str, status, body| {
            let url = Url::parse(url).unwrap();
            ledger.observe(method, &url, url.path(), status, body);
        };
        observe("PUT", "http://127.0.0.1:9000/b", 200, None);
        observe("PUT", "http://127.0.0.1:9000/b/r/a%20b", 200, None);
        observe(
            "PUT",
            "http://127.0.0.1:9000/b/r/p?partNumber=1&uploadId=u",
            200,
            None,
        );
        observe(
            "POST",
            "http://127.0.0.1:9000/b/r/m?uploads",
            200,
            Some(
                "<InitiateMultipartUploadResult xmlns=\"x\"><UploadId>u1</UploadId></InitiateMultipartUploadResult>",
            ),
        );
        observe("POST", "http://127.0.0.1:9000/b/r/m?uploadId=u1", 200, None);
        observe("PUT", "http://127.0.0.1:9000/b/r/failed", 403, None);
        observe(
            "PUT",
            "http://127.0.0.1:9000/b/r/presigned?X-Amz-Signature=s",
            200,
            None,
        );
        let created = ledger.snapshot();
        assert_eq!(created.buckets, BTreeSet::from(["b".to_owned()]));
        assert_eq!(
            created.objects,
            BTreeSet::from([
                ("b".to_owned(), "r/a%20b".to_owned()),
                ("b".to_owned(), "r/m".to_owned()),
                ("b".to_owned(), "r/presigned".to_owned())
            ])
        );
        assert_eq!(
            created.uploads,
            BTreeSet::from([("b".to_owned(), "r/m".to_owned(), "u1".to_owned())])
        );
    }
}
