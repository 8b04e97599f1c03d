//! tus 1.0.0 with every official extension.
//!
//! [`Tus`] turns requests into responses in three steps, each in one place:
//! the method (after `X-HTTP-Method-Override`) and the target path are
//! resolved here, the version is negotiated here, and each method's
//! handler lives in its own module. Every refusal is a [`Rejection`], whose
//! status is decided in `rejection.rs`; every response passes through
//! [`Tus::respond`], which adds `Tus-Resumable` and then lets `misreport`
//! apply the faults that bend what responses say. Faults that change what
//! the server does are questions of `policy.rs`; the tus section of the
//! config is `config.rs`, the header names `names.rs`.

mod checksum;
mod concat;
pub(crate) mod config;
mod create;
mod expiry;
mod extension;
mod headers;
mod location;
mod misreport;
mod names;
mod patch;
mod policy;
mod receive;
mod rejection;
mod upload;
mod view;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

pub use checksum::ChecksumAlgorithm;
pub use checksum::UnknownAlgorithm;
pub use extension::{Extension, UnknownExtension};
pub use rejection::Rejection;

use crate::faults::Faults;
use crate::framing;
use crate::http::{ResBody, empty};
use crate::protocol::{Answer, Background, Common, Handler};
use crate::store::{Record, Store, StoreError, Stores, UploadId};
use config::TusConfig;
use headers::single;
use names::{METHOD_OVERRIDE, TUS_RESUMABLE, VERSION};
use policy::Policy;
use upload::TusUpload;

/// The protocol settings, fixed at start-up.
#[derive(Debug)]
pub(crate) struct Settings {
    /// Starts and ends with `/`.
    pub base_path: String,
    /// How upload URLs are written (`Location`) and read (`Upload-Concat`).
    locations: location::Locations,
    pub max_size: Option<u64>,
    pub max_concat_parts: usize,
    /// The expiry period, set only when expiration is advertised.
    pub expiry: Option<Duration>,
    /// Advertised extensions, in `Tus-Extension` order.
    pub extensions: Vec<Extension>,
    pub algorithms: Vec<ChecksumAlgorithm>,
    /// How long a body may stall before the request is ended.
    pub idle_timeout: Duration,
    /// Deliberate deviations (empty for a correct server).
    pub faults: Faults,
}

impl Settings {
    fn new(config: &TusConfig, common: Common) -> Self {
        let extensions = config.effective_extensions();
        let expiry = config
            .expiry
            .filter(|_| extensions.contains(&Extension::Expiration));
        Self {
            base_path: config.base_path.clone(),
            locations: location::Locations::from_config(config),
            max_size: config.max_size,
            max_concat_parts: config.max_concat_parts,
            expiry,
            extensions,
            algorithms: config.checksum_algorithms.clone(),
            idle_timeout: common.idle_timeout,
            faults: common.faults,
        }
    }

    pub fn has(&self, extension: Extension) -> bool {
        self.extensions.contains(&extension)
    }

    /// The rules the faults bend, as questions handlers ask.
    pub fn policy(&self) -> Policy {
        Policy::new(self.faults)
    }
}

/// The tus protocol over a store.
pub struct Tus<S> {
    store: S,
    settings: Arc<Settings>,
}

/// What a request path names.
enum Target {
    /// The creation endpoint, the base path (with or without its final `/`).
    Endpoint,
    Upload(UploadId),
}

/// Opens tus over its store from `stores`.
pub(crate) async fn open<St: Stores>(
    config: &TusConfig,
    common: Common,
    stores: &St,
) -> Result<Tus<St::Store>, StoreError> {
    Ok(Tus {
        store: stores.open("tus")?,
        settings: Arc::new(Settings::new(config, common)),
    })
}

impl<S: Store + Clone> Tus<S> {
    /// Every response leaves through here: `Tus-Resumable` on all of them
    /// (P:L166-168, including OPTIONS and errors), no body for HEAD; then
    /// the faults that change what a response says, if any.
    async fn respond(&self, req: Request<Incoming>) -> Response<ResBody> {
        let faults = &self.settings.faults;
        let method = effective_method(req.headers(), req.method(), self.settings.policy());
        let answered = method.as_ref().unwrap_or(req.method()).clone();
        let result = match method {
            Ok(method) => self.route(method, req).await,
            Err(rejection) => Err(rejection),
        };
        let mut response = result.unwrap_or_else(|r| r.into_response(faults));
        if answered == Method::HEAD {
            *response.body_mut() = empty();
        }
        response
            .headers_mut()
            .insert(TUS_RESUMABLE, HeaderValue::from_static(VERSION));
        misreport::misreport(&self.settings, &answered, &mut response);
        response
    }

    async fn route(
        &self,
        method: Method,
        req: Request<Incoming>,
    ) -> Result<Response<ResBody>, Rejection> {
        let delete = method == Method::DELETE;
        match self.dispatch(method, req).await {
            // Idempotent deletes, S3-style: whatever the path named, it is
            // not there now. Covers unknown ids and paths that name no
            // upload alike, as a client cannot tell them apart.
            Err(Rejection::NotFound)
                if delete && !self.settings.policy().unknown_delete_not_found() =>
            {
                Ok(status(StatusCode::NO_CONTENT))
            }
            answer => answer,
        }
    }

    async fn dispatch(
        &self,
        method: Method,
        req: Request<Incoming>,
    ) -> Result<Response<ResBody>, Rejection> {
        let target = self.target(req.uri().path())?;
        framing::check(req.headers())?;
        if method == Method::OPTIONS {
            // Any version, or none, is fine here (P:L252-253), unless a
            // fault puts the version check in front of OPTIONS too.
            if !self.settings.policy().options_ignores_version() {
                check_version(req.headers(), true, &self.settings.faults)?;
            }
            return Ok(view::options(&self.settings));
        }
        check_version(req.headers(), method == Method::GET, &self.settings.faults)?;
        let creation = self.settings.has(Extension::Creation);
        let termination = self.settings.has(Extension::Termination);
        match (target, method) {
            (Target::Endpoint, Method::POST) if creation => create::create(self, req).await,
            (Target::Upload(id), Method::HEAD) => view::head(self, &id).await,
            (Target::Upload(id), Method::GET) => view::get(self, &id).await,
            (Target::Upload(id), Method::PATCH) => patch::patch(self, id, req).await,
            (Target::Upload(id), Method::DELETE) if termination => self.terminate(&id).await,
            (Target::Endpoint, _) => Err(Rejection::MethodNotAllowed {
                allow: if creation { "OPTIONS, POST" } else { "OPTIONS" },
            }),
            (Target::Upload(_), _) => Err(Rejection::MethodNotAllowed {
                allow: if termination {
                    "OPTIONS, HEAD, GET, PATCH, DELETE"
                } else {
                    "OPTIONS, HEAD, GET, PATCH"
                },
            }),
        }
    }

    fn target(&self, path: &str) -> Result<Target, Rejection> {
        let base = self.settings.base_path.as_str();
        if path == base || path == base.trim_end_matches('/') {
            return Ok(Target::Endpoint);
        }
        path.strip_prefix(base)
            .and_then(UploadId::parse)
            .map(Target::Upload)
            .ok_or(Rejection::NotFound)
    }

    /// The upload's record if it exists and has not expired.
    async fn live(&self, id: &UploadId) -> Result<Record<TusUpload>, Rejection> {
        let record = self
            .store
            .load::<TusUpload>(id)
            .await?
            .ok_or(Rejection::NotFound)?;
        if upload::is_expired(&record, SystemTime::now()) {
            Rejection::Expired.unless_waived(&self.settings.faults)?;
        }
        Ok(record)
    }

    /// Termination (P:L575-588): 204, afterwards 404. A busy upload is
    /// refused like any other concurrent change.
    async fn terminate(&self, id: &UploadId) -> Result<Response<ResBody>, Rejection> {
        let policy = self.settings.policy();
        let lock = self.store.try_lock(id).ok_or(Rejection::Locked)?;
        let record = self.live(id).await?;
        if upload::is_complete(&record) && !policy.terminates_completed_uploads() {
            return Err(Rejection::CompletedUpload);
        }
        if policy.termination_removes_upload() {
            self.store.remove(lock).await?;
        }
        Ok(status(StatusCode::NO_CONTENT))
    }

    /// The expiry to record for an upload touched now.
    fn next_expiry(&self) -> Option<u64> {
        self.settings
            .expiry
            .map(|period| upload::expiry_from(SystemTime::now(), period))
    }
}

impl<S: Store + Clone> Handler for Tus<S> {
    fn handle(&self, req: Request<Incoming>) -> Answer<'_> {
        Box::pin(self.respond(req))
    }

    fn background(&self) -> Option<Background> {
        let period = self.settings.expiry?;
        Some(Box::pin(expiry::sweep(self.store.clone(), period)))
    }
}

/// `X-HTTP-Method-Override` replaces the request's method whatever that is
/// (P:L187-192: "the actual method MUST be ignored"), unless a fault makes
/// the server ignore it, always or for methods other than POST.
fn effective_method(
    headers: &HeaderMap,
    actual: &Method,
    policy: Policy,
) -> Result<Method, Rejection> {
    if !policy.honours_method_override(actual) {
        return Ok(actual.clone());
    }
    match single(headers, METHOD_OVERRIDE)? {
        None => Ok(actual.clone()),
        Some(name) => Method::from_bytes(name.as_bytes())
            .map_err(|_| Rejection::InvalidOverride(name.to_owned())),
    }
}

/// Version negotiation (P:L166-173). GET is not part of tus, so a GET
/// without `Tus-Resumable` (a browser download) is served; a wrong version
/// is refused everywhere.
fn check_version(headers: &HeaderMap, optional: bool, faults: &Faults) -> Result<(), Rejection> {
    match single(headers, TUS_RESUMABLE)? {
        Some(VERSION) => Ok(()),
        Some(other) => Rejection::UnsupportedVersion(other.to_owned()).unless_waived(faults),
        None if optional => Ok(()),
        None => Err(Rejection::MissingVersion),
    }
}

/// A response with no body.
fn status(code: StatusCode) -> Response<ResBody> {
    let mut response = Response::new(empty());
    *response.status_mut() = code;
    response
}

/// A header value from text this server built out of validated ASCII
/// (digits, base64, dates, configured paths and ids).
fn ascii(text: String) -> HeaderValue {
    HeaderValue::try_from(text).expect("header values are built from validated ASCII")
}
