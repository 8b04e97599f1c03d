//! Creation (D-05 §4, D-11/D-12 §4.2) and append (D-05 §7, D-11/D-12
//! §4.4): the two requests that carry representation data, and the one
//! receiving loop behind both.
//!
//! The receiving loop keeps every byte that arrived (D-11 §4.4.2 "SHOULD
//! append as much of the patch document as possible"), never lets the
//! offset pass a known length (D-11 §4.4.2 "MUST prevent the offset from
//! exceeding the upload length"), and ends when the body stalls past the
//! idle timeout or a newer request for the upload takes over. While it
//! receives, it reports progress in 104s ([`Progress`]).

use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use std::time::Duration;

use http::HeaderName;

use super::digest::{self, Algorithm, CONTENT_DIGEST, Expected, Hashers, REPR_DIGEST};
use super::fields::{
    INTEROP_VERSION, Interop, PARTIAL_UPLOAD, UPLOAD_COMPLETE, UPLOAD_LENGTH, UPLOAD_LIMIT,
    UPLOAD_OFFSET, boolean, integer, sf_bool,
};
use super::misreport::{Answer, misreport, misreport_progress};
use super::{Content, Ietf, IetfUpload, Rejection, Settings, Writer, status};
use crate::http::ResBody;
use crate::interim::Interim;
use crate::store::{Appender, Record, Store, StoreError, UploadId, UploadLock};
use futures_util::StreamExt as _;

/// The request fields both transfers read, parsed as RFC 9651 says.
struct Fields {
    complete: Option<bool>,
    offset: Option<u64>,
    length: Option<u64>,
    /// `Content-Length`, when the body has one.
    content_length: Option<u64>,
}

impl Fields {
    fn read(settings: &Settings, req: &Request<()>, content: &Content) -> Self {
        let strict = settings.policy().parses_fields_strictly();
        let h = req.headers();
        Fields {
            complete: boolean(h, UPLOAD_COMPLETE, strict),
            offset: integer(h, UPLOAD_OFFSET, strict),
            length: integer(h, UPLOAD_LENGTH, strict),
            content_length: content.length(),
        }
    }
}

/// How a body's receipt ended.
enum Receipt {
    /// Every byte arrived.
    Whole,
    /// The body went on past `cap`; the bytes up to it were kept.
    PastCap(Cap),
    /// Stalled, cut, or taken over; what arrived was kept (unless the
    /// request carried a `Content-Digest`: unverified, nothing is kept).
    Cut(Rejection),
    /// Every byte arrived but did not match the `Content-Digest`; nothing
    /// was kept.
    DigestMismatch,
}

/// The most bytes a body may carry, and why.
#[derive(Debug, Clone, Copy)]
enum Cap {
    /// The upload's known length.
    Length(u64),
    /// `max-size`.
    MaxSize(u64),
    /// `max-append-size`.
    Append(u64),
}

impl Cap {
    fn bytes(self) -> u64 {
        match self {
            Cap::Length(n) | Cap::MaxSize(n) | Cap::Append(n) => n,
        }
    }
}

/// The tightest cap on a body written at `offset`.
fn cap(settings: &Settings, length: Option<u64>, offset: u64, append: bool) -> Option<Cap> {
    let limits = settings.limits;
    let policy = settings.policy();
    [
        length
            .filter(|_| policy.stops_at_length())
            .map(|l| Cap::Length(l.saturating_sub(offset))),
        limits
            .max_size
            .map(|m| Cap::MaxSize(m.saturating_sub(offset))),
        limits.max_append_size.filter(|_| append).map(Cap::Append),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|c| c.bytes())
}

/// A progress 104 goes out after every this many bytes received...
const PROGRESS_STEP: u64 = 256 * 1024;
/// ...and at most this many times in one request (64 MiB of reports), so
/// no body can make the server flood its client with heads.
const PROGRESS_MAX: u32 = 256;

/// The progress 104s of one transfer (D-11/D-12 §4.4.2 "While the request
/// content is being received, the server SHOULD send interim responses
/// with a `104 (Upload Resumption Supported)` status code and the
/// `Upload-Offset` header field set to the current offset"; D-05 §7 "They
/// MAY include the `Upload-Offset` header field with the current upload
/// offset"), each with the interop version (Appendix "MUST also send a
/// header field `Upload-Draft-Interop-Version`"). An append's carry no
/// `Location` (D-11 §4.4.2 "These interim responses MUST NOT include the
/// `Location` header field", D-05 §7 alike); a creation's carry the same
/// `Location` and `Upload-Limit` as its first 104 (RUFH-CRE-PROGRESS).
///
/// At most one per [`PROGRESS_STEP`] bytes and [`PROGRESS_MAX`] per
/// request, none on the body's first data frame (the interim seam's rule
/// for heads sent mid-body, `interim.rs`), and none to HTTP/1.0 clients
/// (no [`Interim`] for them). The offsets reported never decrease: each is
/// the transfer's start plus the bytes received and kept so far.
pub(super) struct Progress {
    interim: Interim,
    /// The fields every head carries besides `Upload-Offset`.
    fields: HeaderMap,
    /// The upload's URL, for the fault that puts it on an append's heads.
    location: HeaderValue,
    /// The upload offset the content starts at.
    start: u64,
    /// Bytes received at which the next head is due.
    next: u64,
    sent: u32,
    frames: u32,
}

impl Progress {
    fn new(interim: Interim, fields: HeaderMap, location: HeaderValue, start: u64) -> Self {
        Self {
            interim,
            fields,
            location,
            start,
            next: PROGRESS_STEP,
            sent: 0,
            frames: 0,
        }
    }

    /// Called after each data frame is kept, with the bytes received so
    /// far: sends a head if one is due. `false` once the connection would
    /// not take one within `wait` (then no more are tried).
    async fn after_frame(&mut self, settings: &Settings, received: u64, wait: Duration) -> bool {
        self.frames += 1;
        if self.frames < 2 || received < self.next || self.sent >= PROGRESS_MAX {
            return true;
        }
        self.sent += 1;
        self.next = received.saturating_add(PROGRESS_STEP);
        let mut h = self.fields.clone();
        h.insert(UPLOAD_OFFSET, HeaderValue::from(self.start + received));
        misreport_progress(&settings.faults, self.location.clone(), &mut h);
        let status = StatusCode::from_u16(104).expect("104 is a status");
        matches!(
            tokio::time::timeout(wait, self.interim.send(status, &h)).await,
            Ok(Ok(()))
        )
    }
}

/// Streams the body into `appender` up to `cap`, committing `meta` with
/// whatever arrived, and says how it ended; reports progress if asked to.
///
/// With a `Content-Digest` (`digest` not empty) only a whole body that
/// matches it is committed: a mismatch, or a body that was cut or went
/// past its cap and so cannot be verified, commits nothing (D-11 §10.2
/// "not append the content to the upload resource"), and the bytes
/// committed before stay as they were. The count returned is then 0.
#[allow(clippy::too_many_arguments)]
async fn receive<A: Appender>(
    settings: &Settings,
    body: &mut Content,
    appender: &mut A,
    meta: &IetfUpload,
    cap: Option<Cap>,
    writer: &Writer<'_>,
    mut progress: Option<Progress>,
    digest: &Expected,
) -> Result<(u64, Receipt), Rejection> {
    let mut check = Hashers::checking(digest);
    let mut received = 0u64;
    let receipt = loop {
        let frame = tokio::select! {
            _ = writer.token.cancelled() => break Receipt::Cut(Rejection::BodyInterrupted),
            frame = tokio::time::timeout(settings.idle_timeout, body.frame()) => frame,
        };
        let data = match frame {
            Err(_) => break Receipt::Cut(Rejection::BodyStalled),
            Ok(None) => break Receipt::Whole,
            Ok(Some(Err(_))) => break Receipt::Cut(Rejection::BodyInterrupted),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
        };
        let len = data.len() as u64;
        if let Some(cap) = cap
            && received + len > cap.bytes()
        {
            let fits = (cap.bytes() - received) as usize;
            if let Some(check) = check.as_mut() {
                check.update(&data[..fits]);
            }
            appender.write(data.slice(..fits)).await?;
            received += fits as u64;
            break Receipt::PastCap(cap);
        }
        if let Some(check) = check.as_mut() {
            check.update(&data);
        }
        appender.write(data).await?;
        received += len;
        if let Some(reporter) = progress.as_mut() {
            let sent = tokio::select! {
                // A half-written head marks the connection broken, which
                // is fine for a request that was taken over.
                _ = writer.token.cancelled() => break Receipt::Cut(Rejection::BodyInterrupted),
                sent = reporter.after_frame(settings, received, settings.idle_timeout) => sent,
            };
            if !sent {
                progress = None;
            }
        }
    };
    if let Some(check) = check {
        // Dropping the appender discards what was written (store/mod.rs).
        return Ok(match receipt {
            Receipt::Whole if check.finish().match_all(digest) => {
                appender.commit(meta).await?;
                (received, receipt)
            }
            Receipt::Whole => (0, Receipt::DigestMismatch),
            other => (0, other),
        });
    }
    let keep = matches!(receipt, Receipt::Whole | Receipt::PastCap(_))
        || settings.policy().keeps_interrupted_bytes();
    if keep {
        appender.commit(meta).await?;
    }
    Ok((received, receipt))
}

/// The refusal for a body that went past `cap`; an upload that went past
/// its length is invalidated from interop 8 on (D-11 §4.4.2 "marking the
/// upload resource invalid and rejecting any further interaction with
/// it"); interop 6 only stops there (D-05 §7 "MUST stop appending bytes to
/// the upload once the offset reaches the final size").
async fn past_cap<S: Store + Clone>(
    ietf: &Ietf<S>,
    version: Interop,
    lock: &UploadLock,
    cap: Cap,
) -> Rejection {
    let limits = ietf.settings.limits;
    match cap {
        Cap::Length(_) => {
            if version >= Interop::V8 && ietf.settings.policy().invalidates_past_length() {
                let id = lock.id();
                if let Ok(Some(mut record)) = ietf.store.load::<IetfUpload>(id).await {
                    record.meta.invalid = true;
                    if let Err(e) = ietf.store.replace(lock, &record).await {
                        return e.into();
                    }
                }
            }
            Rejection::InconsistentLength("the content goes past the upload's length".into())
        }
        Cap::MaxSize(max) => {
            Rejection::TooLarge(format!("the upload would pass max-size ({max})"), limits)
        }
        Cap::Append(max) => Rejection::TooLarge(
            format!("the content is longer than max-append-size ({max})"),
            limits,
        ),
    }
}

/// The length a request indicates, checked against what is known
/// (D-11 §2.1.3: "If indicators (1) and (2) are both present in the same
/// request, their indicated lengths MUST match. If multiple requests include
/// indicators, their indicated values MUST match.").
fn indicated_length(
    settings: &Settings,
    fields: &Fields,
    offset: u64,
    known: Option<u64>,
) -> Result<Option<u64>, Rejection> {
    let from_content = fields
        .complete
        .filter(|c| *c)
        .and(fields.content_length)
        .map(|cl| offset.saturating_add(cl));
    let checks = settings.policy().checks_length_consistency();
    let mut length = known;
    for indicated in [fields.length, from_content].into_iter().flatten() {
        match length {
            Some(l) if l != indicated && checks => {
                return Err(Rejection::InconsistentLength(format!(
                    "{indicated} differs from the length {l}"
                )));
            }
            // Unchecked, the last indicator read wins.
            _ => length = Some(indicated),
        }
    }
    if let Some(l) = length
        && l < offset
    {
        return Err(Rejection::InconsistentLength(format!(
            "{l} is below the {offset} bytes already received"
        )));
    }
    Ok(length)
}

/// Creation: `POST` to the base path with `Upload-Complete`.
///
/// The upload resource is made before the content is read and announced
/// in a 104 with `Location`, `Upload-Limit` and the interop version (D-05
/// §4 "In the first informational response, the `Location` header field
/// MUST be set"; D-11 §4.2.2 "SHOULD announce ... When sent, it MUST include
/// `Location` ... and MUST include the `Upload-Limit`"; Appendix "MUST also
/// send ... `Upload-Draft-Interop-Version`"). The final response:
/// * `?0`: 201 with the same `Location`, `Upload-Limit`, `Upload-Offset`
///   and `Upload-Complete: ?0` (D-05 §4 "MUST acknowledge it by responding
///   with the `201 (Created)` status code and an `Upload-Complete` header
///   value set to false"; D-11 §4.2.2 "MUST include the `Location` ... and
///   MUST include the `Upload-Limit` ... RECOMMENDED to use the `201`");
/// * `?1`: the target resource's own answer. This server's target resource
///   stores the representation at the upload's URL and answers 201 Created
///   with that `Location`, `Upload-Complete: ?1` and `Upload-Offset` (D-05
///   §4 "RECOMMENDED to use `201 (Created)`"; D-12 §4.2.2 "SHOULD include
///   the `Upload-Complete`").
pub(super) async fn create<S: Store + Clone>(
    ietf: &Ietf<S>,
    version: Interop,
    req: &Request<()>,
    content: &mut Content,
) -> Result<Response<ResBody>, Rejection> {
    let settings = &ietf.settings;
    let fields = Fields::read(settings, req, content);
    let complete = fields.complete.ok_or(Rejection::MissingComplete)?;
    if version == Interop::V6 && req.headers().contains_key(UPLOAD_OFFSET) {
        return Err(Rejection::ForbiddenField("Upload-Offset"));
    }
    let length = indicated_length(settings, &fields, 0, None)?;
    let limits = settings.limits;
    if let (Some(length), Some(max)) = (length, limits.max_size)
        && length > max
    {
        return Err(Rejection::TooLarge(
            format!("the length {length} is above max-size ({max})"),
            limits,
        ));
    }
    if let Some(length) = length
        && length < limits.min_size
    {
        return Err(Rejection::TooSmall(
            format!(
                "the length {length} is below min-size ({})",
                limits.min_size
            ),
            limits,
        ));
    }
    // D-12 §2.1.4: the append limits apply to creations too (not to an
    // empty one, nor to one completing the upload, for the minimum).
    if version == Interop::V9 {
        check_append_size(settings, fields.content_length, complete)?;
    }
    let interim = Interim::of(req);
    let h = req.headers();
    let meta = IetfUpload {
        length,
        complete: false,
        invalid: false,
        repr_digest: digest::stored(&digest::expected(h, REPR_DIGEST)),
        want_repr_digest: digest::wanted(h).map(|a| a.key().to_owned()),
    };
    let lock = ietf.store.create(&meta).await?;
    let id = *lock.id();
    let mut progress = None;
    if settings.policy().announces_with_104()
        && let Some(interim) = interim
    {
        let mut h = HeaderMap::new();
        h.insert(LOCATION, ietf.location(&id));
        h.insert(UPLOAD_LIMIT, limits.header());
        h.insert(INTEROP_VERSION, version.header());
        progress = reporter(ietf, &id, interim.clone(), &h, 0);
        misreport(
            &settings.faults,
            Answer::Interim,
            StatusCode::from_u16(104).expect("104 is a status"),
            &mut h,
        );
        // A client that went away, or reads nothing, is noticed when its
        // body is read; the wait for the socket is bounded like the body's.
        let sent = interim.send(StatusCode::from_u16(104).expect("104"), &h);
        let _ = tokio::time::timeout(settings.idle_timeout, sent).await;
    }
    let cap = cap(settings, length, 0, version == Interop::V9);
    let received = Received {
        content,
        progress,
        creation: true,
        digest: content_digest(settings, req),
        want: digest::wanted(req.headers()),
    };
    transfer(ietf, version, lock, received, meta, 0, complete, cap).await
}

/// The progress reporter of a transfer at `start` whose heads carry
/// `fields` (and `Upload-Offset`), unless the server reports none.
fn reporter<S: Store + Clone>(
    ietf: &Ietf<S>,
    id: &UploadId,
    interim: Interim,
    fields: &HeaderMap,
    start: u64,
) -> Option<Progress> {
    let keep: [HeaderName; 3] = [
        LOCATION,
        HeaderName::from_static(UPLOAD_LIMIT),
        HeaderName::from_static(INTEROP_VERSION),
    ];
    let mut h = HeaderMap::new();
    for name in keep {
        if let Some(value) = fields.get(&name) {
            h.insert(name, value.clone());
        }
    }
    ietf.settings
        .policy()
        .reports_progress()
        .then(|| Progress::new(interim, h, ietf.location(id), start))
}

/// The content of a transfer, and how to report its progress.
struct Received<'a> {
    content: &'a mut Content,
    progress: Option<Progress>,
    creation: bool,
    /// The request's `Content-Digest` (empty: nothing to check).
    digest: Expected,
    /// The algorithm the request's own `Want-Repr-Digest` prefers.
    want: Option<Algorithm>,
}

/// The `Content-Digest` a transfer is checked against, unless a fault
/// ignores it.
fn content_digest(settings: &Settings, req: &Request<()>) -> Expected {
    if settings.policy().checks_content_digest() {
        digest::expected(req.headers(), CONTENT_DIGEST)
    } else {
        Vec::new()
    }
}

/// Refuses content outside `max-append-size`/`min-append-size`, judged
/// by `Content-Length` before reading (D-11 §2.1.4 "The server might reject
/// requests exceeding this limit"/"below this limit"; requests completing
/// the upload, and (D-12) empty creations, are exempt from the minimum).
fn check_append_size(
    settings: &Settings,
    content: Option<u64>,
    complete: bool,
) -> Result<(), Rejection> {
    let limits = settings.limits;
    if let (Some(content), Some(max)) = (content, limits.max_append_size)
        && content > max
    {
        return Err(Rejection::TooLarge(
            format!("{content} bytes of content are above max-append-size ({max})"),
            limits,
        ));
    }
    if let Some(content) = content
        && !complete
        && content > 0
        && content < limits.min_append_size
    {
        return Err(Rejection::TooSmall(
            format!(
                "{content} bytes of content are below min-append-size ({})",
                limits.min_append_size
            ),
            limits,
        ));
    }
    Ok(())
}

/// Append: `PATCH` of an upload resource with `application/partial-upload`.
///
/// Checks, in order: media type (415), `Upload-Offset` and
/// `Upload-Complete` present (400), the upload live (404/410), completed
/// (see [`Rejection::CompletedUpload`]), the offset (409, nothing stored),
/// the length indicators (400), the append limits (413/400). Then the
/// content is received. Final response: `?0` → 201 in interop 6 (D-05 §7
/// "MUST acknowledge it by responding with a `201 (Created)`"), 204 from
/// interop 8 (D-11 §4.4.2 "a `2xx (Successful)` response with the
/// `Upload-Complete` header field set to false"); `?1` → the target
/// resource's answer as for creation, with `Upload-Complete: ?1` (D-11
/// §4.4.2 "the response MUST include the `Upload-Complete` header field with
/// a true value").
pub(super) async fn append<S: Store + Clone>(
    ietf: &Ietf<S>,
    version: Interop,
    id: UploadId,
    req: &Request<()>,
    content: &mut Content,
) -> Result<Response<ResBody>, Rejection> {
    let settings = &ietf.settings;
    let policy = settings.policy();
    if !is_partial_upload(req.headers()) {
        return Err(Rejection::UnsupportedMediaType);
    }
    let fields = Fields::read(settings, req, content);
    let provided = fields.offset.ok_or(Rejection::MissingOffset)?;
    let complete = fields.complete.ok_or(Rejection::MissingComplete)?;
    let lock = ietf.take(&id).await?;
    let record = ietf.live(&id).await?;
    let empty = fields.content_length == Some(0);
    if record.meta.complete && !policy.completed_is_final() {
        // tusd's interop-6 answer: success, the content dropped.
        let mut response = status(StatusCode::NO_CONTENT);
        ietf.state(&record, response.headers_mut());
        return Ok(response);
    }
    if record.meta.complete {
        return match version {
            Interop::V6 => Err(Rejection::CompletedUpload(version)),
            Interop::V8 if empty => Err(Rejection::CompletedUpload(version)),
            Interop::V9 if empty && complete && provided == record.offset => {
                Ok(ietf.finished(&record, &id, version))
            }
            _ => Err(Rejection::InconsistentLength(
                "the upload is already complete".into(),
            )),
        };
    }
    if provided != record.offset {
        if !policy.conflict_stores_nothing() {
            let writer = ietf.inflight.register(id);
            let mut appender = ietf.store.append(&lock, record.offset).await?;
            let cap = cap(settings, record.meta.length, record.offset, true);
            receive(
                settings,
                content,
                &mut appender,
                &record.meta,
                cap,
                &writer,
                None,
                &Vec::new(),
            )
            .await?;
        }
        return Err(Rejection::OffsetMismatch {
            expected: record.offset,
            provided,
        });
    }
    let length = indicated_length(settings, &fields, record.offset, record.meta.length)?;
    check_append_size(settings, fields.content_length, complete)?;
    let meta = IetfUpload {
        length,
        ..record.meta
    };
    let cap = cap(settings, length, record.offset, true);
    let progress = Interim::of(req).and_then(|interim| {
        let mut h = HeaderMap::new();
        h.insert(INTEROP_VERSION, version.header());
        reporter(ietf, &id, interim, &h, record.offset)
    });
    let received = Received {
        content,
        progress,
        creation: false,
        digest: content_digest(settings, req),
        want: digest::wanted(req.headers()),
    };
    transfer(
        ietf,
        version,
        lock,
        received,
        meta,
        record.offset,
        complete,
        cap,
    )
    .await
}

/// Receives the content of a creation or an append at `offset` and
/// answers it.
#[allow(clippy::too_many_arguments)]
async fn transfer<S: Store + Clone>(
    ietf: &Ietf<S>,
    version: Interop,
    lock: UploadLock,
    content: Received<'_>,
    mut meta: IetfUpload,
    offset: u64,
    complete: bool,
    cap: Option<Cap>,
) -> Result<Response<ResBody>, Rejection> {
    let settings = &ietf.settings;
    let id = *lock.id();
    let creation = content.creation;
    let writer = ietf.inflight.register(id);
    let mut appender = ietf.store.append(&lock, offset).await?;
    let (received, receipt) = receive(
        settings,
        content.content,
        &mut appender,
        &meta,
        cap,
        &writer,
        content.progress,
        &content.digest,
    )
    .await?;
    drop(appender);
    let end = offset + received;
    match receipt {
        Receipt::Whole => {}
        Receipt::PastCap(cap) => return Err(past_cap(ietf, version, &lock, cap).await),
        Receipt::DigestMismatch => return Err(Rejection::ContentDigestMismatch),
        Receipt::Cut(rejection) => {
            // D-11 §4.2.2: "the upload resource MUST NOT be considered
            // complete then" — unless a fault says otherwise.
            if complete && !settings.policy().interrupted_stays_incomplete() {
                meta.complete = true;
                meta.length = Some(end);
                ietf.store
                    .replace(&lock, &Record { offset: end, meta })
                    .await?;
            }
            return Err(rejection);
        }
    }
    if complete {
        if let Some(length) = meta.length
            && length != end
            && settings.policy().checks_length_consistency()
        {
            return Err(Rejection::InconsistentLength(format!(
                "the content ended at {end}, not at the length {length}"
            )));
        }
        meta.complete = true;
        meta.length = Some(end);
        let want = content
            .want
            .or_else(|| meta.want_repr_digest.as_deref().and_then(Algorithm::named));
        let mut repr = None;
        let expected = if settings.policy().checks_repr_digest() {
            digest::restored(&meta.repr_digest)
        } else {
            Vec::new()
        };
        if !expected.is_empty() || want.is_some() {
            let algorithms = expected.iter().map(|(a, _)| *a).chain(want);
            let digests = ietf.digest_of(&id, end, Hashers::new(algorithms)).await?;
            if !digests.match_all(&expected) {
                // D-11 §10.1: "consider the upload failed, not process the
                // representation further". The bytes stay; the upload is
                // no longer served.
                meta.complete = false;
                meta.invalid = true;
                ietf.store
                    .replace(&lock, &Record { offset: end, meta })
                    .await?;
                return Err(Rejection::ReprDigestMismatch);
            }
            repr = want.and_then(|a| digests.header(a));
        }
        let record = Record { offset: end, meta };
        ietf.store.replace(&lock, &record).await?;
        let mut response = ietf.finished(&record, &id, version);
        if let Some(repr) = repr {
            response.headers_mut().insert(REPR_DIGEST, repr);
        }
        return Ok(response);
    }
    let incomplete = if creation || version == Interop::V6 {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    let mut response = status(incomplete);
    let h = response.headers_mut();
    if creation {
        h.insert(LOCATION, ietf.location(&id));
    }
    h.insert(UPLOAD_LIMIT, settings.limits.header());
    h.insert(UPLOAD_OFFSET, HeaderValue::from(end));
    h.insert(UPLOAD_COMPLETE, sf_bool(false));
    Ok(response)
}

impl<S: Store + Clone> Ietf<S> {
    /// The digests of an upload's first `len` (committed) bytes.
    async fn digest_of(
        &self,
        id: &UploadId,
        len: u64,
        mut hashers: Hashers,
    ) -> Result<digest::Digests, Rejection> {
        let mut bytes = self.store.read(id, len).await?;
        while let Some(chunk) = bytes.next().await {
            let chunk = chunk.map_err(|source| StoreError::Io {
                action: "reading for Repr-Digest",
                path: id.to_string().into(),
                source,
            })?;
            hashers.update(&chunk);
        }
        Ok(hashers.finish())
    }

    /// The target resource's answer to a completed upload: 201 Created,
    /// `Location` of the stored representation (the upload's URL),
    /// `Upload-Complete: ?1`, `Upload-Offset`.
    fn finished(
        &self,
        record: &Record<IetfUpload>,
        id: &UploadId,
        _version: Interop,
    ) -> Response<ResBody> {
        let mut response = status(StatusCode::CREATED);
        let h = response.headers_mut();
        h.insert(LOCATION, self.location(id));
        h.insert(UPLOAD_OFFSET, HeaderValue::from(record.offset));
        h.insert(UPLOAD_COMPLETE, sf_bool(true));
        response
    }
}

/// `Content-Type: application/partial-upload`, parameters aside.
fn is_partial_upload(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(PARTIAL_UPLOAD))
}
