//! The few S3 requests upspec makes on its own behalf, outside any scenario: creating
//! the run's bucket, and listing and removing what the run left behind. Each is
//! signed with a signed payload (when keys are configured) and bounded by a timeout.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::Method;
use sha2::{Digest, Sha256};

use super::S3Target;
use super::sign::{self, Placement, SigningScope};

/// A status and body from the S3 target.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `404 NoSuchUpload` and the like: the thing to remove is already gone.
    pub fn gone(&self) -> bool {
        self.status == 404
    }

    /// `<Code>` of an S3 error body, when there is one.
    pub fn code(&self) -> Option<String> {
        crate::wire::xml::element_text(&self.body, "Error/Code").ok()
    }

    /// `403 (AccessDenied)`, for messages.
    pub fn describe(&self) -> String {
        match self.code() {
            Some(code) => format!("{} ({code})", self.status),
            None => self.status.to_string(),
        }
    }
}

/// A request that got no answer.
#[derive(Debug)]
pub struct ClientError {
    /// `PUT http://…/bucket`
    pub request: String,
    pub reason: String,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.request, self.reason)
    }
}

impl std::error::Error for ClientError {}

/// Sends harness requests to an S3 target.
pub struct Client<'a> {
    pub http: &'a reqwest::Client,
    pub target: &'a S3Target,
    pub timeout: Duration,
}

impl Client<'_> {
    /// Sends `method` to `path_and_query` below the endpoint (`/bucket?uploads`), which
    /// must already be percent-encoded as it goes on the wire.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
    ) -> Result<Answer, ClientError> {
        let url = format!("{}{path_and_query}", self.target.endpoint);
        let shown = format!("{method} {url}");
        let error = |reason: String| ClientError {
            request: shown.clone(),
            reason,
        };
        let mut request = http::Request::new(());
        *request.method_mut() = method.clone();
        *request.uri_mut() = url.parse().map_err(|e| error(format!("not a URL: {e}")))?;
        if !body.is_empty() || matches!(method, Method::PUT | Method::POST) {
            request
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, body.len().into());
        }
        if let Some(credentials) = &self.target.credentials {
            let scope = SigningScope {
                credentials,
                region: &self.target.region,
                time: SystemTime::now(),
            };
            let sha256 = hex::encode(Sha256::digest(&body));
            sign::sign_request(&mut request, &sha256, Placement::Headers, &scope)
                .map_err(|e| error(e.to_string()))?;
        }
        let uri = request.uri().to_string();
        let mut builder = self
            .http
            .request(method, uri)
            .timeout(self.timeout)
            .body(body);
        for (name, value) in request.headers() {
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| error(crate::wire::describe(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| error(crate::wire::describe(&e)))?;
        Ok(Answer { status, body })
    }
}
