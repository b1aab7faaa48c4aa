//! The normalize stage's pipeline entry: one scenario run in, its normalized requests and
//! responses out, with one [`Normalizer`] for the whole run so ids keep their identity
//! across steps.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::run::{ScenarioRun, SentRequest, StepRun};
use crate::secret::Redactor;

use super::{Normalizer, Rules};

#[derive(Clone, Debug)]
pub struct NormalizedStep {
    /// Index into `ScenarioRun::steps`.
    pub position: usize,
    /// The request as sent, normalized: `{method, path, query, form, headers}`.
    pub request: Value,
    /// `None` when no response arrived (skipped step, transport error).
    pub status: Option<u16>,
    pub body: Value,
}

#[derive(Clone, Debug)]
pub struct NormalizedScenario {
    pub steps: Vec<NormalizedStep>,
}

/// Normalizes every step of a run. Secrets are scrubbed first, so a key a target echoes back
/// can never survive into a snapshot or report.
pub fn normalize_run(run: &ScenarioRun, rules: Arc<Rules>, redactor: &Redactor) -> NormalizedScenario {
    let mut n = Normalizer::new(rules);
    for (literal, placeholder) in &run.masks {
        n.mask(literal, placeholder);
    }
    let steps = run
        .steps
        .iter()
        .enumerate()
        .map(|(position, step)| normalize_step(&mut n, position, step, redactor))
        .collect();
    NormalizedScenario { steps }
}

fn normalize_step(n: &mut Normalizer, position: usize, step: &StepRun, redactor: &Redactor) -> NormalizedStep {
    // Request first: ids it carries were captured from earlier responses and already numbered.
    let request = n.value(&redactor.value(&request_json(&step.request)));
    let (status, body) = match step.response() {
        Some(r) => (Some(r.status), n.value(&redactor.value(&r.body_json()))),
        None => (None, Value::Null),
    };
    NormalizedStep {
        position,
        request,
        status,
        body,
    }
}

/// The request as a JSON document: parameters as `name=value` strings in the order sent,
/// which keeps repeated keys (`expand[]`) and stays readable in a snapshot.
pub fn request_json(req: &SentRequest) -> Value {
    let pairs = |p: &[(String, String)]| -> Value {
        Value::Array(p.iter().map(|(k, v)| Value::String(format!("{k}={v}"))).collect())
    };
    let mut headers = Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
    }
    let mut out = json!({
        "method": req.method,
        "path": req.path,
    });
    if !req.query.is_empty() {
        out["query"] = pairs(&req.query);
    }
    if !req.form.is_empty() {
        out["form"] = pairs(&req.form);
    }
    out["headers"] = Value::Object(headers);
    out["auth"] = Value::String(req.auth.clone());
    out
}
