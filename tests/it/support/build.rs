//! Scenarios and run options built in Rust (no YAML, no loader), for tests that drive
//! `run::run` directly against a local server.

use std::sync::Arc;
use std::time::Duration;

use apiparity::input::yaml::Span;
use apiparity::run::{RateLimit, RetryPolicy, RunOptions, Target, TargetKind};
use apiparity::scenario::{
    Auth, Capture, CaptureSource, Expect, Param, RequestSpec, Scenario, Step,
};
use apiparity::secret::Secret;

use super::TEST_KEY;

pub fn span() -> Span {
    Span { line: 1, col: 1 }
}

/// A step with no expectations (so only transport outcomes decide), snapshot on.
pub fn step(id: &str, method: &str, path: &str) -> Step {
    Step {
        id: id.into(),
        span: span(),
        request: RequestSpec {
            method: method.into(),
            path: path.into(),
            query: vec![],
            form: vec![],
            headers: vec![],
            auth: Auth::Default,
        },
        expect: Expect {
            status: None,
            status_span: None,
            body: vec![],
            headers: vec![],
            snapshot: true,
            ignore: vec![],
        },
        capture: vec![],
        retry: None,
        seed: Vec::new(),
        as_of: None,
        account: Default::default(),
    }
}

pub fn with_form(mut s: Step, form: &[(&str, &str)]) -> Step {
    s.request.form = form
        .iter()
        .map(|(k, v)| (k.to_string(), Param::Scalar(v.to_string())))
        .collect();
    s
}

pub fn capturing(mut s: Step, var: &str, pointer: &str) -> Step {
    s.capture.push(Capture {
        var: var.into(),
        source: CaptureSource::Body(pointer.into()),
        span: span(),
    });
    s
}

pub fn scenario(key: &str, steps: Vec<Step>) -> Arc<Scenario> {
    Arc::new(Scenario {
        file: format!("{key}.yaml").into(),
        key: key.into(),
        name: key.into(),
        description: String::new(),
        tags: vec![],
        stripe_version: None,
        reference: None,
        vars: vec![],
        normalize: None,
        as_of: None,
        account: Default::default(),
        continue_on_failure: false,
        source: "".into(),
        steps,
        teardown: vec![],
    })
}

/// Options for a loopback target: short timeout, fast backoff, `retries` transport retries.
pub fn options(base_url: &str, timeout: Duration, retries: u32) -> RunOptions {
    RunOptions {
        target: Target {
            base_url: base_url.into(),
            api_key: Some(Secret::new(TEST_KEY)),
            kind: TargetKind::Custom,
            probed_at: None,
        },
        jobs: 1,
        timeout,
        stripe_version: apiparity::version::DEFAULT_STRIPE_VERSION.into(),
        run_id: "aptest".into(),
        retry: RetryPolicy {
            max_retries: retries,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
        rate_limit: None,
        adaptive: false,
        polling: Default::default(),
        redactor: Default::default(),
        max_body: apiparity::run::DEFAULT_MAX_BODY,
        progress: None,
    }
}

pub fn rate(per_second: f64) -> Option<RateLimit> {
    Some(RateLimit {
        per_second,
        search_per_second: per_second,
    })
}
