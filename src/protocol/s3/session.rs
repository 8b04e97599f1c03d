//! The S3 side of one run, shared by `upspec run` and `upspec faults`: what the
//! target offers (capabilities, and facts for the report), the variables scenarios
//! address it with, the run's own bucket, and the cleanup afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use super::cleanup::{self, RunBucket};
use super::client::Client;
use super::settings::{self, DEFAULT_REGION, S3Settings};
use super::sigv4::Sigv4;
use super::{NAME, S3Target, prepare};
use crate::engine::expect::Received;
use crate::engine::request::Prepared;
use crate::engine::scope::EvalError;
use crate::engine::session::Session as EngineSession;
use crate::protocol::{Capabilities, RunSession, Setup};
use crate::scenario::model::{ProtocolOption, Scenario};

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

/// Prepares S3 for running the scenarios `running`: the variables `s3_endpoint`, `bucket` and
/// `region`, the bucket as a fact, and the run's own bucket, created only when a
/// scenario will use S3 (so a stray endpoint setting never makes a tus run touch an
/// object store) and no bucket was given.
pub(crate) async fn open(
    settings: &S3Settings,
    setup: &Setup<'_>,
    running: &[&Scenario],
    variables: &mut BTreeMap<String, String>,
    capabilities: &mut Capabilities,
) -> Result<Session, String> {
    let run_id = setup.run_id;
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
    let used = running.iter().any(|scenario| uses_s3(scenario));
    if used && run_bucket.created {
        let client = Client {
            http: setup.client,
            target: &target,
            timeout: setup.timeout,
        };
        create_bucket(&client, &run_bucket.name).await?;
    }
    Ok(Session {
        target,
        bucket: used.then_some(run_bucket),
    })
}

impl RunSession for Session {
    fn clean<'a>(
        &'a self,
        http: &'a reqwest::Client,
        timeout: Duration,
    ) -> BoxFuture<'a, Vec<String>> {
        async move {
            let Some(bucket) = &self.bucket else {
                return Vec::new();
            };
            let client = Client {
                http,
                target: &self.target,
                timeout,
            };
            let problems = cleanup::clean(&client, bucket).await;
            problems
                .into_iter()
                .map(|problem| format!("S3 cleanup: {problem}"))
                .collect()
        }
        .boxed()
    }
}

impl EngineSession for Session {
    fn protocol(&self) -> &'static str {
        NAME
    }

    /// Signs requests to the target (and those whose step says `sigv4:`).
    fn prepare(
        &self,
        request: &mut Prepared,
        options: &[&dyn ProtocolOption],
        now: SystemTime,
    ) -> Result<(), EvalError> {
        let sigv4 = options
            .iter()
            .find_map(|option| option.as_any().downcast_ref::<Sigv4>());
        prepare::apply(request, sigv4, &self.target, now)
    }

    /// Notes what a request created, for the cleanup.
    fn observe(&self, request: &Prepared, received: &Received) {
        let Some(path) = self.target.path_of(&request.url) else {
            return;
        };
        let body = received.body.text("the S3 ledger").ok();
        self.target.ledger.observe(
            request.method.as_str(),
            &request.url,
            path,
            received.status,
            body.as_deref(),
        );
    }
}

/// Whether a scenario talks to the S3 target: it is under `s3/` or requires an
/// `s3` capability.
fn uses_s3(scenario: &Scenario) -> bool {
    scenario.module.first().map(String::as_str) == Some(NAME)
        || scenario
            .requires
            .iter()
            .any(|capability| !capability.negated && capability.protocol == NAME)
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
