//! Executes scenarios against a target over HTTP.
//!
//! [`run_scenario`] walks a scenario's steps in order, stops at the first one that
//! fails, then runs every `finally` step whatever happened. Each module below owns
//! one concern: variable lookup (`scope`), request bodies and what named steps sent
//! (`body`), one exchange on the wire (`request`), reading the response body
//! (`response`), expectations (`expect`), captures (`capture`), digests
//! (`digest`), and the protocols' part in every request (`session`).

pub(crate) mod body;
mod capture;
pub(crate) mod digest;
pub(crate) mod expect;
pub mod outcome;
pub(crate) mod request;
mod response;
pub(crate) mod scope;
pub mod session;
mod transport;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use rustls_platform_verifier::BuilderVerifierExt;
use std::time::{Duration, SystemTime};

use futures_util::future::{BoxFuture, FutureExt as _, join_all};
use tokio::time::Instant;

use self::body::{SentBodies, random_key};
use self::expect::{CheckError, MatchError};
use self::outcome::{Exchange, Failure, FailureKind, Outcome, ScenarioResult, Secrets};
use self::request::Interrupted;
use self::scope::{EvalError, ScenarioVars, Scope};
use self::session::Sessions;
use self::transport::Transport;
use crate::scenario::model::{
    BodySource, Checks, Condition, RepeatStep, RequestStep, Scenario, SequenceRole, SourceSpan,
    Step, UseStep,
};
use crate::scenario::units;

/// Everything a scenario run needs from outside the scenario file.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// Run-wide variables: `target`, `seed`, `run_id` and the user's `--var` values.
    /// A `--var` also overrides the default a scenario declares for the same name.
    pub variables: BTreeMap<String, String>,
    /// Added to every request; a step's own header of the same name (any case) replaces it.
    pub headers: Vec<(String, String)>,
    /// The run seed, from which every random body without an explicit seed derives.
    pub seed: u64,
    /// Bounds one exchange (request and whole response) when the step sets no `timeout`.
    pub step_timeout: Duration,
    /// Bounds a scenario's `steps` together when the scenario sets no `timeout`.
    pub scenario_timeout: Duration,
    /// The protocols' sessions: each prepares the run's requests (signs them) and
    /// observes their answers (notes what they created, for the cleanup).
    pub sessions: Sessions,
    /// The variables that size bodies to a target's limits (`Protocol::size_variables`),
    /// named when a target refuses a body as too large.
    pub size_variables: Vec<&'static str>,
    /// The headers and query parameters whose values transcripts mask.
    pub secrets: Secrets,
}

impl RunContext {
    /// A context outside any assembled run (for running scenarios on their own, as
    /// tests do): no run headers, no protocol sessions, no size variables, and
    /// only HTTP's own secrets.
    pub fn bare(
        variables: BTreeMap<String, String>,
        seed: u64,
        step_timeout: Duration,
        scenario_timeout: Duration,
    ) -> Self {
        RunContext {
            variables,
            headers: Vec::new(),
            seed,
            step_timeout,
            scenario_timeout,
            sessions: Sessions::default(),
            size_variables: Vec::new(),
            secrets: Secrets::default(),
        }
    }
}

/// The client for the protocols' own requests (discovery, S3 set-up and cleanup);
/// scenario steps go through the engine's transport, which sees what reqwest hides.
/// Redirects are not followed and bodies are not decompressed because both are
/// what scenarios check; no proxy, because the target is exactly the URL given; no
/// retries, because a retried request is not the request the scenario describes.
/// reqwest still adds `Accept: */*` to requests whose step sets no `Accept`. Cheap
/// to call: the TLS set-up is shared.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .no_proxy()
        .retry(reqwest::retry::never())
        .tls_backend_preconfigured(tls_config().clone())
        .build()
        // Building fails only when the TLS backend cannot start, which no scenario can
        // work around; there is nothing sensible to run without a client.
        .expect("the HTTP client (rustls) could not be initialised")
}

/// What reqwest's `rustls` feature configures (aws-lc-rs, the platform's roots,
/// HTTP/2 then HTTP/1.1 by ALPN), built once; the engine's own transport offers
/// only HTTP/1.1.
pub(crate) fn tls_config() -> &'static rustls::ClientConfig {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_platform_verifier())
            .expect("the TLS backend (aws-lc-rs, platform roots) could not be initialised")
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    })
}

/// Runs one scenario: `steps` until the first failure, within the scenario timeout,
/// then every `finally` step. Never panics and never waits past its timeouts.
pub async fn run_scenario(scenario: &Scenario, ctx: &RunContext) -> ScenarioResult {
    let started = Instant::now();
    let runner = Runner {
        scenario,
        ctx,
        name: scenario.name(),
        vars: ScenarioVars::default(),
        sent: SentBodies::default(),
        transcript: Mutex::new(Vec::new()),
        transport: Transport::default(),
    };
    let scope = Scope::new(&runner.vars, &ctx.variables);
    let total = scenario.timeout.unwrap_or(ctx.scenario_timeout);
    let limit = Limit {
        deadline: started + total,
        total,
    };
    let steps = async {
        runner.declare_vars(scope)?;
        let root = Position::root("step");
        let role = Role::Checks(&scenario.requirements);
        runner
            .run_steps(&scenario.steps, &root, scope, role, Some(limit))
            .await
    };
    let outcome = match steps.await {
        Ok(()) => Outcome::Passed,
        Err(Stop::Failed(failure)) => Outcome::Failed(*failure),
        Err(Stop::Inconclusive(failure) | Stop::Unset(failure)) => Outcome::Inconclusive(*failure),
        Err(Stop::Errored(failure)) => Outcome::Errored(*failure),
    };
    let mut cleanup_problems = Vec::new();
    let finally = Position::root("finally");
    let cleanup = Role::Setup { rests_on: &[] };
    for (index, step) in scenario.finally.iter().enumerate() {
        match runner
            .run_step(step, finally.child(index), scope, cleanup, None)
            .await
        {
            // Cleanup of something that was never created: nothing to clean.
            Ok(()) | Err(Stop::Unset(_)) => {}
            Err(Stop::Failed(failure) | Stop::Inconclusive(failure) | Stop::Errored(failure)) => {
                cleanup_problems.push(*failure)
            }
        }
    }
    ScenarioResult {
        outcome,
        transcript: runner
            .transcript
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
        cleanup_problems,
        duration: started.elapsed(),
    }
}

/// What the expectations of the step being run stand for, resolved from the
/// step's `checks:`, its enclosing `use:` or `repeat`, and the scenario.
#[derive(Clone, Copy, Debug)]
enum Role<'a> {
    /// A mismatch fails these requirements.
    Checks(&'a [String]),
    /// A mismatch makes the scenario inconclusive, blocked by `rests_on`.
    Setup { rests_on: &'a [String] },
}

impl<'a> Role<'a> {
    /// The role a step's own `checks:` gives it, or the inherited one.
    fn narrowed(self, checks: Option<&'a Checks>) -> Role<'a> {
        match checks {
            None => self,
            Some(Checks::Requirements(ids)) => Role::Checks(ids),
            Some(Checks::Nothing) => Role::Setup { rests_on: &[] },
        }
    }

    /// A mismatch found under this role: a failure of what it checks, or an
    /// inconclusive outcome blocked by what it rests on.
    fn stop(self, mut failure: Box<Failure>) -> Stop {
        match self {
            Role::Checks(ids) => {
                failure.requirements = ids.to_vec();
                Stop::Failed(failure)
            }
            Role::Setup { rests_on } => {
                failure.requirements = rests_on.to_vec();
                Stop::Inconclusive(failure)
            }
        }
    }
}

/// Why the steps stopped.
#[derive(Debug)]
enum Stop {
    /// An expectation that checks a requirement failed: the target is at fault.
    Failed(Box<Failure>),
    /// A set-up step or a precondition failed, or a value the scenario needed could
    /// not be read or computed: nothing it checks was decided.
    Inconclusive(Box<Failure>),
    /// The exchange failed: refused, reset, garbage, timeout.
    Errored(Box<Failure>),
    /// A variable had no value before anything was sent. A failure in `steps`; in
    /// `finally` it means the thing to clean up never came to be.
    Unset(Box<Failure>),
}

impl Stop {
    /// A value that could not be computed before sending: nothing was asked of the
    /// target, so nothing it does can have failed.
    fn before_sending(error: EvalError, step: &str, span: &SourceSpan) -> Stop {
        let unset = matches!(error, EvalError::Unset(_));
        let failure = failure(step, span, FailureKind::Evaluation(error.to_string()), None);
        if unset {
            Stop::Unset(failure)
        } else {
            Stop::Inconclusive(failure)
        }
    }

    /// After a response: a mismatch counts as `role` says; a value that could not be
    /// computed from the response (an offset that is not a number) decides nothing.
    fn after_response(error: CheckError, step: &str, exchange: Exchange, role: Role<'_>) -> Stop {
        match error {
            CheckError::Mismatch {
                what,
                expected,
                actual,
                span,
            } => {
                let kind = FailureKind::Expectation {
                    what,
                    expected,
                    actual,
                };
                role.stop(failure(step, &span, kind, Some(exchange)))
            }
            CheckError::Eval(error, span) => Stop::Inconclusive(failure(
                step,
                &span,
                FailureKind::Evaluation(error.to_string()),
                Some(exchange),
            )),
        }
    }
}

fn failure(
    step: &str,
    span: &SourceSpan,
    kind: FailureKind,
    exchange: Option<Exchange>,
) -> Box<Failure> {
    Box::new(Failure {
        step: step.to_owned(),
        span: span.clone(),
        kind,
        exchange,
        requirements: Vec::new(),
    })
}

/// The scenario-wide deadline that bounds `steps`.
#[derive(Clone, Copy, Debug)]
struct Limit {
    deadline: Instant,
    total: Duration,
}

/// Where a step sits in the tree, for report names and random seeds: `step 2.1`,
/// `finally 1`, with `[iteration 4]` (1-based, nested loops as `4.2`) inside repeats.
#[derive(Clone, Debug)]
struct Position {
    kind: &'static str,
    path: Vec<usize>,
    iterations: Vec<u64>,
}

impl Position {
    fn root(kind: &'static str) -> Self {
        Position {
            kind,
            path: Vec::new(),
            iterations: Vec::new(),
        }
    }

    /// The child at a 0-based index, numbered from 1 as people count.
    fn child(&self, index: usize) -> Self {
        let mut child = self.clone();
        child.path.push(index + 1);
        child
    }

    fn iteration(&self, number: u64) -> Self {
        let mut inner = self.clone();
        inner.iterations.push(number);
        inner
    }

    fn iteration_suffix(&self) -> String {
        if self.iterations.is_empty() {
            return String::new();
        }
        let numbers: Vec<String> = self.iterations.iter().map(u64::to_string).collect();
        format!(" [iteration {}]", numbers.join("."))
    }

    /// The name without any `name:`: what seeds derive from, so renaming keeps bytes.
    fn label(&self) -> String {
        let path: Vec<String> = self.path.iter().map(usize::to_string).collect();
        format!(
            "{} {}{}",
            self.kind,
            path.join("."),
            self.iteration_suffix()
        )
    }

    fn name(&self, given: Option<&str>) -> String {
        match given {
            Some(name) => format!("{name}{}", self.iteration_suffix()),
            None => self.label(),
        }
    }
}

struct Runner<'a> {
    scenario: &'a Scenario,
    ctx: &'a RunContext,
    /// `module::id`, part of every derived random seed.
    name: String,
    vars: ScenarioVars,
    sent: SentBodies,
    transcript: Mutex<Vec<Exchange>>,
    /// The scenario's own connections: whatever one scenario leaves on a connection
    /// (a body the server stopped reading) cannot stall another's request.
    transport: Transport,
}

impl<'a> Runner<'a> {
    /// Renders the scenario's declared defaults once, in name order. A `--var` of the
    /// same name wins over the default, so users can resize a scenario without editing it.
    fn declare_vars(&self, scope: Scope<'_>) -> Result<(), Stop> {
        for (name, default) in &self.scenario.vars {
            if self.ctx.variables.contains_key(name) {
                continue;
            }
            if let Some(default) = default {
                let value = scope.render(default).map_err(|error| {
                    Stop::before_sending(error, &format!("vars.{name}"), &self.scenario.span)
                })?;
                scope.set(name, value);
            }
        }
        Ok(())
    }

    fn run_steps<'s>(
        &'s self,
        steps: &'s [Step],
        parent: &Position,
        scope: Scope<'s>,
        role: Role<'s>,
        limit: Option<Limit>,
    ) -> BoxFuture<'s, Result<(), Stop>> {
        let parent = parent.clone();
        async move {
            for (index, step) in steps.iter().enumerate() {
                self.run_step(step, parent.child(index), scope, role, limit)
                    .await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn run_step<'s>(
        &'s self,
        step: &'s Step,
        position: Position,
        scope: Scope<'s>,
        role: Role<'s>,
        limit: Option<Limit>,
    ) -> BoxFuture<'s, Result<(), Stop>> {
        async move {
            if let Some(limit) = limit
                && Instant::now() >= limit.deadline
            {
                return Err(self.scenario_timeout(limit, &position.label(), None));
            }
            match step {
                Step::Request(request) => {
                    let role = role.narrowed(request.checks.as_ref());
                    self.request(request, &position, scope, role, limit).await
                }
                Step::Use(use_step) => {
                    self.use_definition(use_step, &position, scope, role, limit)
                        .await
                }
                Step::Parallel(branches) => {
                    let runs = branches.iter().enumerate().map(|(index, branch)| {
                        self.run_step(branch, position.child(index), scope, role, limit)
                    });
                    // Every branch finishes; the first failure in written order is reported.
                    join_all(runs).await.into_iter().collect()
                }
                Step::Repeat(repeat) => {
                    let role = role.narrowed(repeat.checks.as_ref());
                    self.repeat(repeat, &position, scope, role, limit).await
                }
                Step::Delay { duration, span } => {
                    let duration = scope
                        .render(duration)
                        .and_then(|text| {
                            units::parse_duration(&text)
                                .map_err(|message| EvalError::Invalid(format!("delay: {message}")))
                        })
                        .map_err(|error| Stop::before_sending(error, &position.label(), span))?;
                    let until = Instant::now() + duration;
                    match limit {
                        Some(limit) if limit.deadline < until => {
                            tokio::time::sleep_until(limit.deadline).await;
                            Err(self.scenario_timeout(limit, &position.label(), None))
                        }
                        _ => {
                            tokio::time::sleep_until(until).await;
                            Ok(())
                        }
                    }
                }
            }
        }
        .boxed()
    }

    fn scenario_timeout(&self, limit: Limit, step: &str, exchange: Option<Exchange>) -> Stop {
        Stop::Errored(failure(
            step,
            &self.scenario.span,
            FailureKind::Timeout(limit.total),
            exchange,
        ))
    }

    async fn use_definition<'s>(
        &'s self,
        use_step: &'s UseStep,
        position: &Position,
        scope: Scope<'s>,
        role: Role<'s>,
        limit: Option<Limit>,
    ) -> Result<(), Stop> {
        let definition = &use_step.definition;
        let role = match (&use_step.checks, definition.role) {
            (Some(checks), _) => role.narrowed(Some(checks)),
            (None, SequenceRole::Check) => role,
            (None, SequenceRole::Setup) => Role::Setup {
                rests_on: &definition.rests_on,
            },
        };
        let mut params = BTreeMap::new();
        for (name, default) in &definition.params {
            // `with` and defaults are both evaluated where the `use` is written.
            let template = use_step.with.get(name).or(default.as_ref()).ok_or_else(|| {
                EvalError::Invalid(format!(
                    "`{}` needs the parameter `{name}`",
                    definition.name
                ))
            });
            let value = template.and_then(|template| scope.render(template));
            let value = value
                .map_err(|error| Stop::before_sending(error, &position.label(), &use_step.span))?;
            params.insert(name.clone(), value);
        }
        self.run_steps(
            &definition.steps,
            position,
            scope.with_params(&params),
            role,
            limit,
        )
        .await
    }

    async fn repeat<'s>(
        &'s self,
        repeat: &'s RepeatStep,
        position: &Position,
        scope: Scope<'s>,
        role: Role<'s>,
        limit: Option<Limit>,
    ) -> Result<(), Stop> {
        let stop = |error| Stop::before_sending(error, &position.label(), &repeat.span);
        let times = scope
            .render_u64(&repeat.times, "repeat count")
            .map_err(stop)?;
        for round in 0..times {
            if round > 0
                && let Some(condition) = &repeat.while_
                && !condition_holds(condition, scope).map_err(stop)?
            {
                break;
            }
            if let Some(var) = &repeat.index_var {
                let index = repeat.from.checked_add(round).ok_or_else(|| {
                    stop(EvalError::Invalid(format!(
                        "loop variable `{var}` overflows"
                    )))
                })?;
                scope.set(var, index.to_string());
            }
            self.run_steps(
                &repeat.steps,
                &position.iteration(round + 1),
                scope,
                role,
                limit,
            )
            .await?;
        }
        Ok(())
    }

    async fn request(
        &self,
        step: &RequestStep,
        position: &Position,
        scope: Scope<'_>,
        role: Role<'_>,
        limit: Option<Limit>,
    ) -> Result<(), Stop> {
        let name = position.name(step.name.as_deref());
        let seed_position = position.label();
        let derive_key = |explicit| random_key(explicit, self.ctx.seed, &self.name, &seed_position);
        let resolve = |source: &BodySource| body::resolve(source, scope, &self.sent, derive_key);
        let before = |error| Stop::before_sending(error, &name, &step.span);

        let payload = step
            .body
            .as_ref()
            .map(resolve)
            .transpose()
            .map_err(before)?;
        let mut prepared =
            request::prepare(step, &self.ctx.headers, scope, payload).map_err(before)?;
        self.ctx
            .sessions
            .prepare(&mut prepared, &step.options, SystemTime::now())
            .map_err(before)?;
        let plan = expect::body_plan(&step.expect, scope, resolve).map_err(before)?;

        let step_timeout = prepared.timeout.unwrap_or(self.ctx.step_timeout);
        let step_deadline = Instant::now() + step_timeout;
        let scenario_binds = limit.filter(|limit| limit.deadline < step_deadline);
        let deadline = scenario_binds.map_or(step_deadline, |limit| limit.deadline);

        let attempt = request::perform(
            &self.transport,
            &prepared,
            plan,
            deadline,
            &name,
            &self.ctx.secrets,
        )
        .await;
        // After an error answer to a request with a body, the server may not have
        // read all of it (rustus's early 413): the next request goes on a new
        // connection, see `Transport::forget`.
        if attempt.sent > 0
            && attempt
                .received
                .as_ref()
                .is_some_and(|received| received.status >= 400)
        {
            self.transport.forget();
        }
        if let Some(step_name) = &step.name {
            let sent = prepared.payload_sent(attempt.sent);
            self.sent.record(step_name, sent.unwrap_or_default());
        }
        if let Some(received) = &attempt.received {
            self.ctx.sessions.observe(&prepared, received);
        }
        self.transcript
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(attempt.exchange.clone());

        let exchange = attempt.exchange;
        match attempt.interrupted {
            Some(Interrupted::Timeout | Interrupted::Unended)
                if let Some(limit) = scenario_binds =>
            {
                return Err(self.scenario_timeout(limit, &name, Some(exchange)));
            }
            Some(Interrupted::Timeout) => {
                return Err(Stop::Errored(failure(
                    &name,
                    &step.span,
                    FailureKind::Timeout(step_timeout),
                    Some(exchange),
                )));
            }
            // Ending a request whose body stalled is the server's job: not doing so
            // within the step's time is the target's failure, not the transport's.
            Some(Interrupted::Unended) => {
                let kind = FailureKind::Expectation {
                    what: "stalled body".into(),
                    expected: format!(
                        "the server ends the request (an answer, or closing the connection) \
                         within {}",
                        outcome::humanize(step_timeout)
                    ),
                    actual: format!(
                        "neither: the body stalled after {} bytes, and the connection \
                         stayed open with no answer",
                        attempt.sent
                    ),
                };
                return Err(role.stop(failure(&name, &step.span, kind, Some(exchange))));
            }
            Some(Interrupted::Framing(message)) => {
                return Err(role.stop(failure(
                    &name,
                    &step.span,
                    FailureKind::Framing(message),
                    Some(exchange),
                )));
            }
            Some(Interrupted::Transport(message)) => {
                return Err(Stop::Errored(failure(
                    &name,
                    &step.span,
                    FailureKind::Transport(message),
                    Some(exchange),
                )));
            }
            None => {}
        }
        // A deliberate abort that ended the exchange before any response: nothing to
        // check, but a 104 that came first still names the upload to resume.
        let Some(received) = attempt.received else {
            let setup = Role::Setup { rests_on: &[] };
            return capture::run_interim(
                &step.captures,
                &attempt.unanswered_interim,
                &prepared.url,
                scope,
            )
            .map_err(|error| Stop::after_response(error, &name, exchange, setup));
        };
        // A refused body, not a refused declaration: a POST that only declares a
        // length at the server's maximum and gets 413 is checked as usual.
        let statuses = [&step.assume.status, &step.expect.status];
        let mut stated = statuses
            .iter()
            .filter_map(|status| status.as_ref())
            .peekable();
        if received.status == 413
            && exchange.request.body_len > 0
            && stated.peek().is_some()
            && stated.all(|status| !status.allows(413))
        {
            let kind = FailureKind::TooLarge {
                sent: exchange.request.body_len,
                size_variables: self.ctx.size_variables.clone(),
            };
            return Err(Stop::Inconclusive(failure(
                &name,
                &step.span,
                kind,
                Some(exchange),
            )));
        }
        let setup = Role::Setup { rests_on: &[] };
        expect::check(&step.assume, &received, scope, &step.span)
            .map_err(|error| Stop::after_response(error, &name, exchange.clone(), setup))?;
        expect::check(&step.expect, &received, scope, &step.span)
            .map_err(|error| Stop::after_response(error, &name, exchange.clone(), role))?;
        // A capture feeds later steps; when it finds nothing, the deviation that left
        // nothing to read is reported where it is checked, not here.
        capture::run(&step.captures, &received, &prepared.url, scope)
            .map_err(|error| Stop::after_response(error, &name, exchange, setup))
    }
}

/// A `while` condition; a value that does not match ends the loop, it is not an error.
fn condition_holds(condition: &Condition, scope: Scope<'_>) -> Result<bool, EvalError> {
    let value = scope.get(&condition.var)?;
    match expect::match_value(&condition.matcher, &value, scope) {
        Ok(()) => Ok(true),
        Err(MatchError::Mismatch { .. }) => Ok(false),
        Err(MatchError::Eval(error)) => Err(error),
    }
}
