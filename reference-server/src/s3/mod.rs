//! The S3 API, path-style (`/bucket/key`), on its own listener.
//!
//! [`S3`] turns a request into a response in four steps, each in one
//! place: SigV4 verification (`auth`), routing (`route`), the operation
//! (`buckets`, `objects`, `multipart`, `listing`), and rendering of any
//! refusal as an S3 XML error with `Code`, `Message`, `Resource` and
//! `RequestId` (`error`, here in [`S3::respond`]). Bodies stream through
//! `body` (and `chunked` for aws-chunked payloads) into the store; the
//! `catalog` keeps buckets, objects, uploads and parts.
//!
//! Faults (`crate::faults`) reach the handlers with the request; handlers
//! ask `Ctx::policy` questions named for the rule (`policy.rs`), the rule
//! functions of `rules` (ETag forms, part-number range, Complete's checks,
//! ListParts paging) decide their own, and faults that change only what an
//! answer says (a code, a status, a header) are in `misreport`, one step
//! after the handler. The S3 section of the config is `config.rs`.

mod auth;
mod body;
mod buckets;
mod catalog;
mod checksum;
mod chunked;
mod clock;
pub(crate) mod config;
mod error;
mod headers;
mod listing;
mod misreport;
mod multipart;
mod objects;
mod policy;
mod route;
mod rules;
mod xml;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

pub use error::S3Error;

use crate::faults::Faults;
use crate::framing;
use crate::http::{ResBody, drain, empty, full};
use crate::protocol::{Answer, Background, Common, Handler};
use crate::store::{Store, StoreError, Stores};
use auth::{Auth, Verified};
use catalog::Catalog;
use config::S3Config;
use policy::Policy;
use route::{Op, Route};

/// Settings fixed at start-up.
pub(crate) struct Settings {
    pub region: String,
    pub auth: Auth,
    pub min_part_size: u64,
    pub idle_timeout: Duration,
    pub faults: Faults,
}

/// The S3 protocol over a store.
pub struct S3<St> {
    catalog: Arc<Catalog<St>>,
    settings: Arc<Settings>,
}

/// One request being served: its route, head, verified identity.
pub(crate) struct Ctx {
    pub route: Route,
    pub parts: Parts,
    pub verified: Verified,
    /// The deviations to make while serving it.
    pub faults: Faults,
}

impl Ctx {
    pub fn header(&self, name: &str) -> Option<&str> {
        headers::text(&self.parts.headers, name)
    }

    /// The rules the faults bend, as questions handlers ask.
    pub fn policy(&self) -> Policy {
        Policy::new(self.faults)
    }

    /// `Initiator`/`Owner` of what this request creates.
    pub fn owner(&self) -> String {
        self.verified
            .principal
            .clone()
            .unwrap_or_else(|| "anonymous".into())
    }
}

/// Opens S3 over its store from `stores`: the catalog (settling what a
/// crash left) and the settings.
pub(crate) async fn open<St: Stores>(
    config: &S3Config,
    common: Common,
    stores: &St,
) -> Result<S3<St::Store>, StoreError> {
    let Common {
        idle_timeout,
        faults,
    } = common;
    Ok(S3 {
        catalog: Arc::new(Catalog::open(stores.open("s3")?).await?),
        settings: Arc::new(Settings {
            region: config.region.clone(),
            auth: Auth::new(config, faults),
            min_part_size: config.min_part_size,
            idle_timeout,
            faults,
        }),
    })
}

impl<St: Store + Clone> S3<St> {
    /// Every response leaves through here: request ids on all, refusals as
    /// XML error bodies (none for HEAD, whose answers have no body).
    async fn respond(&self, req: Request<Incoming>) -> Response<ResBody> {
        let request_id = request_id();
        let (parts, body) = req.into_parts();
        let head = parts.method == Method::HEAD;
        let resource = parts.uri.path().to_owned();
        let mut response = match self.serve(parts, body).await {
            Ok(response) => response,
            Err(error) => refusal(error, &resource, &request_id, head),
        };
        if head {
            *response.body_mut() = empty();
        }
        let headers = response.headers_mut();
        headers.insert("x-amz-request-id", headers::value(request_id.clone()));
        headers.insert("x-amz-id-2", headers::value(request_id));
        headers.insert(
            http::header::SERVER,
            HeaderValue::from_static("upspec-reference-server"),
        );
        response
    }

    async fn serve(&self, parts: Parts, body: Incoming) -> Result<Response<ResBody>, S3Error> {
        let checked = framing::check(&parts.headers)
            .map_err(S3Error::from)
            .and_then(|()| self.settings.auth.verify(&parts, SystemTime::now()))
            .and_then(|verified| {
                let route = route::route(
                    &parts.method,
                    parts.uri.path(),
                    parts.uri.query().unwrap_or_default(),
                    parts.headers.contains_key("x-amz-copy-source"),
                )?;
                Ok((verified, route))
            });
        let (verified, route) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                // Refused before any handler took the body: read some of it, so the
                // client is still listening when the refusal arrives.
                drain(body).await;
                return misreport::refusal(self.settings.faults, error);
            }
        };
        let op = route.op;
        let ctx = Ctx {
            route,
            parts,
            verified,
            faults: self.settings.faults,
        };
        let catalog = &self.catalog;
        let settings = &self.settings;
        let result = match op {
            Op::ListBuckets => listing::list_buckets(catalog, &ctx),
            Op::CreateBucket => buckets::create(catalog, settings, ctx, body).await,
            Op::HeadBucket => buckets::head(catalog, settings, &ctx),
            Op::DeleteBucket => buckets::delete(catalog, &ctx).await,
            Op::GetBucketLocation => buckets::location(catalog, settings, &ctx),
            Op::ListObjects => listing::list_objects(catalog, &ctx, false),
            Op::ListObjectsV2 => listing::list_objects(catalog, &ctx, true),
            Op::ListMultipartUploads => listing::list_uploads(catalog, &ctx),
            Op::DeleteObjects => objects::delete_many(catalog, settings, ctx, body).await,
            Op::PutObject => objects::put(catalog, settings, ctx, body).await,
            Op::CopyObject => objects::copy(catalog, &ctx).await,
            Op::GetObject | Op::HeadObject => objects::get(catalog, &ctx).await,
            Op::DeleteObject => objects::delete(catalog, &ctx).await,
            Op::CreateMultipartUpload => multipart::create(catalog, &ctx).await,
            Op::UploadPart => multipart::upload_part(catalog, settings, ctx, body).await,
            Op::UploadPartCopy => multipart::upload_part_copy(catalog, &ctx).await,
            Op::CompleteMultipartUpload => multipart::complete(catalog, settings, ctx, body).await,
            Op::AbortMultipartUpload => multipart::abort(catalog, &ctx).await,
            Op::ListParts => multipart::list_parts(catalog, &ctx),
        };
        misreport::answer(self.settings.faults, op, result)
    }
}

impl<St: Store + Clone> Handler for S3<St> {
    fn handle(&self, req: Request<Incoming>) -> Answer<'_> {
        Box::pin(self.respond(req))
    }

    fn background(&self) -> Option<Background> {
        None
    }
}

/// 16 random uppercase hex digits, as AWS request ids look.
fn request_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}

/// Renders a refusal as AWS does: `<Error>` with Code, Message, the
/// case's details, Resource and RequestId.
fn refusal(error: S3Error, resource: &str, request_id: &str, head: bool) -> Response<ResBody> {
    if let S3Error::Internal(e) = &error {
        eprintln!("upspec-reference-server: s3: {e}");
    }
    let status = error.status();
    let mut response = Response::new(empty());
    *response.status_mut() = status;
    if let S3Error::NotModified { etag } = &error {
        response
            .headers_mut()
            .insert(http::header::ETAG, headers::value(rules::quoted_etag(etag)));
        return response;
    }
    if let S3Error::InvalidRange { size, .. } = &error {
        response.headers_mut().insert(
            http::header::CONTENT_RANGE,
            headers::value(format!("bytes */{size}")),
        );
    }
    if head {
        return response;
    }
    let mut xml = xml::Writer::bare("Error");
    xml.elem("Code", error.code()).elem("Message", &error);
    for (name, value) in error.details() {
        xml.elem(name, value);
    }
    xml.elem("Resource", resource).elem("RequestId", request_id);
    *response.body_mut() = full(xml.finish());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

/// A 200 with an XML body.
pub(crate) fn xml_response(body: String) -> Response<ResBody> {
    let mut response = Response::new(full(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

/// A response with no body.
pub(crate) fn status(code: StatusCode) -> Response<ResBody> {
    let mut response = Response::new(empty());
    *response.status_mut() = code;
    response
}
