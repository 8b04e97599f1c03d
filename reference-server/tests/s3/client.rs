//! A signing S3 test client over the raw HTTP client in `common`: requests
//! are signed with aws-sigv4 and the S3 settings of requirements §4.2 (the
//! same way the upspec runner signs), in every payload mode, and can be
//! tampered with after signing.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Digest;
use upspec_reference_server::{Config, S3Config, S3Credential, StoreConfig, serve};

use crate::common::{Client, Response, Srv};

pub const AK: &str = "AKIDUPSPECTEST";
pub const SK: &str = "upspec/Secret+Key=42";
pub const REGION: &str = "us-east-1";
pub const MIB: usize = 1024 * 1024;

/// Everything but unreserved characters: how SDKs encode query values.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Keys in paths: the same, keeping `/`.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// A key as it goes into a path.
pub fn enc(key: &str) -> String {
    utf8_percent_encode(key, PATH_SET).to_string()
}

pub fn q(value: &str) -> String {
    utf8_percent_encode(value, QUERY_SET).to_string()
}

/// A running server with S3 on, and its S3 client.
pub struct S3 {
    /// `None` for a server running as a separate process.
    pub srv: Option<Srv>,
    pub client: Client,
    /// Whether the server has keys (requests are then signed by default).
    pub signed: bool,
}

/// File store, keys configured, defaults otherwise (5 MiB minimum part).
pub async fn start() -> S3 {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut S3Config)) -> S3 {
    let mut s3 = S3Config {
        credentials: vec![S3Credential::new(AK, SK)],
        ..S3Config::default()
    };
    adjust(&mut s3);
    let signed = !s3.credentials.is_empty();
    start_config(
        |c| {
            c.s3 = Some(s3);
        },
        signed,
    )
    .await
}

/// No keys: anonymous access.
pub async fn anonymous() -> S3 {
    start_with(|s3| s3.credentials.clear()).await
}

pub async fn start_config(adjust: impl FnOnce(&mut Config), signed: bool) -> S3 {
    let dir = tempfile::tempdir().expect("temp dir");
    // Without fsync the store keeps every guarantee but power-cut safety
    // (which tests cannot observe), and 1001 part uploads stay fast.
    let mut config = Config {
        store: StoreConfig::File {
            data_dir: dir.path().to_owned(),
        },
        fsync: false,
        ..Config::default()
    };
    adjust(&mut config);
    let server = serve(config).await.expect("server starts");
    let endpoint = server.s3_endpoint().expect("S3 is on");
    let addr = endpoint.strip_prefix("http://").unwrap().parse().unwrap();
    let client = Client { addr };
    S3 {
        srv: Some(Srv::from_parts(server, Some(dir), client)),
        client,
        signed,
    }
}

/// How a request is authenticated and its payload sent.
#[derive(Clone)]
pub enum Mode {
    /// No signature at all.
    Anonymous,
    /// Authorization header, signed payload hash.
    Signed,
    /// Authorization header, `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// aws-chunked with chunk signatures, optionally a signed trailer
    /// (header name, value).
    Chunked {
        chunk: usize,
        trailer: Option<(String, String)>,
    },
    /// aws-chunked without signatures, with an unsigned trailer.
    UnsignedTrailer {
        chunk: usize,
        trailer: (String, String),
    },
    /// A presigned URL valid for `expires`.
    Presigned { expires: Duration },
}

/// A change made to a request after signing.
pub type Tamper = Box<dyn FnOnce(&mut Wire) + Send>;
type Pairs = Vec<(String, String)>;

/// A request being built.
pub struct Req {
    client: Client,
    method: String,
    /// Path as sent (already encoded).
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    mode: Mode,
    time: SystemTime,
    key: (String, String),
    region: String,
    tamper: Option<Tamper>,
}

/// A signed request just before it is sent, for tampering.
pub struct Wire {
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Wire {
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl S3 {
    /// A request to `path` (`/bucket/key`, key unencoded) with a raw query
    /// such as `uploads` or `partNumber=1&uploadId=...`.
    pub fn req(&self, method: &str, path: &str, query: &str) -> Req {
        let (bucket, key) = path
            .strip_prefix('/')
            .unwrap_or(path)
            .split_once('/')
            .unwrap_or((path.trim_start_matches('/'), ""));
        let path = if key.is_empty() && !path[1..].contains('/') {
            format!("/{bucket}")
        } else {
            format!("/{bucket}/{}", enc(key))
        };
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (p.to_owned(), String::new()),
            })
            .collect();
        Req {
            client: self.client,
            method: method.into(),
            path,
            query,
            headers: Vec::new(),
            body: Vec::new(),
            mode: if self.signed {
                Mode::Signed
            } else {
                Mode::Anonymous
            },
            time: SystemTime::now(),
            key: (AK.into(), SK.into()),
            region: REGION.into(),
            tamper: None,
        }
    }

    pub async fn ok(&self, method: &str, path: &str, query: &str) -> Response {
        let res = self.req(method, path, query).send().await;
        assert!(
            (200..300).contains(&res.status),
            "{method} {path}?{query}: {res:?}\n{}",
            res.text()
        );
        res
    }

    pub async fn bucket(&self, name: &str) {
        self.ok("PUT", &format!("/{name}"), "").await;
    }

    pub async fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Response {
        let res = self
            .req("PUT", &format!("/{bucket}/{key}"), "")
            .body(body)
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Response {
        self.req("GET", &format!("/{bucket}/{key}"), "")
            .send()
            .await
    }

    /// CreateMultipartUpload; returns the UploadId.
    pub async fn create(&self, bucket: &str, key: &str) -> String {
        let res = self
            .ok("POST", &format!("/{bucket}/{key}"), "uploads")
            .await;
        tag(&res.text(), "UploadId").expect("UploadId")
    }

    /// UploadPart; returns the response.
    pub async fn part(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        n: i64,
        body: &[u8],
    ) -> Response {
        self.req(
            "PUT",
            &format!("/{bucket}/{key}"),
            &format!("partNumber={n}&uploadId={upload}"),
        )
        .body(body)
        .send()
        .await
    }

    /// UploadPart expecting 200; returns the quoted ETag.
    pub async fn part_ok(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        n: i64,
        body: &[u8],
    ) -> String {
        let res = self.part(bucket, key, upload, n, body).await;
        assert_eq!(res.status, 200, "part {n}: {}", res.text());
        res.header("etag").expect("ETag").to_owned()
    }

    pub async fn complete(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        parts: &[(i64, &str)],
    ) -> Response {
        self.req(
            "POST",
            &format!("/{bucket}/{key}"),
            &format!("uploadId={upload}"),
        )
        .body(complete_body(parts))
        .send()
        .await
    }
}

/// `<CompleteMultipartUpload>` listing `(number, etag)`.
pub fn complete_body(parts: &[(i64, &str)]) -> String {
    let mut body =
        String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (n, etag) in parts {
        body.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

/// The text of the first `<name>` element.
pub fn tag(xml: &str, name: &str) -> Option<String> {
    tags(xml, name).into_iter().next()
}

/// The texts of every `<name>` element, in order.
pub fn tags(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(
            after[..end]
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">"),
        );
        rest = &after[end + close.len()..];
    }
    out
}

/// The S3 error code of a response.
pub fn code(res: &Response) -> String {
    tag(&res.text(), "Code").unwrap_or_default()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5::Md5::digest(data))
}

/// The ETag S3 gives `data` stored in one piece: its MD5 in double quotes.
pub fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", md5_hex(data))
}

fn settings() -> SigningSettings {
    let mut s = SigningSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    s
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = body.as_ref().to_vec();
        self
    }

    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    pub fn at(mut self, time: SystemTime) -> Self {
        self.time = time;
        self
    }

    pub fn key(mut self, ak: &str, sk: &str) -> Self {
        self.key = (ak.to_owned(), sk.to_owned());
        self
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    /// Changes the request after signing.
    pub fn tamper(mut self, f: impl FnOnce(&mut Wire) + Send + 'static) -> Self {
        self.tamper = Some(Box::new(f));
        self
    }

    fn query_string(&self) -> String {
        self.query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    q(k)
                } else {
                    format!("{}={}", q(k), q(v))
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Signs (as its mode says) and returns what goes on the wire.
    pub fn wire(self) -> (Client, String, Wire, Option<Tamper>) {
        let host = self.client.addr.to_string();
        let query = self.query_string();
        let mut headers = self.headers.clone();
        let mut body = self.body.clone();
        let mut query_out = query.clone();
        let identity: Identity =
            Credentials::new(&self.key.0, &self.key.1, None, None, "test").into();
        let sign_with =
            |headers: &[(String, String)], payload: SignableBody<'_>, presign: Option<Duration>| {
                let mut s = settings();
                if let Some(expires) = presign {
                    s.signature_location = SignatureLocation::QueryParams;
                    s.expires_in = Some(expires);
                }
                let params = v4::SigningParams::builder()
                    .identity(&identity)
                    .region(&self.region)
                    .name("s3")
                    .time(self.time)
                    .settings(s)
                    .build()
                    .unwrap()
                    .into();
                let uri = if query.is_empty() {
                    format!("http://{host}{}", self.path)
                } else {
                    format!("http://{host}{}?{query}", self.path)
                };
                let mut all: Vec<(&str, &str)> = vec![("host", host.as_str())];
                all.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let request =
                    SignableRequest::new(&self.method, uri, all.into_iter(), payload).unwrap();
                let (instructions, signature) = sign(request, &params).unwrap().into_parts();
                let (added, params): (Pairs, Pairs) = (
                    instructions
                        .headers()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect(),
                    instructions
                        .params()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                );
                (added, params, signature)
            };
        let signing_key = || {
            v4::generate_signing_key(&self.key.1, self.time, &self.region, "s3")
                .as_ref()
                .to_vec()
        };
        let date = aws_date(self.time);
        let scope = format!("{}/{}/s3/aws4_request", &date[..8], self.region);
        match &self.mode {
            Mode::Anonymous => {}
            Mode::Signed => {
                let (added, _, _) = sign_with(&headers, SignableBody::Bytes(&self.body), None);
                headers.extend(added);
            }
            Mode::Unsigned => {
                let (added, _, _) = sign_with(&headers, SignableBody::UnsignedPayload, None);
                headers.extend(added);
            }
            Mode::Presigned { expires } => {
                let (_, params, _) =
                    sign_with(&headers, SignableBody::UnsignedPayload, Some(*expires));
                for (k, v) in params {
                    if !query_out.is_empty() {
                        query_out.push('&');
                    }
                    query_out.push_str(&format!("{}={}", q(&k), q(&v)));
                }
            }
            Mode::Chunked { chunk, trailer } => {
                let content = if trailer.is_some() {
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
                } else {
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
                };
                headers.push(("content-encoding".into(), "aws-chunked".into()));
                headers.push((
                    "x-amz-decoded-content-length".into(),
                    self.body.len().to_string(),
                ));
                if let Some((name, _)) = trailer {
                    headers.push(("x-amz-trailer".into(), name.clone()));
                }
                let (added, _, seed) =
                    sign_with(&headers, SignableBody::Precomputed(content.into()), None);
                headers.extend(added);
                let key = signing_key();
                let mut previous = seed;
                body = Vec::new();
                let chunks = self.body.chunks(*chunk).map(<[u8]>::to_vec);
                for data in chunks.chain(std::iter::once(Vec::new())) {
                    let sts = format!(
                        "AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{scope}\n{previous}\n{}\n{}",
                        sha256_hex(b""),
                        sha256_hex(&data)
                    );
                    let signature = v4::calculate_signature(&key, sts.as_bytes());
                    body.extend(
                        format!("{:x};chunk-signature={signature}\r\n", data.len()).into_bytes(),
                    );
                    if !data.is_empty() {
                        body.extend(&data);
                        body.extend(b"\r\n");
                    }
                    previous = signature;
                }
                match trailer {
                    Some((name, value)) => {
                        let canonical = format!("{name}:{value}\n");
                        let sts = format!(
                            "AWS4-HMAC-SHA256-TRAILER\n{date}\n{scope}\n{previous}\n{}",
                            sha256_hex(canonical.as_bytes())
                        );
                        let signature = v4::calculate_signature(&key, sts.as_bytes());
                        body.extend(
                            format!(
                                "{name}:{value}\r\nx-amz-trailer-signature:{signature}\r\n\r\n"
                            )
                            .into_bytes(),
                        );
                    }
                    None => body.extend(b"\r\n"),
                }
            }
            Mode::UnsignedTrailer { chunk, trailer } => {
                headers.push(("content-encoding".into(), "aws-chunked".into()));
                headers.push((
                    "x-amz-decoded-content-length".into(),
                    self.body.len().to_string(),
                ));
                headers.push(("x-amz-trailer".into(), trailer.0.clone()));
                let (added, _, _) = sign_with(
                    &headers,
                    SignableBody::Precomputed("STREAMING-UNSIGNED-PAYLOAD-TRAILER".into()),
                    None,
                );
                headers.extend(added);
                body = Vec::new();
                for data in self.body.chunks(*chunk) {
                    body.extend(format!("{:x}\r\n", data.len()).into_bytes());
                    body.extend(data);
                    body.extend(b"\r\n");
                }
                body.extend(format!("0\r\n{}:{}\r\n\r\n", trailer.0, trailer.1).into_bytes());
            }
        }
        let wire = Wire {
            path: self.path.clone(),
            query: query_out,
            headers,
            body,
        };
        (self.client, self.method, wire, self.tamper)
    }

    pub async fn send(self) -> Response {
        let (client, method, mut wire, tamper) = self.wire();
        if let Some(tamper) = tamper {
            tamper(&mut wire);
        }
        let target = if wire.query.is_empty() {
            wire.path.clone()
        } else {
            format!("{}?{}", wire.path, wire.query)
        };
        let mut req = client.request(&method, &target);
        for (k, v) in &wire.headers {
            req = req.header(k, v);
        }
        if !wire.body.is_empty() || matches!(method.as_str(), "PUT" | "POST") {
            req = req.body(wire.body);
        }
        req.send().await
    }
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn aws_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // civil from days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
