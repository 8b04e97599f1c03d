//! `sigv4:` on a request step: how the request is signed for S3, and what is broken
//! on purpose afterwards (the signature must then be refused by a correct server).
//! The option is S3's own: it is lowered here when the file is loaded (every value
//! is literal, so every mistake is found before a request is sent), and read by the
//! S3 session when the request is prepared (`super::prepare`).

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use serde_saphyr::{Location, Spanned};

use crate::scenario::error::{LoadError, LoadErrorKind, suggest};
use crate::scenario::extension::RequestOption;
use crate::scenario::model::{ProtocolOption, SourceSpan};
use crate::scenario::scalar::Scalar;
use crate::scenario::source::Source;
use crate::scenario::syntax::OptionSyntax;
use crate::scenario::units;

/// The option's key under `request:`.
pub const KEY: &str = "sigv4";

/// Data bytes per `aws-chunked` chunk unless `chunk_size` says otherwise (the AWS SDKs' size).
const DEFAULT_CHUNK_SIZE: u64 = 64 * 1024;

/// The largest `chunk_size`: one chunk is held in memory while it is signed.
const MAX_CHUNK_SIZE: u64 = 16 * 1024 * 1024;

/// How long a presigned URL is valid unless `expires` says otherwise (the AWS CLI's default
/// is an hour; a test needs minutes).
const DEFAULT_PRESIGN: Duration = Duration::from_secs(15 * 60);

/// The longest validity S3 accepts for a presigned URL.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// Defines a closed set of names: the enum, every member in order (`ALL`), and each
/// one's name, written once, so parsing, messages and docs read the same table and a
/// member cannot be added without its name.
macro_rules! named {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The member named `text`, if there is one.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|member| member.name() == text)
            }

            fn names() -> Vec<&'static str> {
                $name::ALL.iter().map(|member| member.name()).collect()
            }
        }
    };
}

named! {
    /// The signing modes, by the name a scenario gives them.
    pub enum ModeName {
        Signed = "signed",
        Unsigned = "unsigned",
        Chunked = "chunked",
        ChunkedUnsigned = "chunked-unsigned",
        Presigned = "presigned",
        None = "none",
    }
}

named! {
    /// What to break after signing.
    pub enum Sigv4Break {
        /// One hex digit of the signature changed.
        Signature = "signature",
        /// Signed with a secret key that is not the configured one.
        Secret = "secret",
        /// Signed (with the configured secret) under an access key id the target
        /// does not know.
        AccessKey = "access_key",
        /// The date sent (`x-amz-date` or `X-Amz-Date`) one second before the signed one.
        Date = "date",
        /// An `x-amz-meta-*` header added after signing, so the signature does not
        /// cover every `x-amz-*` header sent.
        Header = "header",
        /// The body sent differs from the one the signature covers: the declared SHA-256
        /// (signed), the first chunk's signature (chunked) or the trailer checksum
        /// (chunked-unsigned) no longer matches.
        Body = "body",
    }
}

impl Sigv4Break {
    /// Why `mode` has nothing this break could break, if it has not.
    fn refused_by(self, mode: ModeName) -> Option<String> {
        if mode == ModeName::None {
            return Some("`none` sends no signature to break".to_owned());
        }
        match self {
            Sigv4Break::Body => (!mode.signs_body()).then(|| {
                format!(
                    "`{}` does not sign the body, so there is no body signature to break",
                    mode.name()
                )
            }),
            // Every signing mode has a signature, keys, a date and headers to break.
            Sigv4Break::Signature
            | Sigv4Break::Secret
            | Sigv4Break::AccessKey
            | Sigv4Break::Date
            | Sigv4Break::Header => None,
        }
    }
}

named! {
    /// The checksum an `aws-chunked` body carries in its trailer (`x-amz-checksum-<name>`).
    pub enum TrailerChecksum {
        Crc32 = "crc32",
        Sha1 = "sha1",
        Sha256 = "sha256",
    }
}

/// The keys of `sigv4: {…}`.
const MAP_KEYS: [&str; 5] = ["mode", "break", "chunk_size", "trailer", "expires"];

/// `sigv4:` on a request: how it is signed for S3, and whether the signature is
/// broken on purpose (to check that the server refuses it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sigv4 {
    pub mode: Sigv4Mode,
    /// Tampering applied after signing, so that a correct server must reject the request.
    pub broken: Option<Sigv4Break>,
    pub span: SourceSpan,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sigv4Mode {
    /// No signature at all, even when keys are configured (an anonymous request).
    None,
    /// `x-amz-content-sha256` is the SHA-256 of the body.
    Signed,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `aws-chunked` body: chunks signed in a chain (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`),
    /// or unsigned with a checksum trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    Chunked {
        signed: bool,
        chunk_size: u64,
        trailer: Option<TrailerChecksum>,
    },
    /// Query-string authentication (a presigned URL), `UNSIGNED-PAYLOAD`.
    Presigned { expires: Duration },
}

impl Sigv4Mode {
    pub fn kind(&self) -> ModeName {
        match self {
            Sigv4Mode::None => ModeName::None,
            Sigv4Mode::Signed => ModeName::Signed,
            Sigv4Mode::Unsigned => ModeName::Unsigned,
            Sigv4Mode::Chunked { signed: true, .. } => ModeName::Chunked,
            Sigv4Mode::Chunked { signed: false, .. } => ModeName::ChunkedUnsigned,
            Sigv4Mode::Presigned { .. } => ModeName::Presigned,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

impl ModeName {
    /// Whether the mode has a body signature that `break: body` can break.
    fn signs_body(self) -> bool {
        match self {
            ModeName::Signed | ModeName::Chunked | ModeName::ChunkedUnsigned => true,
            ModeName::Unsigned | ModeName::Presigned | ModeName::None => false,
        }
    }

    fn chunked(self) -> bool {
        match self {
            ModeName::Chunked | ModeName::ChunkedUnsigned => true,
            ModeName::Signed | ModeName::Unsigned | ModeName::Presigned | ModeName::None => false,
        }
    }
}

impl ProtocolOption for Sigv4 {
    fn protocol(&self) -> &'static str {
        super::NAME
    }

    fn unserved(&self) -> String {
        "`sigv4` needs an S3 target (--s3-endpoint)".into()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Lowers `sigv4:` for the loader.
pub struct Sigv4Option;

impl RequestOption for Sigv4Option {
    fn key(&self) -> &'static str {
        KEY
    }

    fn lower(
        &self,
        source: &Source<'_>,
        written: &Spanned<OptionSyntax>,
    ) -> Result<Arc<dyn ProtocolOption>, Box<LoadError>> {
        lower(source, written).map(|sigv4| Arc::new(sigv4) as Arc<dyn ProtocolOption>)
    }
}

/// The options of `sigv4: {…}` by key, each a scalar.
#[derive(Default)]
struct Written<'w> {
    mode: Option<&'w Spanned<OptionSyntax>>,
    broken: Option<&'w Spanned<OptionSyntax>>,
    chunk_size: Option<&'w Spanned<OptionSyntax>>,
    trailer: Option<&'w Spanned<OptionSyntax>>,
    expires: Option<&'w Spanned<OptionSyntax>>,
}

fn lower(source: &Source<'_>, spanned: &Spanned<OptionSyntax>) -> Result<Sigv4, Box<LoadError>> {
    let at = &spanned.referenced;
    let error = |at: &Location, kind: LoadErrorKind| Box::new(source.error(at, kind));
    let mut map = Written::default();
    let (mode, mode_at) = match &spanned.value {
        OptionSyntax::Scalar(mode) => (mode.0.as_str(), at),
        OptionSyntax::List(_) => {
            return Err(error(
                at,
                LoadErrorKind::Syntax(
                    "invalid type: sequence, expected a signing mode (signed, unsigned, chunked, \
                     chunked-unsigned, presigned, none), or a map with `mode`"
                        .into(),
                ),
            ));
        }
        OptionSyntax::Map(entries) => {
            for (key, value) in entries {
                let slot = match key.value.as_str() {
                    "mode" => &mut map.mode,
                    "break" => &mut map.broken,
                    "chunk_size" => &mut map.chunk_size,
                    "trailer" => &mut map.trailer,
                    "expires" => &mut map.expires,
                    unknown => {
                        return Err(error(
                            &key.referenced,
                            LoadErrorKind::UnknownKey {
                                key: unknown.to_owned(),
                                expected: MAP_KEYS.iter().map(|k| k.to_string()).collect(),
                                suggestion: suggest(unknown, MAP_KEYS),
                            },
                        ));
                    }
                };
                *slot = Some(value);
            }
            match map.mode {
                Some(mode) => (scalar(source, mode)?.0.as_str(), &mode.referenced),
                None => {
                    return Err(error(
                        at,
                        LoadErrorKind::StepShape(format!(
                            "`sigv4` needs a `mode`: {}",
                            ModeName::names().join(", ")
                        )),
                    ));
                }
            }
        }
    };
    let unknown = |value: &str, at: &Location, expected: Vec<&'static str>| {
        error(
            at,
            LoadErrorKind::UnknownValue {
                value: value.to_owned(),
                suggestion: suggest(value, expected.iter().copied()),
                expected: expected.iter().map(|e| e.to_string()).collect(),
            },
        )
    };
    let name = ModeName::parse(mode).ok_or_else(|| unknown(mode, mode_at, ModeName::names()))?;
    let options = [
        (
            "chunk_size",
            map.chunk_size.is_some(),
            name.chunked(),
            "`chunked` and `chunked-unsigned`",
        ),
        (
            "trailer",
            map.trailer.is_some(),
            name.chunked(),
            "`chunked` and `chunked-unsigned`",
        ),
        (
            "expires",
            map.expires.is_some(),
            name == ModeName::Presigned,
            "`presigned`",
        ),
    ];
    for (key, given, allowed, modes) in options {
        if given && !allowed {
            return Err(error(
                at,
                LoadErrorKind::StepShape(format!("`{key}` only goes with the mode {modes}")),
            ));
        }
    }
    let trailer = match map.trailer {
        Some(written) => {
            let text = scalar(source, written)?.0.as_str();
            let checksum = TrailerChecksum::parse(text)
                .ok_or_else(|| unknown(text, &written.referenced, TrailerChecksum::names()))?;
            Some(checksum)
        }
        None => None,
    };
    if name == ModeName::ChunkedUnsigned && trailer.is_none() {
        return Err(error(
            at,
            LoadErrorKind::StepShape(
                "`chunked-unsigned` carries its integrity check in a trailer: give `trailer: crc32` (or sha1, sha256)"
                    .into(),
            ),
        ));
    }
    let chunk_size = match map.chunk_size {
        Some(size) => match units::parse_size(&scalar(source, size)?.0) {
            Ok(bytes) if (1..=MAX_CHUNK_SIZE).contains(&bytes) => bytes,
            _ => {
                return Err(error(
                    &size.referenced,
                    LoadErrorKind::InvalidValue(
                        "`chunk_size` is a size from 1 byte to 16MiB, e.g. 64KiB".into(),
                    ),
                ));
            }
        },
        None => DEFAULT_CHUNK_SIZE,
    };
    let expires = match map.expires {
        Some(expires) => {
            let duration =
                units::parse_duration(&scalar(source, expires)?.0).map_err(|message| {
                    error(&expires.referenced, LoadErrorKind::InvalidValue(message))
                })?;
            if duration < Duration::from_secs(1) || duration > MAX_PRESIGN {
                return Err(error(
                    &expires.referenced,
                    LoadErrorKind::InvalidValue(
                        "`expires` is from 1s to 7 days (604800s), as S3 allows".into(),
                    ),
                ));
            }
            duration
        }
        None => DEFAULT_PRESIGN,
    };
    let broken = match map.broken {
        Some(written) => {
            let text = scalar(source, written)?.0.as_str();
            let what = Sigv4Break::parse(text)
                .ok_or_else(|| unknown(text, &written.referenced, Sigv4Break::names()))?;
            if let Some(reason) = what.refused_by(name) {
                return Err(error(
                    &written.referenced,
                    LoadErrorKind::InvalidValue(reason),
                ));
            }
            Some(what)
        }
        None => None,
    };
    let mode = match name {
        ModeName::None => Sigv4Mode::None,
        ModeName::Signed => Sigv4Mode::Signed,
        ModeName::Unsigned => Sigv4Mode::Unsigned,
        ModeName::Presigned => Sigv4Mode::Presigned { expires },
        ModeName::Chunked | ModeName::ChunkedUnsigned => Sigv4Mode::Chunked {
            signed: name == ModeName::Chunked,
            chunk_size,
            trailer,
        },
    };
    Ok(Sigv4 {
        mode,
        broken,
        span: source.span(at),
    })
}

/// An option's value that must be a scalar.
fn scalar<'w>(
    source: &Source<'_>,
    written: &'w Spanned<OptionSyntax>,
) -> Result<&'w Scalar, Box<LoadError>> {
    let kind = match &written.value {
        OptionSyntax::Scalar(scalar) => return Ok(scalar),
        OptionSyntax::Map(_) => "map",
        OptionSyntax::List(_) => "sequence",
    };
    Err(Box::new(source.error(
        &written.referenced,
        LoadErrorKind::Syntax(format!(
            "invalid type: {kind}, expected a string, an integer or a boolean"
        )),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assembly::load;
    use crate::scenario::SpecTree;
    use crate::scenario::model::{BodySource, RequestStep, Step, ValueMatcher};

    #[test]
    fn lowers_sigv4_with_the_other_s3_additions() {
        let yaml = r#"
scenarios:
  - id: s3
    title: every S3 addition
    level: MUST
    steps:
      - repeat:
          times: 2
          as: n
          steps:
            - request:
                method: PUT
                url: "{{s3_endpoint}}/{{bucket}}/{{run_id}}/k?partNumber={{n}}&uploadId=u"
                body: { fill: AB, size: 5MiB }
                sigv4: { mode: chunked, chunk_size: 8KiB, trailer: crc32, break: body }
              expect: { headers: { ETag: { etag: "\"x\"" } } }
              capture:
                etags: { header: ETag, append: true }
      - request:
          method: GET
          url: "{{s3_endpoint}}/{{bucket}}/{{run_id}}/k?uploadId=u"
          sigv4: { mode: presigned, expires: 10m, break: date }
        expect:
          body:
            xml:
              ListPartsResult/Part[2]/ETag: { etag: x }
              ListPartsResult/Part[3]: { absent: true }
        capture:
          listed: { xml: ListPartsResult/Part/ETag, all: true }
      - request:
          method: POST
          url: "{{s3_endpoint}}/{{bucket}}/{{run_id}}/k?uploadId=u"
          sigv4: unsigned
          body: { each: listed, before: "<C>", text: "<P>{{index}}{{item}}</P>", after: "</C>" }
"#;
        let suite =
            load(&SpecTree::in_memory([("s3/x.yaml", yaml)])).unwrap_or_else(|e| panic!("{e}"));
        let sigv4 = |step: &RequestStep| {
            step.options
                .iter()
                .find_map(|o| o.as_any().downcast_ref::<Sigv4>())
                .cloned()
        };
        let steps = &suite.scenarios[0].steps;
        let Step::Repeat(repeat) = &steps[0] else {
            panic!()
        };
        let Step::Request(put) = &repeat.steps[0] else {
            panic!()
        };
        assert_eq!(
            sigv4(put).map(|s| (s.mode, s.broken)),
            Some((
                Sigv4Mode::Chunked {
                    signed: true,
                    chunk_size: 8192,
                    trailer: Some(TrailerChecksum::Crc32)
                },
                Some(Sigv4Break::Body)
            ))
        );
        assert!(put.captures[0].append && put.captures[0].makes_list());
        let Step::Request(list) = &steps[1] else {
            panic!()
        };
        let body = list.expect.body.as_ref().unwrap();
        assert_eq!(
            body.xml_presence,
            [("ListPartsResult/Part[3]".to_owned(), false)]
        );
        assert!(matches!(body.xml[0].1, ValueMatcher::Etag(_)));
        assert_eq!(
            sigv4(list).map(|s| s.mode),
            Some(Sigv4Mode::Presigned {
                expires: Duration::from_secs(600)
            })
        );
        let Step::Request(complete) = &steps[2] else {
            panic!()
        };
        assert!(matches!(&complete.body, Some(BodySource::Each { list, .. }) if list == "listed"));
    }
}
