//! Removes what a run left on the S3 target, after every run, whatever its verdict:
//! it aborts the multipart uploads, deletes the objects, then the buckets the run
//! created.
//!
//! Two sources are combined, because neither suffices alone: the [`Ledger`] of what
//! the run's requests created (exact, even where a server's listing is limited, as
//! MinIO's ListMultipartUploads is to exact keys), and a listing sweep under the
//! run's prefix (which also finds what a request created before it failed, or what
//! a timed-out Complete finished later). Problems are returned as warnings: a run's
//! verdict is about the target's conformance, not about its cleanup.
//!
//! [`Ledger`]: super::Ledger

use std::collections::BTreeSet;

use reqwest::Method;

use super::client::{Answer, Client};
use super::{encode_key, encode_query_value};

/// Listing pages followed at most per bucket, so a server that always answers
/// `IsTruncated: true` cannot keep the run from ending.
const MAX_PAGES: usize = 1000;

/// Where the run's data lives on the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunBucket {
    pub name: String,
    /// Created by the run: swept whole and deleted afterwards. Otherwise (the user's
    /// bucket) only keys under `prefix` are swept, and the bucket stays.
    pub created: bool,
    /// `<run_id>/`: where scenarios put their keys, by convention.
    pub prefix: String,
}

impl RunBucket {
    /// The prefix to sweep: everything in a bucket the run created.
    fn sweep_prefix(&self) -> &str {
        if self.created { "" } else { &self.prefix }
    }
}

/// Aborts, deletes and removes what the run created; returns the problems met.
pub async fn clean(client: &Client<'_>, run: &RunBucket) -> Vec<String> {
    let mut cleaner = Cleaner {
        client,
        warnings: Vec::new(),
        aborted: BTreeSet::new(),
        deleted: BTreeSet::new(),
    };
    let created = client.target.ledger.snapshot();
    // Buckets to sweep: the run's, then any a scenario created (all of their content
    // is the run's).
    let mut sweeps = vec![(run.name.clone(), run.sweep_prefix().to_owned())];
    for bucket in &created.buckets {
        if *bucket != run.name {
            sweeps.push((bucket.clone(), String::new()));
        }
    }
    for (bucket, key, upload) in &created.uploads {
        cleaner.abort(bucket, key, upload).await;
    }
    for (bucket, prefix) in &sweeps {
        cleaner.sweep_uploads(bucket, prefix).await;
    }
    for (bucket, key) in &created.objects {
        cleaner.delete(bucket, key).await;
    }
    for (bucket, prefix) in &sweeps {
        cleaner.sweep_objects(bucket, prefix).await;
    }
    let mut buckets: Vec<&String> = created
        .buckets
        .iter()
        .filter(|bucket| **bucket != run.name)
        .collect();
    if run.created {
        buckets.push(&run.name);
    }
    for bucket in buckets {
        cleaner.remove_bucket(bucket).await;
    }
    cleaner.warnings
}

struct Cleaner<'c, 'a> {
    client: &'c Client<'a>,
    warnings: Vec<String>,
    /// (bucket, encoded key, upload id) already aborted.
    aborted: BTreeSet<(String, String, String)>,
    /// (bucket, encoded key) already deleted.
    deleted: BTreeSet<(String, String)>,
}

impl Cleaner<'_, '_> {
    async fn send(&mut self, method: Method, path: String, what: &str) -> Option<Answer> {
        match self.client.send(method, &path, Vec::new()).await {
            Ok(answer) => Some(answer),
            Err(error) => {
                self.warnings.push(format!("cannot {what}: {error}"));
                None
            }
        }
    }

    /// Aborts an upload; one that is already gone (completed, aborted) is fine.
    async fn abort(&mut self, bucket: &str, key: &str, upload: &str) {
        let id = (bucket.to_owned(), key.to_owned(), upload.to_owned());
        if !self.aborted.insert(id) {
            return;
        }
        let what = format!("abort the upload {upload} of {bucket}/{key}");
        let path = format!("/{bucket}/{key}?uploadId={}", encode_query_value(upload));
        if let Some(answer) = self.send(Method::DELETE, path, &what).await
            && !answer.success()
            && !answer.gone()
        {
            self.warnings.push(format!(
                "cannot {what}: the target answered {}",
                answer.describe()
            ));
        }
    }

    async fn delete(&mut self, bucket: &str, key: &str) {
        if !self.deleted.insert((bucket.to_owned(), key.to_owned())) {
            return;
        }
        let what = format!("delete the object {bucket}/{key}");
        if let Some(answer) = self
            .send(Method::DELETE, format!("/{bucket}/{key}"), &what)
            .await
            && !answer.success()
            && !answer.gone()
        {
            self.warnings.push(format!(
                "cannot {what}: the target answered {}",
                answer.describe()
            ));
        }
    }

    async fn remove_bucket(&mut self, bucket: &str) {
        let what = format!("delete the bucket {bucket}");
        if let Some(answer) = self.send(Method::DELETE, format!("/{bucket}"), &what).await
            && !answer.success()
            && !answer.gone()
        {
            self.warnings.push(format!(
                "cannot {what}: the target answered {}",
                answer.describe()
            ));
        }
    }

    /// ListMultipartUploads under `prefix`, page by page (key and upload-id markers),
    /// aborting every upload listed.
    async fn sweep_uploads(&mut self, bucket: &str, prefix: &str) {
        let mut markers: Option<(String, String)> = None;
        for _ in 0..MAX_PAGES {
            let mut path = format!("/{bucket}?uploads&prefix={}", encode_query_value(prefix));
            if let Some((key, upload)) = &markers {
                path.push_str(&format!(
                    "&key-marker={}&upload-id-marker={}",
                    encode_query_value(key),
                    encode_query_value(upload)
                ));
            }
            let what = format!("list the multipart uploads in {bucket}");
            let Some(page) = self
                .list_page(path, &what, "Upload", &["Key", "UploadId"])
                .await
            else {
                return;
            };
            for record in &page.records {
                self.abort(bucket, &encode_key(&record[0]), &record[1])
                    .await;
            }
            let next = (
                page.field("NextKeyMarker"),
                page.field("NextUploadIdMarker"),
            );
            match next {
                (Some(key), Some(upload)) if page.truncated => markers = Some((key, upload)),
                _ => return,
            }
        }
        self.warnings.push(format!(
            "stopped listing the multipart uploads in {bucket} after {MAX_PAGES} pages"
        ));
    }

    /// One page of a listing, or `None` when there is none to have: the bucket is
    /// gone (nothing left to clean), or the answer is a refusal or not a listing
    /// (a warning says which).
    async fn list_page(
        &mut self,
        path: String,
        what: &str,
        record: &str,
        fields: &[&str],
    ) -> Option<Page> {
        let answer = self.send(Method::GET, path, what).await?;
        if answer.gone() {
            return None;
        }
        if !answer.success() {
            self.warnings.push(format!(
                "cannot {what}: the target answered {}",
                answer.describe()
            ));
            return None;
        }
        Page::parse(&answer.body, record, fields)
            .map_err(|error| self.warnings.push(format!("cannot {what}: {error}")))
            .ok()
    }

    /// ListObjectsV2 under `prefix`, page by page, deleting every object listed.
    async fn sweep_objects(&mut self, bucket: &str, prefix: &str) {
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut path = format!(
                "/{bucket}?list-type=2&prefix={}",
                encode_query_value(prefix)
            );
            if let Some(token) = &token {
                path.push_str(&format!(
                    "&continuation-token={}",
                    encode_query_value(token)
                ));
            }
            let what = format!("list the objects in {bucket}");
            let Some(page) = self.list_page(path, &what, "Contents", &["Key"]).await else {
                return;
            };
            for record in &page.records {
                self.delete(bucket, &encode_key(&record[0])).await;
            }
            match page.field("NextContinuationToken") {
                Some(next) if page.truncated => token = Some(next),
                _ => return,
            }
        }
        self.warnings.push(format!(
            "stopped listing the objects in {bucket} after {MAX_PAGES} pages"
        ));
    }
}

/// One page of an S3 listing: its records and top-level fields, namespaces ignored.
#[derive(Debug, PartialEq, Eq)]
struct Page {
    /// For each record element, the text of each requested field (empty if missing).
    records: Vec<Vec<String>>,
    fields: Vec<(String, String)>,
    truncated: bool,
}

impl Page {
    fn parse(body: &str, record: &str, names: &[&str]) -> Result<Page, String> {
        let document = roxmltree::Document::parse(body.trim_start())
            .map_err(|error| format!("the listing is not XML ({error})"))?;
        let text = |node: roxmltree::Node| -> String {
            node.descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect()
        };
        let mut records = Vec::new();
        let mut fields = Vec::new();
        for child in document
            .root_element()
            .children()
            .filter(|n| n.is_element())
        {
            let name = child.tag_name().name();
            if name == record {
                records.push(
                    names
                        .iter()
                        .map(|field| {
                            child
                                .children()
                                .find(|n| n.is_element() && n.tag_name().name() == *field)
                                .map(text)
                                .unwrap_or_default()
                        })
                        .collect(),
                );
            } else {
                fields.push((name.to_owned(), text(child)));
            }
        }
        let truncated = fields
            .iter()
            .any(|(name, value)| name == "IsTruncated" && value.trim() == "true");
        Ok(Page {
            records,
            fields,
            truncated,
        })
    }

    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(own, value)| own == name && !value.is_empty())
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listings_with_and_without_namespaces() {
        let uploads = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker></KeyMarker><NextKeyMarker>r/b</NextKeyMarker>
  <NextUploadIdMarker>u2</NextUploadIdMarker><IsTruncated>true</IsTruncated>
  <Upload><Key>r/a b</Key><UploadId>u1</UploadId><Initiator><ID>x</ID></Initiator></Upload>
  <Upload><Key>r/b</Key><UploadId>u2</UploadId></Upload>
</ListMultipartUploadsResult>"#;
        let page = Page::parse(uploads, "Upload", &["Key", "UploadId"]).unwrap();
        assert_eq!(
            page.records,
            vec![
                vec!["r/a b".to_owned(), "u1".to_owned()],
                vec!["r/b".into(), "u2".into()]
            ]
        );
        assert!(page.truncated);
        assert_eq!(page.field("NextKeyMarker").as_deref(), Some("r/b"));
        assert_eq!(page.field("KeyMarker"), None);
        let objects = "<ListBucketResult><IsTruncated>false</IsTruncated>\
                       <Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>";
        let page = Page::parse(objects, "Contents", &["Key"]).unwrap();
        assert_eq!(page.records, vec![vec!["k".to_owned()]]);
        assert!(!page.truncated);
        assert!(Page::parse("nope", "Contents", &["Key"]).is_err());
    }

    #[test]
    fn a_user_bucket_is_swept_only_under_the_run_prefix() {
        let mine = RunBucket {
            name: "b".into(),
            created: false,
            prefix: "0123/".into(),
        };
        assert_eq!(mine.sweep_prefix(), "0123/");
        let created = RunBucket {
            created: true,
            ..mine
        };
        assert_eq!(created.sweep_prefix(), "");
    }
}
