//! One step: render templates, send, check `expect`, capture variables, poll with `retry`.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::Value;

use crate::scenario::{self, Auth, CaptureSource, Step, TemplateError};

use super::expect::{self, ExpectFailure, Expectation};
use super::http::{Client, Notify, Prepared};
use super::progress::{self, Event, Wait};
use super::{Outcome, RunOptions, SentRequest, StepRun};

pub(super) struct Context<'a> {
    pub client: &'a Client,
    pub opts: &'a RunOptions,
    pub version: String,
    pub vars: HashMap<String, String>,
    pub scenario_key: String,
    /// The scenario's position in the run (names it in progress events).
    pub position: usize,
    /// The scenario's `as_of` day (a step's own wins).
    pub as_of: Option<String>,
    /// The scenario's account settings (sent as mock-only headers, each step's over them).
    pub account: crate::scenario::Account,
}

impl Context<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(env) = name.strip_prefix(scenario::ENV_VAR_PREFIX) {
            let value = std::env::var(env).ok()?;
            // Whatever comes from the environment is treated as a secret from here on.
            self.opts.redactor.add(&value);
            return Some(value);
        }
        self.vars.get(name).cloned()
    }
    fn render(&self, s: &str) -> Result<String, TemplateError> {
        scenario::render_template(s, &|n| self.lookup(n))
    }
}

pub(super) fn skipped(step: &Step, index: usize, teardown: bool, why: &str) -> StepRun {
    StepRun {
        id: step.id.clone(),
        index,
        teardown,
        compare: step.expect.snapshot,
        request: SentRequest {
            method: step.request.method.clone(),
            path: step.request.path.clone(),
            query: vec![],
            form: vec![],
            headers: vec![],
            auth: String::new(),
        },
        outcome: Outcome::Skipped(why.to_string()),
        attempts: 0,
        duration: std::time::Duration::ZERO,
        failures: vec![],
    }
}

pub(super) async fn execute(
    ctx: &mut Context<'_>,
    step: &Step,
    index: usize,
    teardown: bool,
) -> StepRun {
    let started = Instant::now();
    let (prepared, sent) = match prepare(ctx, step) {
        Ok(p) => p,
        // A teardown step whose variable was never captured (its creating step failed) has
        // nothing to clean up: skip it rather than fail.
        Err(TemplateError::Undefined(var)) if teardown => {
            return skipped(
                step,
                index,
                teardown,
                &format!("`{{{{{var}}}}}` was never captured"),
            );
        }
        Err(e) => {
            let mut r = skipped(step, index, teardown, "could not render the request");
            r.failures.push(
                ExpectFailure::new(Expectation::Template, None, e.to_string()).at_span(step.span),
            );
            return r;
        }
    };

    // The CLI refuses a live STRIPE_API_KEY up front; this catches every other way a live key
    // could get here (a scenario's `auth` rendered from `{{env.X}}`, a library caller's target).
    if let Some(masked) = live_key_in(&prepared.headers).or_else(|| live_key_anywhere(&sent)) {
        let mut r = skipped(step, index, teardown, "refused to send a live-mode key");
        r.failures.push(
            ExpectFailure::new(
                Expectation::Auth,
                None,
                format!(
                    "the request would carry a live-mode key ({masked}); apiparity sends only test-mode keys"
                ),
            )
            .at_span(step.span),
        );
        return r;
    }

    let render = |s: &str| ctx.render(s).map_err(|e| e.to_string());
    let budget = step.retry.as_ref().map(|r| ctx.opts.polling.budget(r));
    let mut attempts = 0;
    let (outcome, failures) = loop {
        let notify = Notify {
            progress: ctx.opts.progress.as_ref(),
            scenario: ctx.position,
            step: &step.id,
            sent_before: attempts,
        };
        let (result, n) = ctx.client.send(&prepared, &notify).await;
        attempts += n;
        match result {
            Err(e) => break (Outcome::TransportError(e), vec![]),
            Ok(resp) => {
                let failures = expect::check(&step.expect, &resp, &render);
                // `retry` polls an eventually consistent read until its expectations hold —
                // while the target answers as expected; waiting cannot turn a refusal (an
                // unknown route, a 500) into the answer.
                let answering = match step.expect.status {
                    Some(s) => s == resp.status,
                    None => (200..300).contains(&resp.status),
                };
                if let Some((interval, timeout)) = budget {
                    if !failures.is_empty() && answering && started.elapsed() + interval <= timeout
                    {
                        progress::emit(ctx.opts.progress.as_ref(), || Event::Waiting {
                            scenario: ctx.position,
                            step: step.id.clone(),
                            reason: Wait::Polling,
                            wait: interval,
                        });
                        tokio::time::sleep(interval).await;
                        continue;
                    }
                }
                break (Outcome::Response(resp), failures);
            }
        }
    };

    let mut failures = failures;
    if let Outcome::Response(resp) = &outcome {
        unexpected_answers(step, resp, &mut failures);
    }
    let mut run = StepRun {
        id: step.id.clone(),
        index,
        teardown,
        compare: step.expect.snapshot,
        request: sent,
        outcome,
        attempts,
        duration: started.elapsed(),
        failures,
    };
    if let (Some((_, timeout)), false) = (budget, run.failures.is_empty()) {
        run.failures.push(
            ExpectFailure::new(
                Expectation::Retry,
                None,
                format!(
                    "expectations still failed after polling for {:?} ({} attempts)",
                    timeout, run.attempts
                ),
            )
            .at_span(step.span),
        );
    }
    if let Outcome::Response(resp) = &run.outcome {
        let body = resp.body_value();
        for c in &step.capture {
            let value = match &c.source {
                CaptureSource::Body(p) => body.pointer(p).and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                }),
                CaptureSource::Header(h) => resp.header(h).map(str::to_string),
            };
            match value {
                Some(v) => {
                    ctx.vars.insert(c.var.clone(), v);
                }
                None => run.failures.push(
                    ExpectFailure::new(
                        Expectation::Capture,
                        Some(match &c.source {
                            CaptureSource::Body(p) => p.clone(),
                            CaptureSource::Header(h) => format!("header:{h}"),
                        }),
                        format!("could not capture `{}`: not present in the response", c.var),
                    )
                    .at_span(c.span),
                ),
            }
        }
    }
    run
}

/// Renders the step into a request, and the record of what was sent (no secrets).
fn prepare(ctx: &Context<'_>, step: &Step) -> Result<(Prepared, SentRequest), TemplateError> {
    let req = &step.request;
    let render = |s: &str| ctx.render(s);
    let path = ctx.render(&req.path)?;
    let query = super::encode_params(&req.query, &render)?;
    let form = super::encode_params(&req.form, &render)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in &req.headers {
        headers.push((k.clone(), ctx.render(v)?));
    }
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has(&headers, "stripe-version") {
        headers.insert(0, ("Stripe-Version".into(), ctx.version.clone()));
    }
    // Every POST carries an Idempotency-Key that is stable for this step of this run, so a
    // transport retry can never create a second object.
    if req.method == "POST" && !has(&headers, "idempotency-key") {
        headers.push((
            "Idempotency-Key".into(),
            format!(
                "apiparity-{}-{}-{}",
                ctx.opts.run_id,
                ctx.scenario_key.replace('/', "-"),
                step.id
            ),
        ));
    }
    let mut send_headers = headers.clone();
    // The day the flow describes, for apiparity's mock only (embedded, or a process that said
    // so): a mock-only header has no business on the wire to anyone else, and it stays out of
    // the snapshot's request.
    if ctx.opts.target.kind.is_apiparity_mock() {
        if let Some(day) = step.as_of.as_ref().or(ctx.as_of.as_ref()) {
            send_headers.push(("Apiparity-As-Of".into(), day.clone()));
        }
        send_headers.extend(step.account.over(&ctx.account).mock_headers());
    }
    let auth = match &req.auth {
        Auth::Default => match &ctx.opts.target.api_key {
            Some(key) => {
                send_headers.push(("Authorization".into(), format!("Bearer {}", key.expose())));
                "bearer"
            }
            None => "none",
        },
        Auth::None => "none",
        Auth::Bearer(k) => {
            send_headers.push(("Authorization".into(), format!("Bearer {}", ctx.render(k)?)));
            "bearer (scenario key)"
        }
        Auth::Basic(k) => {
            use base64::Engine;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:", ctx.render(k)?));
            send_headers.push(("Authorization".into(), format!("Basic {token}")));
            "basic (scenario key)"
        }
    };
    let mut path_and_query = path.clone();
    if !query.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(&encode_pairs(&query));
    }
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| TemplateError::Malformed(req.method.clone(), "not an HTTP method".into()))?;
    let body = (req.method == "POST").then(|| encode_pairs(&form));
    Ok((
        Prepared {
            method,
            path_and_query,
            headers: send_headers,
            form: body,
        },
        SentRequest {
            method: req.method.clone(),
            path,
            query,
            form,
            headers,
            auth: auth.to_string(),
        },
    ))
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish()
}

/// What a response can be wrong in before any expectation: a redirect (reported, never
/// followed) and keys it holds twice (a parser keeps one of them; which one differs).
fn unexpected_answers(step: &Step, resp: &super::Response, failures: &mut Vec<ExpectFailure>) {
    if (300..400).contains(&resp.status) && step.expect.status != Some(resp.status) {
        let to = resp.header("location").unwrap_or("nowhere given");
        failures.push(
            ExpectFailure::new(
                Expectation::Status,
                None,
                format!(
                    "the target redirected (HTTP {}, Location: {to}); Stripe never redirects an API call, so apiparity reports it and does not follow",
                    resp.status
                ),
            )
            .at_span(step.span),
        );
    }
    for p in &resp.duplicate_keys {
        failures.push(
            ExpectFailure::new(
                Expectation::Body,
                Some(p.clone()),
                format!("the response holds key {p} more than once (only the last value was kept; JSON parsers disagree on which wins)"),
            )
            .at_span(step.span),
        );
    }
}

/// The masked form of a live-mode key anywhere in what the request would carry: the path,
/// query and form values and headers, each after rendering (so a `{{env.X}}` holding a live
/// key is caught too).
fn live_key_anywhere(sent: &SentRequest) -> Option<String> {
    let values = std::iter::once(sent.path.as_str())
        .chain(
            sent.query
                .iter()
                .flat_map(|(k, v)| [k.as_str(), v.as_str()]),
        )
        .chain(sent.form.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
        .chain(sent.headers.iter().map(|(_, v)| v.as_str()));
    for v in values {
        for prefix in ["sk_live_", "rk_live_"] {
            if v.contains(prefix) {
                return Some(format!("{prefix}…****"));
            }
        }
    }
    None
}

/// The masked form of a live-mode key in an Authorization header (Bearer or Basic), if any.
fn live_key_in(headers: &[(String, String)]) -> Option<String> {
    use base64::Engine;
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim())?;
    let (scheme, cred) = auth.split_once(' ')?;
    let key = if scheme.eq_ignore_ascii_case("basic") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cred.trim())
            .ok()?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        text.split(':').next().unwrap_or("").to_string()
    } else {
        cred.to_string()
    };
    crate::secret::is_live_key(&key).then(|| crate::secret::mask(key.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn auth(v: &str) -> Vec<(String, String)> {
        vec![("Authorization".into(), v.into())]
    }

    #[test]
    fn live_keys_are_found_in_either_scheme() {
        assert_eq!(
            live_key_in(&auth("Bearer sk_live_abc")).as_deref(),
            Some("sk_live_…****")
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("rk_live_abc:");
        assert_eq!(
            live_key_in(&auth(&format!("Basic {basic}"))).as_deref(),
            Some("rk_live_…****")
        );
        assert_eq!(live_key_in(&auth("Bearer sk_test_abc")), None);
        assert_eq!(live_key_in(&auth("Basic !!!")), None);
        assert_eq!(live_key_in(&[]), None);
    }
}
