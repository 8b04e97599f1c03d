//! Small constructors for scenario models, so engine tests read like the YAML they
//! stand for without depending on the loader.
//!
//! Spans tell the tests which expectation failed: a request step sits on line 1,
//! its status expectation on line 2, header expectations on line 10 + their index,
//! the body expectation on line 3 and captures on line 20 + their index.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use upspec::engine::RunContext;
use upspec::scenario::model::{
    BodyCut, BodyExpect, BodySource, Capture, CaptureSource, Comparison, Condition, CutEnd, Expect,
    HeaderExpect, HeaderMatcher, InterimExpect, Level, RepeatStep, RequestStep, Scenario,
    SequenceRole, SourceSpan, StatusExpect, StatusPattern, Step, StepDefinition, UseStep,
    ValueMatcher,
};
use upspec::scenario::template::Template;

pub fn span(line: u32) -> SourceSpan {
    SourceSpan {
        file: "engine-test.yaml".into(),
        line,
        column: 1,
    }
}

pub fn t(source: &str) -> Template {
    Template::parse(source).expect("test templates parse")
}

pub fn scenario(steps: Vec<Step>) -> Scenario {
    Scenario {
        id: "s".into(),
        module: vec!["engine".into(), "test".into()],
        title: "engine test".into(),
        requirements: Vec::new(),
        level: Level::Must,
        requirement_levels: BTreeMap::new(),
        requires: Vec::new(),
        span: span(100),
        timeout: None,
        waits: None,
        group: None,
        versions: None,
        vars: BTreeMap::new(),
        needs_vars: Vec::new(),
        steps,
        finally: Vec::new(),
    }
}

/// A run context against `target` with short timeouts, so a hang fails fast.
pub fn context(target: &str) -> RunContext {
    let mut context = RunContext::bare(
        BTreeMap::from([("target".to_owned(), target.to_owned())]),
        1,
        Duration::from_secs(5),
        Duration::from_secs(10),
    );
    context.size_variables = vec!["tus_max_size", "tus_chunk_size"];
    context
}

/// A request step under construction.
pub struct Req(RequestStep);

pub fn req(method: &str, url: &str) -> Req {
    Req(RequestStep {
        name: None,
        method: t(method),
        url: t(url),
        headers: Vec::new(),
        body: None,
        trailers: Vec::new(),
        cut: None,
        timeout: None,
        continue_timeout: None,
        options: Vec::new(),
        checks: None,
        assume: Expect::default(),
        content_md5: false,
        expect: Expect::default(),
        captures: Vec::new(),
        span: span(1),
    })
}

impl Req {
    pub fn name(mut self, name: &str) -> Self {
        self.0.name = Some(name.into());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0.headers.push((name.into(), t(value)));
        self
    }

    pub fn body(mut self, source: BodySource) -> Self {
        self.0.body = Some(source);
        self
    }

    pub fn text(self, text: &str) -> Self {
        self.body(BodySource::Text(t(text)))
    }

    pub fn abort_after(mut self, bytes: &str) -> Self {
        self.0.cut = Some(BodyCut {
            after: t(bytes),
            then: CutEnd::Abort,
        });
        self
    }

    pub fn stall_after(mut self, bytes: &str) -> Self {
        self.0.cut = Some(BodyCut {
            after: t(bytes),
            then: CutEnd::Stall,
        });
        self
    }

    pub fn timeout(self, timeout: Duration) -> Self {
        self.timeout_template(&format!("{}ms", timeout.as_millis()))
    }

    /// A `timeout:` as written in a scenario, e.g. `{{idle + 1}}s`.
    pub fn timeout_template(mut self, timeout: &str) -> Self {
        self.0.timeout = Some(t(timeout));
        self
    }

    pub fn status(mut self, allowed: &[StatusPattern]) -> Self {
        self.0.expect.status = Some(StatusExpect {
            allowed: allowed.to_vec(),
            span: span(2),
        });
        self
    }

    pub fn expect_header(mut self, name: &str, matcher: HeaderMatcher) -> Self {
        let line = 10 + self.0.expect.headers.len() as u32;
        self.0.expect.headers.push(HeaderExpect {
            name: name.into(),
            matcher,
            span: span(line),
        });
        self
    }

    pub fn expect_value(self, name: &str, matcher: ValueMatcher) -> Self {
        self.expect_header(name, HeaderMatcher::Value(vec![matcher]))
    }

    /// An `interim:` entry, on line 30 + its index.
    pub fn expect_interim(
        mut self,
        status: u16,
        count: &[(Comparison, u64)],
        headers: &[(&str, HeaderMatcher)],
        before: Option<u16>,
    ) -> Self {
        let line = 30 + self.0.expect.interim.len() as u32;
        self.0.expect.interim.push(InterimExpect {
            status,
            count: count.to_vec(),
            headers: headers
                .iter()
                .enumerate()
                .map(|(i, (name, matcher))| HeaderExpect {
                    name: (*name).into(),
                    matcher: matcher.clone(),
                    span: span(40 + i as u32),
                })
                .collect(),
            before,
            same_as_final: Vec::new(),
            span: span(line),
        });
        self
    }

    /// `continue_answered: true`, on line 4.
    pub fn continue_answered(mut self) -> Self {
        self.0.expect.continue_answered = Some(span(4));
        self
    }

    pub fn continue_timeout(mut self, wait: &str) -> Self {
        self.0.continue_timeout = Some(t(wait));
        self
    }

    pub fn expect_body(mut self, body: BodyExpect) -> Self {
        self.0.expect.body = Some(BodyExpect {
            span: Some(span(3)),
            ..body
        });
        self
    }

    pub fn capture(mut self, var: &str, source: CaptureSource, regex: Option<&str>) -> Self {
        let line = 20 + self.0.captures.len() as u32;
        self.0.captures.push(Capture {
            var: var.into(),
            source,
            regex: regex.map(|re| regex::Regex::new(re).expect("test regexes compile")),
            append: false,
            all: false,
            default: None,
            span: span(line),
        });
        self
    }

    pub fn step(self) -> Step {
        Step::Request(Box::new(self.0))
    }
}

pub fn code(code: u16) -> StatusPattern {
    StatusPattern::Code(code)
}

pub fn equals(value: &str) -> ValueMatcher {
    ValueMatcher::Equals(t(value))
}

pub fn compare(comparison: Comparison, value: &str) -> ValueMatcher {
    ValueMatcher::Compare(comparison, t(value))
}

pub fn header(name: &str) -> CaptureSource {
    CaptureSource::Header {
        name: name.into(),
        resolve_url: false,
    }
}

pub fn repeat(
    times: &str,
    index_var: Option<&str>,
    from: u64,
    while_: Option<Condition>,
    steps: Vec<Step>,
) -> Step {
    Step::Repeat(Box::new(RepeatStep {
        times: t(times),
        index_var: index_var.map(Into::into),
        from,
        while_,
        checks: None,
        steps,
        span: span(30),
    }))
}

/// A sequence whose steps check what their caller checks (`role: check`), so a
/// mismatch inside it fails the scenario.
pub fn definition(
    name: &str,
    params: &[(&str, Option<&str>)],
    steps: Vec<Step>,
) -> Arc<StepDefinition> {
    Arc::new(StepDefinition {
        name: name.into(),
        params: params
            .iter()
            .map(|(param, default)| ((*param).to_owned(), default.map(t)))
            .collect(),
        steps,
        role: SequenceRole::Check,
        rests_on: Vec::new(),
        span: span(40),
    })
}

pub fn use_step(definition: &Arc<StepDefinition>, with: &[(&str, &str)]) -> Step {
    Step::Use(UseStep {
        definition: definition.clone(),
        with: with
            .iter()
            .map(|(param, value)| ((*param).to_owned(), t(value)))
            .collect(),
        checks: None,
        span: span(41),
    })
}

pub fn delay(duration: Duration) -> Step {
    Step::Delay {
        duration: t(&format!("{}ms", duration.as_millis())),
        span: span(50),
    }
}
