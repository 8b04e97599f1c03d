//! The validated scenario model the engine executes.
//!
//! The loader turns the YAML syntax tree (`syntax.rs`) into these types once every
//! check has passed, so the engine never meets an unknown key, an unparsed template
//! or a dangling `use`. Every node that can fail at run time keeps the [`SourceSpan`]
//! it came from, so a failure report can point at the scenario line that expected it.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::capability::Capability;
pub use super::span::SourceSpan;
use super::template::Template;

/// How binding a requirement is, and so how a failed expectation counts: the
/// RFC 2119 keywords as the spec says them, and `IMPL` where the spec is silent.
/// Ordered from the strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
pub enum Level {
    /// A failure fails the run.
    #[serde(rename = "MUST")]
    Must,
    /// A failure is a warning; `--strict` makes it fail the run.
    #[serde(rename = "SHOULD")]
    Should,
    /// Optional behaviour: the outcome is recorded, never failed.
    #[serde(rename = "MAY")]
    May,
    /// The spec is silent: the outcome is recorded, never failed. Behaviour the
    /// well-known servers agree on is still IMPL: agreement is not a requirement.
    #[serde(rename = "IMPL")]
    Impl,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
            Level::Impl => "IMPL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`, so tables can align levels with `{:<8}`.
        f.pad(self.as_str())
    }
}

/// One conformance check: a sequence of steps and the cleanup that always follows.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The id as written, unique within its file.
    pub id: String,
    /// Module path from the specs root: `specs/tus/core/patch.yaml` gives `["tus", "core", "patch"]`.
    pub module: Vec<String>,
    pub title: String,
    pub requirements: Vec<String>,
    pub level: Level,
    /// The level at which a failed check of each cited requirement counts: the
    /// scenario's level, weakened to the catalogue's level for that requirement,
    /// so a scenario citing a MUST and an IMPL row cannot fail the IMPL row as MUST.
    pub requirement_levels: BTreeMap<String, Level>,
    /// Capabilities the target must have; unmet ones make the scenario skipped, with the reason.
    pub requires: Vec<Capability>,
    /// Where `- id:` was written.
    pub span: SourceSpan,
    pub timeout: Option<Duration>,
    /// How long the scenario waits on purpose, as a duration template: a wait
    /// longer than `--max-wait` skips it rather than block a run for a server's
    /// day-long expiry.
    pub waits: Option<Template>,
    /// The resource group: scenarios naming the same one never overlap (a
    /// server-wide setting they change, a listing they must see alone), however
    /// many run at once otherwise.
    pub group: Option<String>,
    /// The versions of its protocol it applies to (`versions:`); `None`: every
    /// version its catalogue knows. A run checking another version skips it.
    pub versions: Option<Vec<String>>,
    /// Variables the scenario (or its file) declares, with their defaults.
    /// `None` means "must be given by the user"; a scenario that reads such a
    /// variable without a value is skipped with the reason.
    pub vars: BTreeMap<String, Option<Template>>,
    /// Declared variables without a default that the scenario's steps read.
    pub needs_vars: Vec<String>,
    pub steps: Vec<Step>,
    /// Runs after `steps`, whatever happened; its failures are reported but never
    /// change the scenario's verdict from pass to fail on their own.
    pub finally: Vec<Step>,
}

impl Scenario {
    /// The trial name: the module path and the id, joined with `::`.
    pub fn name(&self) -> String {
        let mut name = self.module.join("::");
        name.push_str("::");
        name.push_str(&self.id);
        name
    }

    /// The level a failed check of `requirement` counts at (the scenario's own level
    /// for an ID it does not cite, which the loader never lets a check name).
    pub fn level_of(&self, requirement: &str) -> Level {
        self.requirement_levels
            .get(requirement)
            .copied()
            .unwrap_or(self.level)
    }

    /// The level a failed check of all of `requirements` counts at: the strongest of
    /// theirs (the scenario's own for a check that names none).
    pub fn strongest_level(&self, requirements: &[String]) -> Level {
        requirements
            .iter()
            .map(|id| self.level_of(id))
            .min()
            .unwrap_or(self.level)
    }

    /// The protocol or extension the scenario checks: its module path without the file name.
    pub fn kind(&self) -> String {
        let dirs = &self.module[..self.module.len().saturating_sub(1)];
        if dirs.is_empty() {
            self.module.join("-")
        } else {
            dirs.join("-")
        }
    }
}

#[derive(Clone, Debug)]
pub enum Step {
    Request(Box<RequestStep>),
    /// Invoke a named step sequence with parameters.
    Use(UseStep),
    /// Run the branches concurrently and wait for all of them (races on one upload).
    Parallel(Vec<Step>),
    Repeat(Box<RepeatStep>),
    /// Pause for a duration: a template, so a wait can follow a server setting
    /// (`"{{tus_expiry}}s"`), checked at load time when literal.
    Delay {
        duration: Template,
        span: SourceSpan,
    },
}

/// What a step's expectations stand for (`checks:` on a step).
///
/// Verdicts belong to requirements: a mismatch fails only the requirements the step
/// checks. A step that checks none only sets up or observes, and its mismatch makes
/// the scenario inconclusive instead, since nothing the scenario cites was tested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checks {
    /// These requirements, each one the scenario cites.
    Requirements(Vec<String>),
    /// None: a set-up or observing step (`checks: []`).
    Nothing,
}

/// `use: tus.create` with `with: {length: 100}`.
#[derive(Clone, Debug)]
pub struct UseStep {
    pub definition: Arc<StepDefinition>,
    /// Parameter values, evaluated in the caller's scope before the sequence runs.
    pub with: BTreeMap<String, Template>,
    /// What the sequence's steps check here; `None` leaves it to the sequence's role.
    pub checks: Option<Checks>,
    pub span: SourceSpan,
}

/// A reusable step sequence, defined once under a file's `steps:` key.
#[derive(Clone, Debug)]
pub struct StepDefinition {
    pub name: String,
    /// Parameters and their defaults; `None` marks a required parameter.
    pub params: BTreeMap<String, Option<Template>>,
    pub steps: Vec<Step>,
    pub role: SequenceRole,
    /// The requirements the sequence's own expectations rest on: when one of its
    /// set-up steps fails, the inconclusive scenario is "blocked by" them.
    pub rests_on: Vec<String>,
    pub span: SourceSpan,
}

/// What a reusable sequence is for, unless its `use:` says `checks:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceRole {
    /// It brings the upload into the state a check needs (create, append, complete):
    /// its mismatches make the scenario inconclusive.
    Setup,
    /// It is a check (the state after a request): its mismatches fail the
    /// requirements its caller checks.
    Check,
}

/// Repeat a block: a fixed count, and/or while a condition on a variable holds.
#[derive(Clone, Debug)]
pub struct RepeatStep {
    /// How many iterations at most; a template so it can come from a variable.
    pub times: Template,
    /// The loop variable, counting from `from`.
    pub index_var: Option<String>,
    pub from: u64,
    /// Checked before every iteration but the first: the loop stops when it fails.
    pub while_: Option<Condition>,
    /// What the loop's steps check, unless a step says otherwise.
    pub checks: Option<Checks>,
    pub steps: Vec<Step>,
    pub span: SourceSpan,
}

/// `{var: is_truncated, equals: "true"}`.
#[derive(Clone, Debug)]
pub struct Condition {
    pub var: String,
    pub matcher: ValueMatcher,
}

#[derive(Clone, Debug)]
pub struct RequestStep {
    /// Names the step in reports and lets later steps refer to the body it sent.
    pub name: Option<String>,
    pub method: Template,
    pub url: Template,
    /// In the order written; names keep the case written.
    pub headers: Vec<(String, Template)>,
    pub body: Option<BodySource>,
    /// Trailer fields sent after the body, which then goes chunked (tus's
    /// checksum-trailer extension). Empty for almost every request.
    pub trailers: Vec<(String, Template)>,
    /// Send only part of the body: `abort_after` or `stall_after`.
    pub cut: Option<BodyCut>,
    /// Bounds the exchange; a template so it can follow a server setting
    /// (`"{{tus_idle_timeout + 10}}s"`), checked at load time when literal.
    pub timeout: Option<Template>,
    /// How long a request that carries `Expect: 100-continue` holds its body
    /// back waiting for a `100 (Continue)` or a final response (RFC 9110
    /// §10.1.1 lets a client go on after a wait); `None` for the default, 1 s.
    pub continue_timeout: Option<Template>,
    /// Options that protocols add to a request (`sigv4:`), as each lowered them.
    pub options: Vec<Arc<dyn ProtocolOption>>,
    /// What the step's `expect` checks; `None` inherits from the enclosing step or,
    /// at the top, the scenario's requirements.
    pub checks: Option<Checks>,
    /// Preconditions: when one does not hold, the scenario cannot go on to what it
    /// checks and is inconclusive (a refusal by configuration, a deviation that
    /// another scenario reports). Checked before `expect`.
    pub assume: Expect,
    /// Send `Content-MD5` with the body's digest (`content_md5: true`), which S3
    /// requires of some requests (DeleteObjects) and a scenario cannot write by
    /// hand when the body holds variables.
    pub content_md5: bool,
    pub expect: Expect,
    pub captures: Vec<Capture>,
    pub span: SourceSpan,
}

/// An option a protocol adds to `request:` steps, lowered by that protocol when
/// the file is loaded (see `super::extension`) and read by its session when the
/// request is sent. Typed by the protocol: its session downcasts through `as_any`.
pub trait ProtocolOption: fmt::Debug + Send + Sync {
    /// The protocol whose session reads it.
    fn protocol(&self) -> &'static str;
    /// Why the request cannot be sent in a run without a session of that protocol.
    fn unserved(&self) -> String;
    fn as_any(&self) -> &dyn Any;
}

/// A body sent only in part, while its full length is declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyCut {
    /// A size: how many body bytes are sent.
    pub after: Template,
    pub then: CutEnd,
}

/// What the request does once the allowed bytes are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CutEnd {
    /// `abort_after`: drop the connection (a network failure mid-upload).
    Abort,
    /// `stall_after`: send nothing more, keep the connection open, and wait for the
    /// server to end the request.
    Stall,
}

impl CutEnd {
    /// The key that asks for it in a scenario.
    pub fn key(self) -> &'static str {
        match self {
            CutEnd::Abort => "abort_after",
            CutEnd::Stall => "stall_after",
        }
    }
}

/// Where a request body comes from. Every source can be regenerated, so a later
/// step can compare a response against "the bytes step X sent" without the run
/// holding those bytes in memory.
#[derive(Clone, Debug)]
pub enum BodySource {
    /// Text with `{{variables}}` substituted.
    Text(Template),
    /// Bytes given inline (base64 in the file) or read from a fixture file at load time.
    Bytes(Arc<[u8]>),
    /// Seeded pseudo-random bytes, generated in chunks as they are sent.
    Random {
        size: Template,
        /// A fixed seed; otherwise one is derived from the run seed, the scenario and the step.
        seed: Option<u64>,
    },
    /// The concatenation of the bodies that the named earlier steps sent.
    SentBy(Vec<String>),
    /// `pattern` repeated (and cut) to `size` bytes: large bodies with known digests,
    /// such as the S3 parts of 5 MiB filled with `A`.
    Fill { pattern: Arc<[u8]>, size: Template },
    /// `before`, then `item` rendered once per element of the list variable `list`
    /// (with `{{item}}` the element and `{{index}}` its position from 1), then `after`.
    Each {
        list: String,
        before: Option<Template>,
        item: Template,
        after: Option<Template>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub status: Option<StatusExpect>,
    /// `continue_answered: true`: the server answered the request's
    /// `Expect: 100-continue` before the client's wait ran out.
    pub continue_answered: Option<SourceSpan>,
    /// Checks on the interim (1xx) responses before the final one, in the order written.
    pub interim: Vec<InterimExpect>,
    /// In the order written; names compared case-insensitively.
    pub headers: Vec<HeaderExpect>,
    pub body: Option<BodyExpect>,
}

#[derive(Clone, Debug)]
pub struct StatusExpect {
    pub allowed: Vec<StatusPattern>,
    pub span: SourceSpan,
}

impl StatusExpect {
    /// Whether `status` is one of the codes or classes accepted.
    pub fn allows(&self, status: u16) -> bool {
        self.allowed.iter().any(|pattern| match *pattern {
            StatusPattern::Code(code) => code == status,
            StatusPattern::Class(class) => status / 100 == u16::from(class),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPattern {
    Code(u16),
    /// `4xx`: the hundreds digit.
    Class(u8),
}

/// `interim: [{status: 104, count: {ge: 1}, headers: {…}, before: 100}]`: the
/// interim responses with `status` (the selected ones) number as `count` says,
/// each carries the headers, and each came before the first interim response
/// with status `before`.
#[derive(Clone, Debug)]
pub struct InterimExpect {
    /// A status from 100 to 199.
    pub status: u16,
    /// Every comparison must hold for the number of selected responses.
    pub count: Vec<(Comparison, u64)>,
    pub headers: Vec<HeaderExpect>,
    pub before: Option<u16>,
    /// Headers each selected response carries with the value the final response
    /// gives them (a 104's `Location` and the final one's).
    pub same_as_final: Vec<String>,
    pub span: SourceSpan,
}

impl InterimExpect {
    /// The default count: at least one.
    pub const AT_LEAST_ONE: (Comparison, u64) = (Comparison::Ge, 1);
}

#[derive(Clone, Debug)]
pub struct HeaderExpect {
    pub name: String,
    pub matcher: HeaderMatcher,
    pub span: SourceSpan,
}

#[derive(Clone, Debug)]
pub enum HeaderMatcher {
    Present,
    Absent,
    /// The header is present and its value satisfies every check.
    Value(Vec<ValueMatcher>),
    /// The header may be absent; when present, its value satisfies every check
    /// (`if_present: true`): for fields a spec makes optional but defines the
    /// syntax of.
    IfPresent(Vec<ValueMatcher>),
}

/// A check on a string value (a header, an XML element, a variable).
#[derive(Clone, Debug)]
pub enum ValueMatcher {
    Equals(Template),
    OneOf(Vec<Template>),
    Regex(regex::Regex),
    /// The comma-separated list contains this token (case-insensitive, whitespace trimmed).
    ContainsToken(Template),
    /// The value parses as a non-negative decimal integer and compares so.
    Compare(Comparison, Template),
    /// Equal as entity tags: surrounding double quotes and a `W/` prefix are ignored
    /// on both sides, since servers and scenarios differ on whether to quote them.
    Etag(Template),
    /// Both are HTTP-dates (RFC 9110 §5.6.7, any of its three forms) and the value
    /// is strictly later (`After`) or earlier (`Before`) than the template's.
    Date(DateOrder, Template),
    /// The value is an RFC 9651 structured field of a type, and what it holds
    /// passes further checks.
    Sf(Box<SfMatcher>),
}

/// `{sf: integer, eq: 5}`, `{sf: dictionary, members: {…}}`.
#[derive(Clone, Debug)]
pub struct SfMatcher {
    pub kind: SfKind,
    /// The other checks of the map, on the parsed value serialized canonically:
    /// a bare-item kind's bare item alone (parameters dropped: `5;a=1` reads
    /// `5`), an `item` with its parameters, a `list` or `dictionary` whole.
    pub then: Vec<ValueMatcher>,
    /// A dictionary's members by key, each read as its bare item (or inner
    /// list) serialized canonically: `max-size=100` gives `100` to its checks.
    pub members: Vec<(String, HeaderMatcher)>,
}

/// The RFC 9651 types `sf:` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SfKind {
    Integer,
    Decimal,
    String,
    Token,
    Boolean,
    ByteSequence,
    /// Any Item, with its parameters.
    Item,
    List,
    Dictionary,
}

impl SfKind {
    pub const ALL: [SfKind; 9] = [
        SfKind::Integer,
        SfKind::Decimal,
        SfKind::String,
        SfKind::Token,
        SfKind::Boolean,
        SfKind::ByteSequence,
        SfKind::Item,
        SfKind::List,
        SfKind::Dictionary,
    ];

    /// As written after `sf:`.
    pub fn name(self) -> &'static str {
        match self {
            SfKind::Integer => "integer",
            SfKind::Decimal => "decimal",
            SfKind::String => "string",
            SfKind::Token => "token",
            SfKind::Boolean => "boolean",
            SfKind::ByteSequence => "byte-sequence",
            SfKind::Item => "item",
            SfKind::List => "list",
            SfKind::Dictionary => "dictionary",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    After,
    Before,
}

impl DateOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::After => "after",
            DateOrder::Before => "before",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    /// Every comparison, in the order of their keys in a matcher map.
    pub const ALL: [Comparison; 6] = [
        Comparison::Eq,
        Comparison::Ne,
        Comparison::Lt,
        Comparison::Le,
        Comparison::Gt,
        Comparison::Ge,
    ];

    /// Its key in a matcher map: `eq`, `ge`, ….
    pub fn key(self) -> &'static str {
        match self {
            Comparison::Eq => "eq",
            Comparison::Ne => "ne",
            Comparison::Lt => "lt",
            Comparison::Le => "le",
            Comparison::Gt => "gt",
            Comparison::Ge => "ge",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }

    pub fn holds(self, actual: u128, expected: u128) -> bool {
        match self {
            Comparison::Eq => actual == expected,
            Comparison::Ne => actual != expected,
            Comparison::Lt => actual < expected,
            Comparison::Le => actual <= expected,
            Comparison::Gt => actual > expected,
            Comparison::Ge => actual >= expected,
        }
    }
}

/// Checks on the response body; every one given must hold.
#[derive(Clone, Debug, Default)]
pub struct BodyExpect {
    pub empty: bool,
    /// Byte-exact equality with a body source (text, bytes, or what earlier steps sent).
    pub equals: Option<BodySource>,
    pub contains: Option<Template>,
    pub digests: Vec<(DigestAlgorithm, String)>,
    /// Element path (namespace-agnostic, `/`-separated from the root element) → check.
    pub xml: Vec<(String, ValueMatcher)>,
    /// Element path → whether it must be present (`true`) or absent (`false`).
    pub xml_presence: Vec<(String, bool)>,
    /// JSON Pointer (RFC 6901) → check on the value there (a string's
    /// characters, anything else as compact JSON).
    pub json: Vec<(String, ValueMatcher)>,
    /// JSON Pointer → whether a value must be there (`true`) or not (`false`).
    pub json_presence: Vec<(String, bool)>,
    /// The local name the root element must have. Paths read any root, since a
    /// root's name is checked only where a requirement names it.
    pub root: Option<String>,
    pub span: Option<SourceSpan>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Crc32,
}

impl DigestAlgorithm {
    pub const ALL: [DigestAlgorithm; 5] = [
        DigestAlgorithm::Md5,
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha512,
        DigestAlgorithm::Crc32,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "md5",
            DigestAlgorithm::Sha1 => "sha1",
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha512 => "sha512",
            DigestAlgorithm::Crc32 => "crc32",
        }
    }
}

/// Stores a value from the response in a variable for later steps.
#[derive(Clone, Debug)]
pub struct Capture {
    pub var: String,
    pub source: CaptureSource,
    /// Keep only the first group of this regex (or the whole match if it has none).
    pub regex: Option<regex::Regex>,
    /// Add the value to the list variable `var` instead of replacing it.
    pub append: bool,
    /// Take every element at the XML path, as a list, not only the first.
    pub all: bool,
    /// Taken when the response has no value: a polling loop reads on through
    /// answers that lack it, instead of stopping there.
    pub default: Option<String>,
    pub span: SourceSpan,
}

impl Capture {
    /// Whether the captured variable is a list (read only by `body: {each: …}`).
    pub fn makes_list(&self) -> bool {
        self.append || self.all
    }
}

#[derive(Clone, Debug)]
pub enum CaptureSource {
    /// A response header; with `resolve_url` the value is resolved against the request URL
    /// (for `Location`, which may be relative).
    Header { name: String, resolve_url: bool },
    /// An element's text in an XML body, by namespace-agnostic path.
    Xml(String),
    /// The body as text (use with `regex`).
    Body,
    /// The HTTP status code.
    Status,
    /// A member of a header that is an RFC 9651 dictionary: its bare item
    /// (a string's characters, without quotes; other types serialized).
    Member { header: String, key: String },
    /// A value in a JSON body by JSON Pointer (RFC 6901): a string's
    /// characters, other values as JSON text.
    Json(String),
    /// A header of the first interim (1xx) response with this status
    /// (`{interim: 104, header: Location}`), resolved like a final one's.
    InterimHeader {
        status: u16,
        name: String,
        resolve_url: bool,
    },
}
