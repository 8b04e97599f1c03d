//! CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.

use http::{Response, StatusCode};
use http_body::Body as _;
use hyper::body::Incoming;

use super::body::{self, Checks};
use super::catalog::Catalog;
use super::error::S3Error;
use super::route::valid_bucket;
use super::{Ctx, Settings, headers, status, xml, xml_response};
use crate::http::ResBody;
use crate::store::Store;

/// CreateBucket: 200 with `Location: /bucket`. An optional
/// `CreateBucketConfiguration` may name this server's region (or none).
pub(super) async fn create<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: Ctx,
    body: Incoming,
) -> Result<Response<ResBody>, S3Error> {
    let name = ctx.route.bucket.clone();
    if !valid_bucket(&name) {
        return Err(S3Error::InvalidBucketName { bucket: name });
    }
    if body.size_hint().exact() != Some(0) {
        let checks = Checks::xml(&ctx.parts.headers, ctx.verified.payload.clone(), true)?;
        let bytes = body::read_all(body, checks, settings.idle_timeout).await?;
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            let root = xml::parse(&bytes)?;
            if root.name != "CreateBucketConfiguration" {
                return Err(S3Error::MalformedXml);
            }
            if let Some(constraint) = root.child_value("LocationConstraint")?
                && !constraint.is_empty()
                && constraint != settings.region
            {
                return Err(S3Error::InvalidLocationConstraint {
                    constraint: constraint.to_owned(),
                });
            }
        }
    }
    catalog.create_bucket(&name).await?;
    let mut response = status(StatusCode::OK);
    response
        .headers_mut()
        .insert(http::header::LOCATION, headers::value(format!("/{name}")));
    Ok(response)
}

/// HeadBucket: 200 with the region, 404 (no body, as for every HEAD).
pub(super) fn head<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    catalog.require_bucket(&ctx.route.bucket)?;
    let mut response = status(StatusCode::OK);
    response.headers_mut().insert(
        "x-amz-bucket-region",
        headers::value(settings.region.clone()),
    );
    Ok(response)
}

/// DeleteBucket: 204, aborting the bucket's unfinished uploads; 409
/// BucketNotEmpty while objects remain.
pub(super) async fn delete<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    catalog.delete_bucket(&ctx.route.bucket).await?;
    Ok(status(StatusCode::NO_CONTENT))
}

/// GetBucketLocation: empty for us-east-1, as AWS answers.
pub(super) fn location<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    catalog.require_bucket(&ctx.route.bucket)?;
    let region = if settings.region == super::config::S3_DEFAULT_REGION {
        String::new()
    } else {
        settings.region.clone()
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<LocationConstraint xmlns=\"{}\">{}</LocationConstraint>",
        xml::NAMESPACE,
        quick_xml::escape::escape(region.as_str())
    ));
    Ok(xml_response(out))
}
