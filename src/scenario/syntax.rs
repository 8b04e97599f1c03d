//! The scenario file as written: serde types that mirror the YAML one to one.
//!
//! Every type denies unknown keys (so a typo is an error with a suggestion, not a
//! silently ignored expectation), and every value the loader may complain about is
//! `Spanned`, so its error can point at the line and column. Shapes that YAML lets
//! users write in several ways (a status as `201`, `[200, 204]` or `4xx`) have
//! hand-written visitors instead of `#[serde(untagged)]`, which would lose spans and
//! turn every mistake into "data did not match any variant".

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

pub use super::matcher::MatcherSyntax;
use super::model::Comparison;
use super::scalar::Scalar;
use super::scalar::ScalarVisitor;

/// One `*.yaml` file under the specs root. The loader reads it first as an outline
/// (`FileSyntax<Spanned<Deferred>, Spanned<Deferred>>`), then each scenario and
/// sequence on its own, so that one mistake does not hide the next.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "Scenario: Deserialize<'de>, Definition: Deserialize<'de>")
)]
pub struct FileSyntax<Scenario = Spanned<ScenarioSyntax>, Definition = Spanned<DefinitionSyntax>> {
    /// Variables shared by the file's scenarios; `~` means "must be given with --var".
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<Option<Scalar>>>,
    /// Reusable step sequences, invoked from any file as `use: NAME`.
    #[serde(default)]
    pub steps: BTreeMap<String, Definition>,
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
}

/// A node whose place is all that is kept for now: the loader reads it later, on its
/// own (see `Source::entries`), so that its mistakes are reported beside its siblings'.
#[derive(Debug)]
pub struct Deferred;

impl<'de> Deserialize<'de> for Deferred {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        de::IgnoredAny::deserialize(deserializer).map(|_| Deferred)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "Step: Deserialize<'de>"))]
pub struct DefinitionSyntax<Step = Spanned<StepSyntax>> {
    #[serde(default)]
    pub description: Option<String>,
    /// Parameters with defaults; `~` marks a required parameter.
    #[serde(default)]
    pub params: BTreeMap<String, Spanned<Option<Scalar>>>,
    /// `setup` (the default) or `check`: what its steps are, unless a `use:` says `checks:`.
    #[serde(default)]
    pub role: RoleSyntax,
    /// Requirements its expectations rest on, named when a set-up step of it fails.
    #[serde(default)]
    pub requirements: Vec<Spanned<String>>,
    pub steps: Vec<Step>,
}

impl DefinitionSyntax<Spanned<Deferred>> {
    /// The same definition with its steps read.
    pub fn with_steps(self, steps: Vec<Spanned<StepSyntax>>) -> DefinitionSyntax {
        DefinitionSyntax {
            description: self.description,
            params: self.params,
            role: self.role,
            requirements: self.requirements,
            steps,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleSyntax {
    #[default]
    Setup,
    Check,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "Step: Deserialize<'de>"))]
pub struct ScenarioSyntax<Step = Spanned<StepSyntax>> {
    pub id: Spanned<String>,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub requirements: Vec<Spanned<String>>,
    pub level: Spanned<super::model::Level>,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub timeout: Option<Spanned<Scalar>>,
    /// How long the scenario waits on purpose (for an expiry, an idle timeout): a
    /// duration template checked against `--max-wait` before the run.
    #[serde(default)]
    pub waits: Option<Spanned<Scalar>>,
    /// A resource group: scenarios naming the same group never run at once.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// The versions of its protocol the scenario applies to (all when absent).
    #[serde(default)]
    pub versions: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<Option<Scalar>>>,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub finally: Vec<Step>,
}

impl ScenarioSyntax<Spanned<Deferred>> {
    /// The same scenario with its steps (and `finally` steps) read.
    pub fn with_steps(
        self,
        steps: Vec<Spanned<StepSyntax>>,
        finally: Vec<Spanned<StepSyntax>>,
    ) -> ScenarioSyntax {
        ScenarioSyntax {
            id: self.id,
            title: self.title,
            description: self.description,
            requirements: self.requirements,
            level: self.level,
            requires: self.requires,
            timeout: self.timeout,
            waits: self.waits,
            group: self.group,
            versions: self.versions,
            vars: self.vars,
            steps,
            finally,
        }
    }
}

/// A step: exactly one of `request`, `use`, `parallel`, `repeat` or `delay`
/// (checked by the loader, which can then say which keys clash).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSyntax {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub request: Option<Spanned<RequestSyntax>>,
    /// The requirements this step's expectations check; `[]` for a set-up step.
    #[serde(default)]
    pub checks: Option<Spanned<Vec<Spanned<String>>>>,
    /// Preconditions: a mismatch makes the scenario inconclusive, not failed.
    #[serde(default)]
    pub assume: Option<Spanned<ExpectSyntax>>,
    #[serde(default)]
    pub expect: Option<Spanned<ExpectSyntax>>,
    #[serde(default)]
    pub capture: BTreeMap<String, Spanned<CaptureSyntax>>,
    #[serde(default, rename = "use")]
    pub use_: Option<Spanned<String>>,
    #[serde(default)]
    pub with: BTreeMap<String, Spanned<Scalar>>,
    #[serde(default)]
    pub parallel: Option<Spanned<Vec<Spanned<StepSyntax>>>>,
    #[serde(default)]
    pub repeat: Option<Spanned<RepeatSyntax>>,
    #[serde(default)]
    pub delay: Option<Spanned<Scalar>>,
}

/// `request:`. Keys the loader does not know are kept, in the order written, as
/// options: a protocol's (`sigv4:`), lowered by it, or a mistake the loader reports
/// with a suggestion among every key it accepts.
#[derive(Debug)]
pub struct RequestSyntax {
    pub method: Spanned<String>,
    pub url: Spanned<Scalar>,
    pub headers: BTreeMap<String, Spanned<Scalar>>,
    pub body: Option<Spanned<BodySyntax>>,
    pub trailers: BTreeMap<String, Spanned<Scalar>>,
    pub abort_after: Option<Spanned<Scalar>>,
    pub stall_after: Option<Spanned<Scalar>>,
    pub timeout: Option<Spanned<Scalar>>,
    pub continue_timeout: Option<Spanned<Scalar>>,
    pub content_md5: bool,
    pub options: Vec<(Spanned<String>, Spanned<OptionSyntax>)>,
}

/// The keys of `request:` that mean the same for every protocol.
pub const REQUEST_KEYS: [&str; 10] = [
    "method",
    "url",
    "headers",
    "body",
    "trailers",
    "abort_after",
    "stall_after",
    "timeout",
    "continue_timeout",
    "content_md5",
];

impl<'de> Deserialize<'de> for RequestSyntax {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RequestVisitor;
        impl<'de> Visitor<'de> for RequestVisitor {
            type Value = RequestSyntax;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a request: a map with `method` and `url`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RequestSyntax, A::Error> {
                let (mut method, mut url) = (None, None);
                let mut request = RequestSyntax {
                    method: Spanned::new(String::new(), Location::UNKNOWN, Location::UNKNOWN),
                    url: Spanned::new(Scalar(String::new()), Location::UNKNOWN, Location::UNKNOWN),
                    headers: BTreeMap::new(),
                    body: None,
                    trailers: BTreeMap::new(),
                    abort_after: None,
                    stall_after: None,
                    timeout: None,
                    continue_timeout: None,
                    content_md5: false,
                    options: Vec::new(),
                };
                // The parser refuses duplicate keys, so each arm runs at most once.
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.value.as_str() {
                        "method" => method = Some(map.next_value()?),
                        "url" => url = Some(map.next_value()?),
                        "headers" => request.headers = map.next_value()?,
                        "body" => request.body = map.next_value()?,
                        "trailers" => request.trailers = map.next_value()?,
                        "abort_after" => request.abort_after = map.next_value()?,
                        "stall_after" => request.stall_after = map.next_value()?,
                        "timeout" => request.timeout = map.next_value()?,
                        "continue_timeout" => request.continue_timeout = map.next_value()?,
                        "content_md5" => request.content_md5 = map.next_value()?,
                        _ => request.options.push((key, map.next_value()?)),
                    }
                }
                request.method = method.ok_or_else(|| de::Error::missing_field("method"))?;
                request.url = url.ok_or_else(|| de::Error::missing_field("url"))?;
                Ok(request)
            }
        }
        deserializer.deserialize_map(RequestVisitor)
    }
}

/// What a protocol's option holds as written: a scalar, a map (keys with their
/// places, so the protocol can point at a wrong one) or a list. The protocol that
/// owns the key gives it meaning.
#[derive(Debug)]
pub enum OptionSyntax {
    Scalar(Scalar),
    Map(Vec<(Spanned<String>, Spanned<OptionSyntax>)>),
    List(Vec<Spanned<OptionSyntax>>),
}

impl<'de> Deserialize<'de> for OptionSyntax {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OptionVisitor;
        impl<'de> Visitor<'de> for OptionVisitor {
            type Value = OptionSyntax;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar, a map or a list")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<OptionSyntax, E> {
                ScalarVisitor.visit_str(v).map(OptionSyntax::Scalar)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OptionSyntax, E> {
                ScalarVisitor.visit_u64(v).map(OptionSyntax::Scalar)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OptionSyntax, E> {
                ScalarVisitor.visit_i64(v).map(OptionSyntax::Scalar)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<OptionSyntax, E> {
                ScalarVisitor.visit_bool(v).map(OptionSyntax::Scalar)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OptionSyntax, E> {
                ScalarVisitor.visit_f64(v).map(OptionSyntax::Scalar)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OptionSyntax, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(OptionSyntax::Map(entries))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OptionSyntax, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OptionSyntax::List(items))
            }
        }
        deserializer.deserialize_any(OptionVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSyntax {
    #[serde(default)]
    pub status: Option<Spanned<StatusSyntax>>,
    /// `true`: the server answered `Expect: 100-continue` before the wait ran out.
    #[serde(default)]
    pub continue_answered: Option<Spanned<bool>>,
    #[serde(default)]
    pub interim: Vec<Spanned<InterimSyntax>>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<MatcherSyntax>>,
    #[serde(default)]
    pub body: Option<Spanned<BodyExpectSyntax>>,
}

/// One entry of `expect.interim`: `{status: 104, count: {ge: 1}, headers: {…}, before: 100}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterimSyntax {
    pub status: Spanned<Scalar>,
    #[serde(default)]
    pub count: Option<Spanned<CountSyntax>>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<MatcherSyntax>>,
    #[serde(default)]
    pub before: Option<Spanned<Scalar>>,
    /// Headers each selected response carries with the final response's value.
    #[serde(default)]
    pub same_as_final: Vec<Spanned<String>>,
}

/// How many: `2` (exactly), or comparisons such as `{ge: 1, le: 3}`.
#[derive(Debug)]
pub struct CountSyntax(pub Vec<(Comparison, u64)>);

impl<'de> Deserialize<'de> for CountSyntax {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = CountSyntax;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a count (0, 1, …) or a map of comparisons (eq, ne, lt, le, gt, ge)")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CountSyntax, E> {
                Ok(CountSyntax(vec![(Comparison::Eq, v)]))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CountSyntax, A::Error> {
                const KEYS: &[&str] = &["eq", "ne", "lt", "le", "gt", "ge"];
                let mut comparisons = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Some(comparison) = Comparison::ALL.into_iter().find(|c| c.key() == key)
                    else {
                        return Err(de::Error::unknown_field(&key, KEYS));
                    };
                    comparisons.push((comparison, map.next_value()?));
                }
                if comparisons.is_empty() {
                    return Err(de::Error::custom("give at least one comparison"));
                }
                Ok(CountSyntax(comparisons))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyExpectSyntax {
    #[serde(default)]
    pub empty: Option<bool>,
    #[serde(default)]
    pub equals: Option<Spanned<BodySyntax>>,
    #[serde(default)]
    pub contains: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub md5: Option<Spanned<String>>,
    #[serde(default)]
    pub sha1: Option<Spanned<String>>,
    #[serde(default)]
    pub sha256: Option<Spanned<String>>,
    #[serde(default)]
    pub sha512: Option<Spanned<String>>,
    #[serde(default)]
    pub crc32: Option<Spanned<String>>,
    #[serde(default)]
    pub xml: BTreeMap<String, Spanned<MatcherSyntax>>,
    /// JSON Pointer (RFC 6901) → check, for JSON bodies (RFC 9457 problem details).
    #[serde(default)]
    pub json: BTreeMap<String, Spanned<MatcherSyntax>>,
    /// The local name the root element must have; paths under `xml` read any root.
    #[serde(default)]
    pub root: Option<Spanned<String>>,
}

/// `{header: Location, resolve_url: true}`, `{xml: Path/To/Elem}`, `{json: /pointer}`,
/// `{body: true, regex: …}`, `{status: true}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureSyntax {
    #[serde(default)]
    pub header: Option<String>,
    #[serde(default)]
    pub resolve_url: bool,
    /// With `header`: read it from the first interim (1xx) response with this status.
    #[serde(default)]
    pub interim: Option<Spanned<Scalar>>,
    /// With `header`: read this member of the header as an RFC 9651 dictionary.
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default)]
    pub xml: Option<String>,
    /// A JSON Pointer (RFC 6901) into a JSON body.
    #[serde(default)]
    pub json: Option<Spanned<String>>,
    #[serde(default)]
    pub body: bool,
    #[serde(default)]
    pub status: bool,
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// Append to a list variable instead of replacing the value.
    #[serde(default)]
    pub append: bool,
    /// With `xml`: every element at the path, as a list.
    #[serde(default)]
    pub all: bool,
    /// The value to take when the response has none (a poll that meets a 423).
    #[serde(default)]
    pub default: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatSyntax {
    pub times: Spanned<Scalar>,
    #[serde(default, rename = "as")]
    pub as_: Option<Spanned<String>>,
    #[serde(default)]
    pub from: Option<u64>,
    #[serde(default, rename = "while")]
    pub while_: Option<Spanned<ConditionSyntax>>,
    pub steps: Vec<Spanned<StepSyntax>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSyntax {
    pub var: Spanned<String>,
    pub is: Spanned<MatcherSyntax>,
}

/// `201`, `4xx`, or a list of those. A single value is spanned by the enclosing `Spanned`;
/// list items carry their own spans so an error can point at the bad one.
#[derive(Debug)]
pub struct StatusSyntax(pub Vec<Spanned<Scalar>>);

impl StatusSyntax {
    /// A lone value: its location is unknown here and taken from the enclosing `Spanned`.
    fn single(text: String) -> Self {
        StatusSyntax(vec![Spanned::new(
            Scalar(text),
            Location::UNKNOWN,
            Location::UNKNOWN,
        )])
    }
}

impl<'de> Deserialize<'de> for StatusSyntax {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = StatusSyntax;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status code (201), a class (4xx) or a list of them")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusSyntax, E> {
                Ok(StatusSyntax::single(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSyntax, E> {
                Ok(StatusSyntax::single(v.to_string()))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSyntax, E> {
                Ok(StatusSyntax::single(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSyntax, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Scalar>>()? {
                    items.push(item);
                }
                Ok(StatusSyntax(items))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

/// A request body or an expected body: a plain scalar is text; a map names the source.
#[derive(Debug)]
pub enum BodySyntax {
    Shorthand(Scalar),
    Map(Box<BodyMap>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyMap {
    #[serde(default)]
    pub text: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub base64: Option<Spanned<String>>,
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    #[serde(default)]
    pub random: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub sent_by: Option<Spanned<NameList>>,
    /// A pattern repeated to `size` bytes.
    #[serde(default)]
    pub fill: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub size: Option<Spanned<Scalar>>,
    /// A list variable: `text` is rendered once per element, between `before` and `after`.
    #[serde(default)]
    pub each: Option<Spanned<String>>,
    #[serde(default)]
    pub before: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub after: Option<Spanned<Scalar>>,
}

/// One step name or a list of them.
#[derive(Debug)]
pub struct NameList(pub Vec<String>);

impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameListVisitor;
        impl<'de> Visitor<'de> for NameListVisitor {
            type Value = NameList;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a step name or a list of step names")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<NameList, E> {
                Ok(NameList(vec![v.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NameList, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(NameList(names))
            }
        }
        deserializer.deserialize_any(NameListVisitor)
    }
}

/// Implements `Deserialize` for an enum written either as a plain scalar (`Shorthand`)
/// or as a map (`Map`, through the map type's derived impl, so unknown keys and spans
/// behave as everywhere else).
macro_rules! scalar_or_map {
    ($outer:ident, $map:ident, $expecting:expr) => {
        impl<'de> Deserialize<'de> for $outer {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ScalarOrMap;
                impl<'de> Visitor<'de> for ScalarOrMap {
                    type Value = $outer;

                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(&$expecting)
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$outer, E> {
                        ScalarVisitor.visit_str(v).map($outer::Shorthand)
                    }

                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$outer, E> {
                        ScalarVisitor.visit_u64(v).map($outer::Shorthand)
                    }

                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$outer, E> {
                        ScalarVisitor.visit_i64(v).map($outer::Shorthand)
                    }

                    fn visit_bool<E: de::Error>(self, v: bool) -> Result<$outer, E> {
                        ScalarVisitor.visit_bool(v).map($outer::Shorthand)
                    }

                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$outer, E> {
                        ScalarVisitor.visit_f64(v).map($outer::Shorthand)
                    }

                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$outer, A::Error> {
                        $map::deserialize(de::value::MapAccessDeserializer::new(map))
                            .map(|m| $outer::Map(Box::new(m)))
                    }
                }
                deserializer.deserialize_any(ScalarOrMap)
            }
        }
    };
}

scalar_or_map!(
    BodySyntax,
    BodyMap,
    "a text body, or a map naming the source (text, base64, file, random, sent_by, fill, each)"
);
