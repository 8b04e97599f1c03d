//! Variable lookup while a scenario runs.
//!
//! Three layers, innermost first: the parameters of the innermost `use`, the
//! scenario's own variables (its declared defaults, overwritten by captures and
//! loop indices as the run goes), and the run's globals (`target`, `seed`,
//! `run_id`, `--var`). Captures always land in the scenario layer, which is what
//! lets a shared step sequence such as `tus.create` hand `upload_url` back to
//! the scenario that used it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use crate::scenario::template::{RenderError, Template, UnsetVariable};

/// Why a value could not be computed at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EvalError {
    /// A variable with no value: a failure in `steps`, a silent skip in `finally`
    /// (cleanup for something that was never created).
    Unset(UnsetVariable),
    /// Anything else: a size or count that does not parse after substitution,
    /// a URL that is not one, a body too large to inspect.
    Invalid(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Unset(unset) => unset.fmt(f),
            EvalError::Invalid(message) => f.write_str(message),
        }
    }
}

impl From<UnsetVariable> for EvalError {
    fn from(unset: UnsetVariable) -> Self {
        EvalError::Unset(unset)
    }
}

impl From<RenderError> for EvalError {
    fn from(error: RenderError) -> Self {
        match error {
            RenderError::Unset(unset) => EvalError::Unset(unset),
            not_a_number @ RenderError::NotANumber { .. } => {
                EvalError::Invalid(not_a_number.to_string())
            }
        }
    }
}

/// A scenario variable: a value, or a list collected by `append` / `all` captures
/// (read only by `body: {each: …}`, which the loader enforces).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Text(String),
    List(Vec<String>),
}

/// The variables a scenario writes while it runs. Shared by parallel branches,
/// which run on one task, so the lock is never contended across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct ScenarioVars(Mutex<BTreeMap<String, Value>>);

impl ScenarioVars {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
        // A panic elsewhere cannot leave the map half-written: every write is one insert.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A view of the variables from one point in the step tree. Cheap to copy: it only borrows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'r> {
    params: Option<&'r BTreeMap<String, String>>,
    scenario: &'r ScenarioVars,
    globals: &'r BTreeMap<String, String>,
}

impl<'r> Scope<'r> {
    pub(crate) fn new(scenario: &'r ScenarioVars, globals: &'r BTreeMap<String, String>) -> Self {
        Scope {
            params: None,
            scenario,
            globals,
        }
    }

    /// The scope inside a `use`: its parameters hide the caller's parameters entirely,
    /// so a shared sequence reads only what it declares (plus scenario and run variables).
    pub(crate) fn with_params(self, params: &'r BTreeMap<String, String>) -> Self {
        Scope {
            params: Some(params),
            ..self
        }
    }

    pub(crate) fn render(&self, template: &Template) -> Result<String, EvalError> {
        self.render_with(template, &[])
    }

    /// Renders with `extra` variables hiding every other layer (`item` and `index`
    /// inside `body: {each: …}`).
    pub(crate) fn render_with(
        &self,
        template: &Template,
        extra: &[(&str, &str)],
    ) -> Result<String, EvalError> {
        let scenario = self.scenario.lock();
        let list = std::cell::RefCell::new(None);
        let lookup = |name: &str| {
            if let Some((_, value)) = extra.iter().find(|(own, _)| *own == name) {
                return Some(*value);
            }
            if let Some(value) = self.params.and_then(|params| params.get(name)) {
                return Some(value.as_str());
            }
            match scenario.get(name) {
                Some(Value::Text(value)) => Some(value.as_str()),
                Some(Value::List(_)) => {
                    list.borrow_mut().get_or_insert(name.to_owned());
                    // Rendered as nothing, then refused below: a list has no single value.
                    Some("")
                }
                None => self.globals.get(name).map(String::as_str),
            }
        };
        let rendered = template.render(lookup)?;
        match list.into_inner() {
            Some(name) => Err(list_read(&name)),
            None => Ok(rendered),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Result<String, EvalError> {
        let scenario = self.scenario.lock();
        if let Some(value) = self.params.and_then(|params| params.get(name)) {
            return Ok(value.clone());
        }
        match scenario.get(name) {
            Some(Value::Text(value)) => Ok(value.clone()),
            Some(Value::List(_)) => Err(list_read(name)),
            None => self
                .globals
                .get(name)
                .cloned()
                .ok_or_else(|| EvalError::Unset(UnsetVariable(name.to_owned()))),
        }
    }

    /// The elements of a list variable.
    pub(crate) fn list(&self, name: &str) -> Result<Vec<String>, EvalError> {
        match self.scenario.lock().get(name) {
            Some(Value::List(items)) => Ok(items.clone()),
            Some(Value::Text(_)) => Err(EvalError::Invalid(format!(
                "`{name}` holds a single value, not a list"
            ))),
            None if self.globals.contains_key(name) => Err(EvalError::Invalid(format!(
                "`{name}` holds a single value, not a list"
            ))),
            None => Err(EvalError::Unset(UnsetVariable(name.to_owned()))),
        }
    }

    /// Writes to the scenario layer, whatever `use` frame the step runs in.
    pub(crate) fn set(&self, name: &str, value: String) {
        self.scenario
            .lock()
            .insert(name.to_owned(), Value::Text(value));
    }

    /// Makes `name` the list `items`, replacing what it held.
    pub(crate) fn set_list(&self, name: &str, items: Vec<String>) {
        self.scenario
            .lock()
            .insert(name.to_owned(), Value::List(items));
    }

    /// Adds `items` to the list `name`, starting it when it has no value yet.
    pub(crate) fn append(&self, name: &str, items: impl IntoIterator<Item = String>) {
        let mut scenario = self.scenario.lock();
        let entry = scenario
            .entry(name.to_owned())
            .or_insert_with(|| Value::List(Vec::new()));
        match entry {
            Value::List(list) => list.extend(items),
            // The loader keeps lists and values apart; should a value get here anyway,
            // the list starts over rather than mixing the two.
            Value::Text(_) => *entry = Value::List(items.into_iter().collect()),
        }
    }

    /// Renders a template that must give a decimal count (`repeat.times`, say).
    pub(crate) fn render_u64(&self, template: &Template, what: &str) -> Result<u64, EvalError> {
        let text = self.render(template)?;
        text.trim()
            .parse()
            .map_err(|_| EvalError::Invalid(format!("{what} `{text}` is not a whole number")))
    }
}

fn list_read(name: &str) -> EvalError {
    EvalError::Invalid(format!(
        "`{name}` is a list; only `body: {{each: {name}, …}}` reads it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(source: &str) -> Template {
        Template::parse(source).unwrap()
    }

    #[test]
    fn params_hide_scenario_variables_which_hide_globals() {
        let globals =
            BTreeMap::from([("a".into(), "global".into()), ("b".into(), "global".into())]);
        let vars = ScenarioVars::default();
        let scope = Scope::new(&vars, &globals);
        scope.set("a", "scenario".into());
        let params = BTreeMap::from([("a".to_owned(), "param".to_owned())]);
        let inner = scope.with_params(&params);
        assert_eq!(inner.render(&t("{{a}} {{b}}")), Ok("param global".into()));
        assert_eq!(
            scope.render(&t("{{a}} {{b}}")),
            Ok("scenario global".into())
        );
    }

    #[test]
    fn captures_inside_a_use_reach_the_caller() {
        let globals = BTreeMap::new();
        let vars = ScenarioVars::default();
        let scope = Scope::new(&vars, &globals);
        let params = BTreeMap::new();
        scope.with_params(&params).set("upload_url", "u".into());
        assert_eq!(scope.get("upload_url"), Ok("u".into()));
    }

    #[test]
    fn lists_grow_by_appends_and_are_read_only_as_lists() {
        let globals = BTreeMap::from([("g".to_owned(), "v".to_owned())]);
        let vars = ScenarioVars::default();
        let scope = Scope::new(&vars, &globals);
        assert!(matches!(scope.list("parts"), Err(EvalError::Unset(_))));
        scope.append("parts", ["\"a\"".to_owned()]);
        scope.append("parts", ["\"b\"".to_owned(), "\"c\"".to_owned()]);
        assert_eq!(scope.list("parts").unwrap().len(), 3);
        assert!(scope.render(&t("x{{parts}}")).is_err());
        assert!(scope.get("parts").is_err());
        assert!(scope.list("g").is_err());
        assert_eq!(
            scope.render_with(
                &t("{{index}}={{item}} {{g}}"),
                &[("item", "a"), ("index", "1")]
            ),
            Ok("1=a v".into())
        );
        scope.set_list("parts", Vec::new());
        assert_eq!(scope.list("parts"), Ok(Vec::new()));
    }

    #[test]
    fn unset_and_non_numeric_values_are_errors() {
        let globals = BTreeMap::from([("n".to_owned(), "ten".to_owned())]);
        let vars = ScenarioVars::default();
        let scope = Scope::new(&vars, &globals);
        assert_eq!(
            scope.get("missing"),
            Err(EvalError::Unset(UnsetVariable("missing".into())))
        );
        assert!(matches!(
            scope.render_u64(&t("{{n}}"), "repeat count"),
            Err(EvalError::Invalid(message)) if message.contains("`ten`")
        ));
    }
}
