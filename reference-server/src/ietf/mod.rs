//! The IETF draft "Resumable Uploads for HTTP" (RUFH), interop versions 6,
//! 8 and 9, on the tus listener and base path.
//!
//! A request is this protocol's when it names a supported
//! `Upload-Draft-Interop-Version` and carries no `Tus-Resumable`
//! ([`Handler::claims`]); everything else stays tus's. [`Ietf`] resolves the
//! target, then each operation answers: creation and append (`transfer.rs`),
//! offset retrieval, cancellation and OPTIONS (here). Every refusal is a
//! [`Rejection`] whose status is decided in `rejection.rs`; every answer,
//! and every 104 head, passes through `misreport` last. Faults that change
//! what the server does are questions of `policy.rs`.
//!
//! Concurrency (D-11 §4.6): a request for an upload that another request
//! is still writing terminates that request (it keeps what it received)
//! and then proceeds, as the draft recommends, so an offset this server
//! reports is always the one the next append must use.

pub(crate) mod config;
mod digest;
mod fields;
mod misreport;
mod policy;
mod rejection;
mod transfer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, EXPECT};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt as _;
use hyper::body::Frame;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::faults::Faults;
use crate::framing;
use crate::http::{ResBody, empty, stream};
use crate::protocol::{Answer, Background, Common, Handler};
use crate::store::{Record, Store, StoreError, Stores, UploadId, UploadLock};
use config::IetfConfig;
use fields::{
    ACCEPT_PATCH, Interop, Limits, PARTIAL_UPLOAD, TUS_RESUMABLE, UPLOAD_COMPLETE, UPLOAD_LENGTH,
    UPLOAD_LIMIT, UPLOAD_OFFSET, sf_bool,
};
use misreport::misreport;
use policy::Policy;
use rejection::Rejection;

/// How long a request waits for the request it terminated to let go.
const TAKEOVER: Duration = Duration::from_secs(5);

/// A refused body declaring at most this much above `max-append-size` is
/// read whole before the answer goes (see [`Ietf::finish_reading`]);
/// a longer or undeclared one only up to [`crate::http::DRAIN_LIMIT`].
const DRAIN_SLACK: u64 = 4 << 20;
/// How long reading a refused body may take before the answer goes anyway.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The protocol settings, fixed at start-up.
#[derive(Debug)]
pub(crate) struct Settings {
    enabled: bool,
    /// The tus base path, shared; starts and ends with `/`.
    base_path: String,
    limits: Limits,
    idle_timeout: Duration,
    faults: Faults,
}

impl Settings {
    fn policy(&self) -> Policy {
        Policy::new(self.faults)
    }
}

/// What the store keeps of an upload besides its bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct IetfUpload {
    /// The length, once an indicator gave it (D-11 §2.1.3).
    length: Option<u64>,
    /// Completed by a fully received `Upload-Complete: ?1` request.
    complete: bool,
    /// Invalidated: an append went past the length, or the completed
    /// representation did not match its `Repr-Digest`.
    invalid: bool,
    /// The creation's `Repr-Digest` (algorithm, base64), checked when the
    /// upload completes (digest.rs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    repr_digest: Vec<(String, String)>,
    /// The algorithm the creation's `Want-Repr-Digest` prefers, for the
    /// response completing the upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    want_repr_digest: Option<String>,
}

/// Requests writing an upload's bytes right now, so a newer request for
/// the same upload can end them.
#[derive(Debug, Default)]
struct Inflight {
    next: AtomicU64,
    writers: Mutex<HashMap<UploadId, (u64, CancellationToken)>>,
}

/// A registration in [`Inflight`], removed when dropped.
struct Writer<'a> {
    inflight: &'a Inflight,
    id: UploadId,
    serial: u64,
    token: CancellationToken,
}

impl Inflight {
    fn register(&self, id: UploadId) -> Writer<'_> {
        let serial = self.next.fetch_add(1, Ordering::Relaxed);
        let token = CancellationToken::new();
        self.writers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (serial, token.clone()));
        Writer {
            inflight: self,
            id,
            serial,
            token,
        }
    }

    fn terminate(&self, id: &UploadId) {
        if let Some((_, token)) = self
            .writers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
        {
            token.cancel();
        }
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        let mut writers = self
            .inflight
            .writers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if writers
            .get(&self.id)
            .is_some_and(|(s, _)| *s == self.serial)
        {
            writers.remove(&self.id);
        }
    }
}

/// A request's content, noting whether the handler began to read it.
pub(super) struct Content {
    body: Incoming,
    read: bool,
}

impl Content {
    fn new(body: Incoming) -> Self {
        Self { body, read: false }
    }

    /// The next frame of the body.
    pub(super) async fn frame(&mut self) -> Option<Result<Frame<Bytes>, hyper::Error>> {
        self.read = true;
        self.body.frame().await
    }

    /// What is left of the body, when its framing says (`Content-Length`).
    pub(super) fn length(&self) -> Option<u64> {
        self.body.size_hint().exact()
    }
}

/// The draft over a store.
pub struct Ietf<S> {
    store: S,
    settings: Arc<Settings>,
    inflight: Arc<Inflight>,
}

/// Opens the draft over its store from `stores`, under tus's `base_path`.
pub(crate) async fn open<St: Stores>(
    config: &IetfConfig,
    base_path: &str,
    common: Common,
    stores: &St,
) -> Result<Ietf<St::Store>, StoreError> {
    Ok(Ietf {
        store: stores.open("ietf")?,
        settings: Arc::new(Settings {
            enabled: config.enabled,
            base_path: base_path.to_owned(),
            limits: Limits {
                max_size: config.max_size,
                min_size: config.min_size,
                max_append_size: config.max_append_size,
                min_append_size: config.min_append_size,
            },
            idle_timeout: common.idle_timeout,
            faults: common.faults,
        }),
        inflight: Arc::default(),
    })
}

/// What a request path names.
enum Target {
    /// The resource uploads are created at (the base path), or `*`.
    Endpoint,
    Upload(UploadId),
}

impl<S: Store + Clone> Ietf<S> {
    /// The interop version a request is answered at, if it is the draft's.
    fn version_of(&self, headers: &HeaderMap) -> Option<Interop> {
        let any = !self.settings.policy().answers_only_its_versions();
        Interop::answered(headers, any)
    }

    async fn respond(&self, req: Request<Incoming>) -> Response<ResBody> {
        let method = req.method().clone();
        let (parts, body) = req.into_parts();
        let req = Request::from_parts(parts, ());
        let mut content = Content::new(body);
        let (answer, result) = match self.version_of(req.headers()) {
            Some(version) => self.route(version, &req, &mut content).await,
            // Only claimed requests come here; a protocol list that sends
            // others anyway gets a refusal, not a panic.
            None => (misreport::Answer::Other, Err(Rejection::NotFound)),
        };
        let cut = result.as_ref().is_err_and(Rejection::cut_the_body);
        self.finish_reading(req.headers(), &mut content, cut).await;
        let mut response = result.unwrap_or_else(Rejection::into_response);
        if method == Method::HEAD {
            *response.body_mut() = empty();
        }
        let status = response.status();
        misreport(
            &self.settings.faults,
            answer,
            status,
            response.headers_mut(),
        );
        response
    }

    /// Reads what an answer left of the content, so that a client still
    /// sending it reads the answer: answering and closing with its bytes
    /// unread makes the kernel reset the connection, and the client gets
    /// "broken pipe" instead of, say, the 413 with `Upload-Limit`. The one
    /// place for every answer (mostly refusals before the body was read,
    /// or past a cap). Bounded: a body declaring at most [`DRAIN_SLACK`]
    /// above `max-append-size` is read whole, any other up to
    /// [`crate::http::DRAIN_LIMIT`], and never for longer than
    /// [`DRAIN_TIME`]. Not read: a body that was itself the problem
    /// (stalled, cut, taken over), nor an unread one the client has not
    /// sent (`Expect: 100-continue`: it waits for the answer, and hyper sends
    /// no `100 Continue` once the body is left alone).
    async fn finish_reading(&self, headers: &HeaderMap, content: &mut Content, cut: bool) {
        if content.body.is_end_stream() || cut || (!content.read && expects_continue(headers)) {
            return;
        }
        let whole = self
            .settings
            .limits
            .max_append_size
            .unwrap_or(0)
            .saturating_add(DRAIN_SLACK);
        let budget = match content.length() {
            Some(n) if n <= whole => n,
            _ => crate::http::DRAIN_LIMIT,
        };
        crate::http::drain_up_to(&mut content.body, budget, DRAIN_TIME).await;
    }

    async fn route(
        &self,
        version: Interop,
        req: &Request<()>,
        content: &mut Content,
    ) -> (misreport::Answer, Result<Response<ResBody>, Rejection>) {
        use misreport::Answer as A;
        let target = match self.target(req.uri().path()) {
            Ok(target) => target,
            Err(rejection) => return (A::Other, Err(rejection)),
        };
        if let Err(e) = framing::check(req.headers()) {
            return (A::Other, Err(e.into()));
        }
        let method = req.method().clone();
        match (target, method) {
            (_, Method::OPTIONS) => (A::Options, Ok(self.options(version))),
            // A creation by PUT is answered like one by POST
            // (RUFH-CRE-METHODS: D-11 §4.2.1 names no method).
            (Target::Endpoint, Method::POST | Method::PUT) => (
                A::Transfer,
                transfer::create(self, version, req, content).await,
            ),
            (Target::Endpoint, _) => (
                A::Other,
                Err(Rejection::MethodNotAllowed {
                    allow: "OPTIONS, POST, PUT",
                }),
            ),
            (Target::Upload(id), Method::HEAD | Method::GET) => {
                let get = req.method() == Method::GET;
                (A::Head, self.head(version, &id, req.headers(), get).await)
            }
            (Target::Upload(id), Method::PATCH) => {
                let result = transfer::append(self, version, id, req, content).await;
                (A::Transfer, self.with_offset(version, &id, result).await)
            }
            (Target::Upload(id), Method::DELETE) => {
                (A::Other, self.cancel(version, &id, req.headers()).await)
            }
            (Target::Upload(_), _) => (
                A::Other,
                Err(Rejection::MethodNotAllowed {
                    allow: "OPTIONS, HEAD, GET, PATCH, DELETE",
                }),
            ),
        }
    }

    fn target(&self, path: &str) -> Result<Target, Rejection> {
        let base = self.settings.base_path.as_str();
        if path == "*" || path == base || path == base.trim_end_matches('/') {
            return Ok(Target::Endpoint);
        }
        path.strip_prefix(base)
            .and_then(UploadId::parse)
            .map(Target::Upload)
            .ok_or(Rejection::NotFound)
    }

    /// The upload resource's URL, as a path (a relative reference).
    fn location(&self, id: &UploadId) -> HeaderValue {
        HeaderValue::try_from(format!("{}{id}", self.settings.base_path))
            .expect("the base path and ids are visible ASCII")
    }

    /// The upload's lock. A request still writing it is terminated first
    /// (D-11 §4.6: "the resource SHOULD prevent race conditions ... by
    /// terminating the previous request before processing the new
    /// request"); it keeps what it received and lets go.
    async fn take(&self, id: &UploadId) -> Result<UploadLock, Rejection> {
        if let Some(lock) = self.store.try_lock(id) {
            return Ok(lock);
        }
        let deadline = tokio::time::Instant::now() + TAKEOVER;
        while tokio::time::Instant::now() < deadline {
            // Asked each round: a creation registers its transfer only
            // after its 104 is out, with the lock already held.
            self.inflight.terminate(id);
            tokio::time::sleep(Duration::from_millis(10)).await;
            if let Some(lock) = self.store.try_lock(id) {
                return Ok(lock);
            }
        }
        Err(Rejection::Locked)
    }

    /// The upload's record, if it exists and is still valid.
    async fn live(&self, id: &UploadId) -> Result<Record<IetfUpload>, Rejection> {
        let record = self
            .store
            .load::<IetfUpload>(id)
            .await?
            .ok_or(Rejection::NotFound)?;
        if record.meta.invalid {
            return Err(Rejection::Invalidated);
        }
        Ok(record)
    }

    /// Interop 6 reports the offset of a still active upload on a refused
    /// append too ([`Rejection::Active`]).
    async fn with_offset(
        &self,
        version: Interop,
        id: &UploadId,
        result: Result<Response<ResBody>, Rejection>,
    ) -> Result<Response<ResBody>, Rejection> {
        let refusal = match result {
            Err(refusal) if version == Interop::V6 => refusal,
            other => return other,
        };
        if matches!(refusal, Rejection::NotFound | Rejection::Invalidated) {
            return Err(refusal);
        }
        match self.store.load::<IetfUpload>(id).await {
            Ok(Some(record)) if !record.meta.invalid => Err(Rejection::Active {
                refusal: Box::new(refusal),
                offset: record.offset,
            }),
            _ => Err(refusal),
        }
    }

    /// The fields describing an upload's state.
    fn state(&self, record: &Record<IetfUpload>, h: &mut HeaderMap) {
        h.insert(UPLOAD_OFFSET, HeaderValue::from(record.offset));
        h.insert(UPLOAD_COMPLETE, sf_bool(record.meta.complete));
        if let Some(length) = record.meta.length {
            h.insert(UPLOAD_LENGTH, HeaderValue::from(length));
        }
    }

    /// OPTIONS (of the endpoint, `*` or an upload): `Upload-Limit` always
    /// (D-05 §5.2, D-12 §2.1.4: "MUST include the `Upload-Limit` header
    /// field", `min-size=0` when there are no limits; D-11 makes it a
    /// SHOULD); interop 8 also `Accept-Patch` with the media type (D-11
    /// §2.1.4: "MUST include the `Accept-Patch` ... MUST include the full
    /// `application/partial-upload` media type").
    fn options(&self, version: Interop) -> Response<ResBody> {
        let mut response = status(StatusCode::NO_CONTENT);
        let h = response.headers_mut();
        h.insert(UPLOAD_LIMIT, self.settings.limits.header());
        if version == Interop::V8 {
            h.insert(ACCEPT_PATCH, HeaderValue::from_static(PARTIAL_UPLOAD));
        }
        h.insert(
            ALLOW,
            HeaderValue::from_static("OPTIONS, POST, HEAD, GET, PATCH, DELETE"),
        );
        response
    }

    /// Offset retrieval (D-05 §6, D-11/D-12 §4.3.2): 204 (200 with the
    /// bytes received so far for GET, which D-12 describes) with
    /// `Upload-Offset`, `Upload-Complete`, `Upload-Length` when known,
    /// `Upload-Limit` and `Cache-Control: no-store`.
    async fn head(
        &self,
        version: Interop,
        id: &UploadId,
        headers: &HeaderMap,
        get: bool,
    ) -> Result<Response<ResBody>, Rejection> {
        if version == Interop::V6 {
            forbid(headers, &[UPLOAD_OFFSET, UPLOAD_COMPLETE, UPLOAD_LENGTH])?;
        }
        let lock = self.take(id).await?;
        let record = self.live(id).await?;
        let mut response = if get {
            let bytes = self.store.read(id, record.offset).await?;
            let mut response = Response::new(stream(bytes));
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(record.offset));
            response
        } else {
            status(StatusCode::NO_CONTENT)
        };
        drop(lock);
        let h = response.headers_mut();
        self.state(&record, h);
        h.insert(UPLOAD_LIMIT, self.settings.limits.header());
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    }

    /// Cancellation: 204, and the upload is gone (D-05 §8 "MUST respond
    /// with a `204 (No Content)`"; D-11 §4.5.2 "SHOULD deactivate"). An
    /// invalidated upload can be cancelled too.
    async fn cancel(
        &self,
        version: Interop,
        id: &UploadId,
        headers: &HeaderMap,
    ) -> Result<Response<ResBody>, Rejection> {
        if version == Interop::V6 {
            forbid(headers, &[UPLOAD_OFFSET, UPLOAD_COMPLETE])?;
        }
        let lock = self.take(id).await?;
        match self.live(id).await {
            Ok(_) | Err(Rejection::Invalidated) => {}
            Err(other) => return Err(other),
        }
        if self.settings.policy().delete_deactivates() {
            self.store.remove(lock).await?;
        }
        Ok(status(StatusCode::NO_CONTENT))
    }
}

impl<S: Store + Clone> Handler for Ietf<S> {
    /// Requests naming a supported interop version and no tus version
    /// (docs/reference-server.md, "Two protocols on one path").
    fn claims(&self, req: &Request<Incoming>) -> bool {
        self.settings.enabled
            && !req.headers().contains_key(TUS_RESUMABLE)
            && self.version_of(req.headers()).is_some()
    }

    fn handle(&self, req: Request<Incoming>) -> Answer<'_> {
        Box::pin(self.respond(req))
    }

    fn background(&self) -> Option<Background> {
        None
    }
}

/// `Expect: 100-continue`: the client sends the body only when asked to.
fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Refuses a request carrying any of `names`.
fn forbid(headers: &HeaderMap, names: &[&'static str]) -> Result<(), Rejection> {
    match names.iter().find(|name| headers.contains_key(**name)) {
        Some(name) => Err(Rejection::ForbiddenField(name)),
        None => Ok(()),
    }
}

/// A response with no body.
fn status(code: StatusCode) -> Response<ResBody> {
    let mut response = Response::new(empty());
    *response.status_mut() = code;
    response
}
