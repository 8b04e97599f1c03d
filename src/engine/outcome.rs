//! What executing a scenario produced: the outcome, and the transcript of every
//! exchange, which reporters render (human output, JUnit system-out, JSON, HTML).

use std::fmt;
use std::time::Duration;

use crate::scenario::model::SourceSpan;

/// The result of running one scenario's steps and `finally` steps.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    pub outcome: Outcome,
    /// Every request sent, in order (parallel branches in completion order).
    pub transcript: Vec<Exchange>,
    /// Problems in `finally` steps: reported, but they do not change a passing outcome.
    pub cleanup_problems: Vec<Failure>,
    pub duration: Duration,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Passed,
    /// The target answered, and the answer broke an expectation that checks one of
    /// the scenario's requirements (or it never ended a request whose body stalled
    /// on purpose): a conformance failure of `Failure::requirements`.
    Failed(Failure),
    /// A step that only sets up or observes did not get what it needed, or a
    /// precondition (`assume`) did not hold: nothing the scenario cites was decided.
    /// `Failure::requirements` names what the failed step rests on, if anything.
    Inconclusive(Failure),
    /// The exchange itself failed (refused, reset, timeout, garbage): a target or transport problem.
    Errored(Failure),
}

impl Outcome {
    /// Why the scenario stopped short, unless it passed.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Passed => None,
            Outcome::Failed(failure)
            | Outcome::Inconclusive(failure)
            | Outcome::Errored(failure) => Some(failure),
        }
    }
}

/// Why a scenario stopped, and where.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The step that failed (its `name:` if given, else `step N` with nesting, e.g. `step 2.1`).
    pub step: String,
    /// Where the failing expectation (or step) is written.
    pub span: SourceSpan,
    pub kind: FailureKind,
    /// The exchange that failed, when a request was sent.
    pub exchange: Option<Exchange>,
    /// For a failure, the requirements the failed check speaks for; for an
    /// inconclusive outcome, the requirements the failed set-up step rests on
    /// ("blocked by"); empty for an error.
    pub requirements: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum FailureKind {
    /// An expectation did not hold. `what` names it (`status`, `header Upload-Offset`,
    /// `body`, `xml Error/Code`, `capture upload_url`).
    Expectation {
        what: String,
        expected: String,
        actual: String,
    },
    /// The request could not be completed: connection refused or reset, malformed response.
    Transport(String),
    /// A response head arrived but its body broke HTTP framing: it ended early,
    /// its chunked coding was malformed, or bytes followed its declared end.
    Framing(String),
    /// The target refused the request body as too large (413) where the step
    /// expected otherwise: a limit of its configuration, not a deviation.
    TooLarge {
        /// The body bytes the step sent.
        sent: u64,
        /// The variables that size scenarios' bodies to the target's limits (the
        /// run's protocols name them), to pass in advice.
        size_variables: Vec<&'static str>,
    },
    /// No complete response within the step's or scenario's timeout.
    Timeout(Duration),
    /// A value could not be computed at run time (a variable with no value, a size that
    /// does not parse after substitution).
    Evaluation(String),
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Expectation {
                what,
                expected,
                actual,
            } => write!(f, "{what}: expected {expected}, got {actual}"),
            FailureKind::Transport(message) => write!(f, "transport error: {message}"),
            FailureKind::Framing(message) => write!(f, "HTTP framing violated: {message}"),
            FailureKind::TooLarge {
                sent,
                size_variables,
            } => {
                write!(
                    f,
                    "the target refused a {sent}-byte body as too large (413): a limit of its \
                     configuration"
                )?;
                if size_variables.is_empty() {
                    return Ok(());
                }
                let flags: Vec<String> = size_variables
                    .iter()
                    .map(|name| format!("--var {name}=BYTES"))
                    .collect();
                write!(
                    f,
                    "; pass the limit ({}) so scenarios size their bodies to fit",
                    flags.join(", ")
                )
            }
            FailureKind::Timeout(after) => {
                write!(f, "no complete response within {}", humanize(*after))
            }
            FailureKind::Evaluation(message) => f.write_str(message),
        }
    }
}

pub(crate) fn humanize(duration: Duration) -> String {
    if duration.as_millis() < 1000 {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

/// One request and (if any) its response, as shown in failure reports.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub step: String,
    pub request: RequestRecord,
    pub response: Option<ResponseRecord>,
    /// The interim (1xx) responses that came before the final one, in order: at
    /// most the first 100, so a flood of them stays small.
    pub interim: Vec<InterimRecord>,
    /// How many interim responses came, including those not kept in `interim`.
    pub interim_count: u64,
    /// For a request with `Expect: 100-continue` and a body: what let the body
    /// go, or kept it back.
    pub expect_continue: Option<ContinueOutcome>,
    pub duration: Duration,
}

/// How a request's `Expect: 100-continue` was settled (RFC 9110 §10.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContinueOutcome {
    /// A `100 (Continue)` came first: the body was sent after it.
    Continued,
    /// A final response came first: the body was not sent.
    Answered,
    /// Neither came within the client's wait: the body was sent anyway.
    WaitElapsed,
}

/// An interim (1xx) response: `100 Continue`, `104 Upload Resumption Supported`, ….
#[derive(Clone, Debug)]
pub struct InterimRecord {
    pub status: u16,
    /// Secret-bearing headers are masked, as in the final response.
    pub headers: Vec<(String, String)>,
}

/// Headers and query parameters whose values a transcript never shows: HTTP's own
/// credentials always, and what each protocol adds (`Protocol::secret_headers`,
/// `Protocol::secret_parameters`: S3's session token and presigned signature).
#[derive(Clone, Debug)]
pub struct Secrets {
    /// Header names, compared without case.
    headers: Vec<&'static str>,
    /// Query parameter names, compared as written.
    parameters: Vec<&'static str>,
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets {
            headers: vec![
                "authorization",
                "proxy-authorization",
                "cookie",
                "set-cookie",
            ],
            parameters: Vec::new(),
        }
    }
}

impl Secrets {
    /// Adds a protocol's secret headers and query parameters.
    pub fn add(&mut self, headers: &[&'static str], parameters: &[&'static str]) {
        self.headers.extend(headers);
        self.parameters.extend(parameters);
    }

    pub fn is_secret_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    pub fn is_secret_parameter(&self, name: &str) -> bool {
        self.parameters.contains(&name)
    }
}

#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    /// As sent; secret-bearing headers (Authorization, …) are masked.
    pub headers: Vec<(String, String)>,
    /// Bytes actually sent (fewer than declared when the step aborts or stalls the body).
    pub body_len: u64,
    /// Trailer fields sent after the body (masked like headers); usually none.
    pub trailers: Vec<(String, String)>,
    /// The first bytes of the body, for display.
    pub body_excerpt: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_len: u64,
    pub body_excerpt: Vec<u8>,
}
