//! Steps: `id`, `request` (method, path, parameters, headers, auth), `capture`, `retry` and
//! `seed`.

use std::time::Duration;

use super::expect::default_expect;
use super::keywords::*;
use super::{
    is_header_name, is_identifier, is_step_id, looks_like_real_key, At, CaptureDef, Cx, Phase,
};
use crate::input::diag::did_you_mean;
use crate::input::reader::start;
use crate::input::yaml::{Key, Kind, Node, Scalar};
use crate::scenario::model::*;

const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(2);
const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(90);

impl Cx {
    pub(super) fn step_list(
        &mut self,
        node: &Node,
        phase: Phase,
        ids: &mut Vec<(String, usize)>,
    ) -> Vec<Step> {
        let what = match phase {
            Phase::Main => "steps",
            Phase::Teardown => "teardown",
        };
        let Some(items) = self.r.seq(node, what) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            self.at = Some(At { phase, index });
            if let Some(step) = self.step(item, phase, ids) {
                out.push(step);
            }
        }
        self.at = None;
        out
    }

    fn step(&mut self, node: &Node, phase: Phase, ids: &mut Vec<(String, usize)>) -> Option<Step> {
        let entries = self.r.map(node, "step")?;
        self.check_keys(entries, STEP_KEYS, "step");

        let id = self
            .r
            .require(entries, start(node), "id", "step")
            .and_then(|v| {
                let id = self.r.text(v, "id")?;
                if !is_step_id(&id) {
                    let d = self
                        .r
                        .diag(v.span, format!("invalid step id `{id}`"))
                        .help("step ids use lower-case letters, digits, `_` and `-`");
                    self.r.push(d);
                } else if let Some((_, line)) = ids.iter().find(|(i, _)| *i == id) {
                    let d = self
                        .r
                        .diag(
                            v.span,
                            format!("duplicate step id `{id}` (first used at line {line})"),
                        )
                        .label("duplicate id");
                    self.r.push(d);
                } else {
                    ids.push((id.clone(), v.span.line));
                }
                Some(id)
            });

        let request = self
            .r
            .require(entries, start(node), "request", "step")
            .and_then(|r| self.request(r));

        let method = request.as_ref().map(|r| r.method.as_str());
        let expect = match node.get("expect") {
            Some(e) => self.expect(e, phase),
            None => Some(default_expect(phase)),
        };
        let capture = match node.get("capture") {
            Some(c) => self.captures(c, id.as_deref().unwrap_or("?")),
            None => Vec::new(),
        };
        let retry = match entries.iter().find(|(k, _)| k.name == "retry") {
            Some((k, v)) => {
                if let Some(m) = method.filter(|m| *m != "GET") {
                    let d = self
                        .r
                        .diag(
                            k.span,
                            format!("`retry` is only allowed on GET steps, not {m}"),
                        )
                        .help("re-sending a write could repeat its side effects");
                    self.r.push(d);
                }
                self.retry(v)
            }
            None => None,
        };
        if let (Some(_), Some(e)) = (&retry, &expect) {
            if e.status.is_none() && e.body.is_empty() && e.headers.is_empty() {
                if let Some((k, _)) = entries.iter().find(|(k, _)| k.name == "retry") {
                    let d = self
                        .r
                        .diag(k.span, "`retry` needs expectations to wait for")
                        .help("add `expect: status` or `expect: body` assertions to this step");
                    self.r.push(d);
                }
            }
        }

        // `seed: 000-finalize.json` or a list of them (one per API-version family).
        let seed = match entries.iter().find(|(k, _)| k.name == "seed") {
            None => Vec::new(),
            Some((_, v)) => match v.as_seq() {
                Some(items) => items.iter().filter_map(|i| self.seed(i)).collect(),
                None => self.seed(v).into_iter().collect(),
            },
        };

        let as_of = node.get("as_of").and_then(|v| self.as_of(v));
        let account = node
            .get("account")
            .map(|v| self.account(v))
            .unwrap_or_default();
        Some(Step {
            id: id?,
            span: start(node),
            request: request?,
            expect: expect?,
            capture,
            retry,
            seed,
            as_of,
            account,
        })
    }

    /// `seed: 000-finalize.json`: a file name in shared/seeds/responses.
    fn seed(&mut self, node: &Node) -> Option<String> {
        let s = self.r.string(node, "seed")?;
        let (number, rest) = s.split_at(s.find('-').unwrap_or(0));
        let endpoint = rest.strip_prefix('-').and_then(|r| r.strip_suffix(".json"));
        let ok = number.len() == 3
            && number.chars().all(|c| c.is_ascii_digit())
            && endpoint.is_some_and(|e| {
                !e.is_empty() && e.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            });
        if !ok {
            let d = self
                .r
                .diag(node.span, format!("invalid seed file name `{s}`"))
                .help("seeds are named `<NNN>-<endpoint>.json`, e.g. `000-finalize.json`");
            self.r.push(d);
            return None;
        }
        Some(s)
    }

    fn request(&mut self, node: &Node) -> Option<RequestSpec> {
        let entries = self.r.map(node, "request")?;
        self.check_keys(entries, REQUEST_KEYS, "request");

        let method = self
            .r
            .require(entries, start(node), "method", "request")
            .and_then(|m| {
                let s = self.r.string(m, "method")?;
                let upper = s.to_ascii_uppercase();
                if METHODS.contains(&upper.as_str()) {
                    Some(upper)
                } else {
                    let d = self
                        .r
                        .diag(m.span, format!("invalid method `{s}`"))
                        .label("method");
                    // Only near-typos get a guess: `PUT` is not a misspelt `GET`.
                    let guess = METHODS
                        .iter()
                        .find(|m| strsim::damerau_levenshtein(&upper, m) <= 1);
                    let d = match guess {
                        Some(g) => d.help(format!("did you mean `{g}`?")),
                        None => d.help("expected GET, POST or DELETE (Stripe updates with POST)"),
                    };
                    self.r.push(d);
                    None
                }
            });

        let path = self
            .r
            .require(entries, start(node), "path", "request")
            .and_then(|p| {
                let s = self.r.string(p, "path")?;
                if !s.starts_with('/') {
                    let d = self
                        .r
                        .diag(p.span, format!("path `{s}` must start with `/`"))
                        .help("paths are relative to the target's base URL, e.g. `/v1/invoices`");
                    self.r.push(d);
                }
                self.templated(&s, p.span);
                Some(s)
            });

        let mut query = Vec::new();
        let mut form = Vec::new();
        let mut headers = Vec::new();
        let mut auth = Auth::Default;
        for (k, v) in entries {
            match k.name.as_str() {
                "query" => query = self.params(v, "query"),
                "form" => {
                    if let Some(m) = method.as_deref().filter(|m| *m != "POST") {
                        let d = self
                            .r
                            .diag(k.span, format!("`form` is only allowed on POST, not {m}"))
                            .help("GET and DELETE carry parameters in `query`");
                        self.r.push(d);
                    }
                    form = self.params(v, "form");
                }
                "headers" => headers = self.request_headers(v),
                "auth" => auth = self.auth(v).unwrap_or_default(),
                _ => {}
            }
        }
        Some(RequestSpec {
            method: method?,
            path: path?,
            query,
            form,
            headers,
            auth,
        })
    }

    fn params(&mut self, node: &Node, what: &str) -> Vec<(String, Param)> {
        let Some(entries) = self.r.map(node, what) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(k, v)| self.param(v).map(|p| (k.name.clone(), p)))
            .collect()
    }

    /// YAML → parameter tree; `null` leaves the parameter out.
    fn param(&mut self, node: &Node) -> Option<Param> {
        match &node.kind {
            Kind::Scalar(Scalar::Null) => None,
            Kind::Scalar(Scalar::Str(s)) => {
                self.templated(s, node.span);
                Some(Param::Scalar(s.clone()))
            }
            Kind::Scalar(_) => node.scalar_text().map(Param::Scalar),
            Kind::Seq(items) => Some(Param::List(
                items.iter().filter_map(|n| self.param(n)).collect(),
            )),
            Kind::Map(entries) => Some(Param::Map(
                entries
                    .iter()
                    .filter_map(|(k, v)| self.param(v).map(|p| (k.name.clone(), p)))
                    .collect(),
            )),
        }
    }

    fn request_headers(&mut self, node: &Node) -> Vec<(String, String)> {
        let Some(entries) = self.r.map(node, "headers") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            if !self.header_name(k) {
                continue;
            }
            if k.name.eq_ignore_ascii_case("authorization") {
                let d = self
                    .r.diag(k.span, "set credentials with `auth:`, not an `Authorization` header")
                    .help("`auth: none`, `auth: {bearer: \"sk_test_bogus\"}` or `auth: {basic: \"…\"}`");
                self.r.push(d);
                continue;
            }
            let Some(value) = self.r.text(v, "header value") else {
                continue;
            };
            self.templated(&value, v.span);
            out.push((k.name.clone(), value));
        }
        out
    }

    fn auth(&mut self, node: &Node) -> Option<Auth> {
        match &node.kind {
            Kind::Scalar(Scalar::Str(s)) => match s.as_str() {
                "default" => Some(Auth::Default),
                "none" => Some(Auth::None),
                other => {
                    let d = self.r.diag(node.span, format!("invalid auth `{other}`"));
                    let d = match did_you_mean(other, AUTH_WORDS) {
                        Some(g) => d.help(format!("did you mean `{g}`?")),
                        None => d.help(
                            "expected `default`, `none`, `{bearer: \"…\"}` or `{basic: \"…\"}`",
                        ),
                    };
                    self.r.push(d);
                    None
                }
            },
            Kind::Map(entries) => {
                self.check_keys(entries, AUTH_KEYS, "auth");
                let known: Vec<&(Key, Node)> = entries
                    .iter()
                    .filter(|(k, _)| AUTH_KEYS.contains(&k.name.as_str()))
                    .collect();
                match known.as_slice() {
                    [] => {
                        if entries.is_empty() {
                            self.r
                                .error(start(node), "`auth` needs `bearer` or `basic`");
                        }
                        None
                    }
                    [(k, v)] => {
                        let key = self.r.string(v, &k.name)?;
                        if looks_like_real_key(&key) {
                            let d = self
                                .r.diag(v.span, "this looks like a real Stripe key")
                                .help("never commit keys; use an obvious fake like `sk_test_bogus`, or `{{env.NAME}}`");
                            self.r.push(d);
                        }
                        self.templated(&key, v.span);
                        Some(if k.name == "bearer" {
                            Auth::Bearer(key)
                        } else {
                            Auth::Basic(key)
                        })
                    }
                    [_, (k, _), ..] => {
                        self.r
                            .error(k.span, "`auth` takes one of `bearer` or `basic`, not both");
                        None
                    }
                }
            }
            _ => {
                self.r
                    .wrong_type(node, "`default`, `none` or a mapping", "auth");
                None
            }
        }
    }

    fn captures(&mut self, node: &Node, step_id: &str) -> Vec<Capture> {
        let Some(entries) = self.r.map(node, "capture") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let mut ok = true;
            if !is_identifier(&k.name) {
                let d = self
                    .r
                    .diag(k.span, format!("invalid variable name `{}`", k.name))
                    .help("variable names are letters, digits and `_`, not starting with a digit");
                self.r.push(d);
                ok = false;
            } else if BUILTIN_VARS.contains(&k.name.as_str()) {
                self.r.error(
                    k.span,
                    format!("`{}` is a built-in variable and cannot be captured", k.name),
                );
                ok = false;
            } else if self.vars.contains(&k.name) {
                self.r.error(
                    k.span,
                    format!("`{}` is defined in `vars` and cannot be captured", k.name),
                );
                ok = false;
            }
            let Some(src) = self.r.string(v, "capture") else {
                continue;
            };
            let source = if let Some(h) = src.strip_prefix("header:") {
                let h = h.trim();
                if !is_header_name(h) {
                    self.r
                        .error(v.span, format!("invalid header name `{h}` in capture"));
                    ok = false;
                }
                CaptureSource::Header(h.to_string())
            } else {
                ok &= self.pointer(&src, v.span);
                CaptureSource::Body(src)
            };
            if let Some(at) = self.at {
                self.captures.push(CaptureDef {
                    var: k.name.clone(),
                    step_id: step_id.to_string(),
                    line: k.span.line,
                    at,
                });
            }
            if ok {
                out.push(Capture {
                    var: k.name.clone(),
                    source,
                    span: k.span,
                });
            }
        }
        out
    }

    fn retry(&mut self, node: &Node) -> Option<Retry> {
        let entries = self.r.map(node, "retry")?;
        self.check_keys(entries, RETRY_KEYS, "retry");
        let mut interval = Some(DEFAULT_RETRY_INTERVAL);
        let mut timeout = Some(DEFAULT_RETRY_TIMEOUT);
        for (k, v) in entries {
            match k.name.as_str() {
                "interval" => interval = self.r.duration(v, "interval"),
                "timeout" => timeout = self.r.duration(v, "timeout"),
                _ => {}
            }
        }
        let (interval, timeout) = (interval?, timeout?);
        if interval.is_zero() {
            self.r
                .error(start(node), "retry `interval` must be more than zero");
            return None;
        }
        if timeout < interval {
            self.r.error(
                start(node),
                "retry `timeout` is shorter than its `interval`",
            );
            return None;
        }
        Some(Retry { interval, timeout })
    }
}
