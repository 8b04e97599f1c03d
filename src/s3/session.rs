//! The S3 side of one run, shared by `upspec run` and `upspec faults`: what the
//! target offers (capabilities, and facts for the report), the variables scenarios
//! address it with, the run's own bucket, and the cleanup afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::S3Target;
use super::cleanup::{self, RunBucket};
use super::client::Client;
use super::settings::{self, DEFAULT_REGION, S3_CAPABILITY, S3Settings};
use crate::discover::Capabilities;
use crate::plan::PlannedScenario;

/// Adds what the S3 target offers to `capabilities` (S3 cannot be asked, so this
/// comes from the settings), with the endpoint, region and key for the report.
pub fn describe(settings: &S3Settings, capabilities: &mut Capabilities) {
    capabilities.names.extend(settings.capabilities());
    let facts = &mut capabilities.facts;
    facts.insert("S3 endpoint".into(), settings.endpoint.clone());
    facts.insert("S3 region".into(), settings.region.clone());
    let keys = match &settings.credentials {
        Some(credentials) => format!("access key {}", credentials.access_key_id),
        None => "none (requests go unsigned)".into(),
    };
    facts.insert("S3 keys".into(), keys);
}

/// The S3 target of a run, and the bucket it made or uses.
#[derive(Debug)]
pub struct Session {
    /// Signs the run's requests and records what they create.
    pub target: Arc<S3Target>,
    /// The run's bucket, when a planned scenario uses S3 (`None`: nothing to clean).
    pub bucket: Option<RunBucket>,
}

/// Prepares S3 for running `planned`: the variables `s3_endpoint`, `bucket` and
/// `region`, the bucket as a fact, and the run's own bucket, created only when a
/// scenario will use S3 (so a stray endpoint setting never makes a tus run touch an
/// object store) and no bucket was given.
pub async fn open(
    settings: &S3Settings,
    http: &reqwest::Client,
    run_id: &str,
    planned: &[PlannedScenario],
    variables: &mut BTreeMap<String, String>,
    capabilities: &mut Capabilities,
    timeout: Duration,
) -> Result<Session, String> {
    let bucket = settings
        .bucket
        .clone()
        .unwrap_or_else(|| settings::run_bucket_name(run_id));
    variables.insert("s3_endpoint".into(), settings.endpoint.clone());
    variables.insert("bucket".into(), bucket.clone());
    variables.insert("region".into(), settings.region.clone());
    capabilities
        .facts
        .insert("S3 bucket".into(), bucket.clone());
    let target = Arc::new(S3Target::new(
        &settings.endpoint,
        &settings.region,
        settings.credentials.clone(),
    ));
    let run_bucket = RunBucket {
        name: bucket,
        created: settings.bucket.is_none(),
        prefix: format!("{run_id}/"),
    };
    let used = planned.iter().any(uses_s3);
    if used && run_bucket.created {
        let client = Client {
            http,
            target: &target,
            timeout,
        };
        create_bucket(&client, &run_bucket.name).await?;
    }
    Ok(Session {
        target,
        bucket: used.then_some(run_bucket),
    })
}

impl Session {
    /// Removes what the run left on the target; returns the problems met, which are
    /// the run's, not the target's verdict.
    pub async fn clean(&self, http: &reqwest::Client, timeout: Duration) -> Vec<String> {
        let Some(bucket) = &self.bucket else {
            return Vec::new();
        };
        let client = Client {
            http,
            target: &self.target,
            timeout,
        };
        cleanup::clean(&client, bucket).await
    }
}

/// Whether a planned scenario will talk to the S3 target: it runs, and it is under
/// `s3/` or requires an `s3` capability.
fn uses_s3(planned: &PlannedScenario) -> bool {
    let scenario = &planned.scenario;
    planned.skip.is_none()
        && (scenario.module.first().map(String::as_str) == Some(S3_CAPABILITY)
            || scenario.requires.iter().any(|name| {
                name == S3_CAPABILITY || name.starts_with(&format!("{S3_CAPABILITY}:"))
            }))
}

/// Creates the run's own bucket, with the region as its location outside us-east-1
/// (AWS refuses a CreateBucket for another region without it).
async fn create_bucket(client: &Client<'_>, bucket: &str) -> Result<(), String> {
    let body = if client.target.region == DEFAULT_REGION {
        Vec::new()
    } else {
        format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
            client.target.region
        )
        .into_bytes()
    };
    let answer = client
        .send(reqwest::Method::PUT, &format!("/{bucket}"), body)
        .await
        .map_err(|error| format!("cannot create the run's S3 bucket: {error}"))?;
    if answer.success() {
        Ok(())
    } else {
        Err(format!(
            "cannot create the run's S3 bucket {bucket} at {}: the target answered {} \
             (give an existing bucket with --s3-bucket)",
            client.target.endpoint,
            answer.describe()
        ))
    }
}
