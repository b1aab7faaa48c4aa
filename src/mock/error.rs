//! Stripe error bodies (reference §2.1): `{"error":{…}}` with the keys in alphabetical order, null
//! keys left out, and `doc_url` derived from `code`.

use serde_json::{json, Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decline {
    pub charge: String,
    pub decline_code: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// The wire `type`: one of `api_error`, `card_error`, `idempotency_error`,
    /// `invalid_request_error`.
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
    /// Card declines only (boxed: most errors carry none).
    pub decline: Option<Box<Decline>>,
    /// Auth failures carry no `request_log_url`: no request was logged for an unknown caller.
    pub loggable: bool,
}

impl ApiError {
    /// 400 `invalid_request_error`, no code, no param: the shape of every wrong-state refusal.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param: None,
            decline: None,
            loggable: true,
        }
    }

    pub fn param(mut self, p: impl Into<String>) -> Self {
        self.param = Some(p.into());
        self
    }

    pub fn code(mut self, c: &'static str) -> Self {
        self.code = Some(c);
        self
    }

    pub fn status(mut self, s: u16) -> Self {
        self.status = s;
        self
    }

    /// `No such <kind>: '<id>'` (E1, E25, bad cursors). 404 for the path's own object; callers
    /// set 400 for ids given as body parameters.
    pub fn no_such(kind: &str, id: &str, param: &str) -> Self {
        ApiError::invalid(format!("No such {kind}: '{id}'"))
            .status(404)
            .code("resource_missing")
            .param(param)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            loggable: false,
            ..ApiError::invalid(message).status(401)
        }
    }

    pub fn unknown_param(name: &str) -> Self {
        ApiError::invalid(format!("Received unknown parameter: {name}"))
            .code("parameter_unknown")
            .param(name)
    }

    pub fn missing_param(name: &str) -> Self {
        ApiError::invalid(format!("Missing required param: {name}."))
            .code("parameter_missing")
            .param(name)
    }

    /// Stripe's enum wording: `a or b` for two, `a, b, or c` for more.
    pub fn bad_enum(name: &str, values: &[&str]) -> Self {
        let list = match values {
            [] => String::new(),
            [one] => (*one).to_string(),
            [a, b] => format!("{a} or {b}"),
            [init @ .., last] => format!("{}, or {last}", init.join(", ")),
        };
        ApiError::invalid(format!("Invalid {name}: must be one of {list}")).param(name)
    }

    pub fn card_declined(charge: String) -> Self {
        ApiError {
            status: 402,
            kind: "card_error",
            code: Some("card_declined"),
            message: "Your card was declined.".to_string(),
            param: None,
            decline: Some(Box::new(Decline {
                charge,
                decline_code: "generic_decline",
            })),
            loggable: true,
        }
    }

    pub fn body(&self, request_id: &str, now: i64) -> Value {
        let mut e = Map::new();
        if let Some(d) = &self.decline {
            // Recorded (zulip, 2025-11-17.clover): a generic decline advises a retry later and
            // carries the network's code. The recorded body also embeds the PaymentIntent and
            // PaymentMethod objects, which the mock does not model.
            e.insert("advice_code".into(), json!("try_again_later"));
            e.insert("charge".into(), json!(d.charge));
        }
        if let Some(c) = self.code {
            e.insert("code".into(), json!(c));
        }
        if let Some(d) = &self.decline {
            e.insert("decline_code".into(), json!(d.decline_code));
        }
        if let Some(c) = self.code {
            e.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    c.replace('_', "-")
                )),
            );
        }
        e.insert("message".into(), json!(self.message));
        if self.decline.is_some() {
            e.insert("network_decline_code".into(), json!("01"));
        }
        if let Some(p) = &self.param {
            e.insert("param".into(), json!(p));
        }
        if self.loggable {
            e.insert(
                "request_log_url".into(),
                json!(format!(
                    "https://dashboard.stripe.com/test/logs/{request_id}?t={now}"
                )),
            );
        }
        e.insert("type".into(), json!(self.kind));
        json!({ "error": e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_wording() {
        assert_eq!(
            ApiError::bad_enum("usage", &["reusable", "single_use"]).message,
            "Invalid usage: must be one of reusable or single_use"
        );
        assert_eq!(
            ApiError::bad_enum(
                "status",
                &["draft", "open", "void", "paid", "uncollectible"]
            )
            .message,
            "Invalid status: must be one of draft, open, void, paid, or uncollectible"
        );
    }

    #[test]
    fn body_shape() {
        let b = ApiError::no_such("invoice", "in_x", "id").body("req_1", 7);
        let keys: Vec<_> = b["error"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "code",
                "doc_url",
                "message",
                "param",
                "request_log_url",
                "type"
            ]
        );
        assert_eq!(
            b["error"]["doc_url"],
            "https://stripe.com/docs/error-codes/resource-missing"
        );
        let b = ApiError::unauthorized("x").body("req_1", 7);
        assert!(b["error"].get("request_log_url").is_none());
        let b = ApiError::card_declined("ch_1".into()).body("req_1", 7);
        let keys: Vec<_> = b["error"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "advice_code",
                "charge",
                "code",
                "decline_code",
                "doc_url",
                "message",
                "network_decline_code",
                "request_log_url",
                "type"
            ]
        );
    }
}
