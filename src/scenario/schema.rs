//! The JSON Schema of the scenario format, generated from the validator's own keyword tables
//! ([`keywords`]), so editors (yaml-language-server) complete and check the same words `check`
//! accepts. Committed as `scenarios/schema.json`; `APIPARITY_BLESS=1 cargo test --test it
//! scenario::schema` regenerates it, and the same test fails when the file is stale. The schema
//! is the editor's first line of defence; `apiparity check` stays the authority (templates,
//! pointers and cross-step rules are beyond a schema).

use serde_json::{json, Map, Value};

use super::keywords::*;

/// The `$id` the schema declares.
pub const SCHEMA_ID: &str = "https://apiparity.invalid/scenarios/schema.json";

/// The schema for one keyword of a table, or `{}` (anything) for a keyword this generator does
/// not describe yet: a new key is accepted at once, and described when someone writes its line.
fn property(table: &str, key: &str) -> Value {
    let string = json!({"type": "string"});
    let scalar = json!({"type": ["string", "number", "integer", "boolean", "null"]});
    let duration = json!({"type": "string", "description": "a duration: 2s, 1500ms, 1m"});
    match (table, key) {
        ("top", "name") => {
            json!({"type": "string", "description": "the scenario's name (default: its key)"})
        }
        ("top", "description") => json!({"type": "string"}),
        ("top", "tags") => json!({"type": "array", "items": string}),
        ("top", "stripe_version") => {
            json!({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$"})
        }
        ("top", "reference") => {
            json!({"type": "string", "description": "the shared reference section it checks"})
        }
        ("top", "vars") => json!({"type": "object", "additionalProperties": scalar}),
        ("top", "normalize") => {
            json!({"type": "object", "description": "normalization rules over apiparity.yaml's (checked by `apiparity check`)"})
        }
        ("top", "steps") => {
            json!({"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}})
        }
        ("top", "teardown") => json!({"type": "array", "items": {"$ref": "#/$defs/step"}}),
        ("top" | "step", "as_of") => {
            json!({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "the day the embedded mock's answers describe (YYYY-MM-DD)"})
        }
        ("top" | "step", "account") => json!({"type": "object", "additionalProperties": false,
            "description": "the account the flow depends on (a step's over the scenario's), sent to apiparity's mock only (embedded, or an `apiparity mock` process)",
            "properties": {
                "id": {"type": "string", "pattern": "^acct_[A-Za-z0-9]{16}$"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
                "webhook_endpoints": {"type": "boolean"}}}),
        ("top", "continue_on_failure") => json!({"type": "boolean"}),
        ("step", "id") => json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}),
        ("step", "request") => json!({"$ref": "#/$defs/request"}),
        ("step", "expect") => json!({"$ref": "#/$defs/expect"}),
        ("step", "capture") => json!({"type": "object", "additionalProperties": string}),
        ("step", "retry") => json!({"$ref": "#/$defs/retry"}),
        ("step", "seed") => {
            let seed = json!({"type": "string", "pattern": r"^\d{3}-.+\.json$"});
            json!({"oneOf": [seed, {"type": "array", "items": seed}]})
        }
        ("request", "method") => json!({"enum": METHODS}),
        ("request", "path") => json!({"type": "string", "pattern": "^/"}),
        ("request", "query" | "form") => json!({"type": "object"}),
        ("request", "headers") => json!({"type": "object", "additionalProperties": scalar}),
        ("request", "auth") => json!({"oneOf": [
            {"enum": AUTH_WORDS},
            {"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1,
             "properties": object(AUTH_KEYS.iter().map(|k| (*k, string.clone())))}
        ]}),
        ("expect", "status") => json!({"type": "integer", "minimum": 100, "maximum": 599}),
        ("expect", "body") => json!({
            "type": "object",
            "propertyNames": {"pattern": "^(/.*)?$"},
            "additionalProperties": {"$ref": "#/$defs/assertion"}
        }),
        ("expect", "headers") => {
            json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/assertion"}})
        }
        ("expect", "snapshot") => json!({"type": "boolean"}),
        ("expect", "ignore") => json!({
            "type": "object",
            "propertyNames": {"pattern": "^(/.*)?$"},
            "additionalProperties": {"type": "string", "minLength": 1, "description": "why it is ignored"}
        }),
        ("retry", "interval" | "timeout") => duration,
        _ => json!({}),
    }
}

fn object<'a>(entries: impl Iterator<Item = (&'a str, Value)>) -> Value {
    Value::Object(
        entries
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<_, _>>(),
    )
}

/// A closed mapping whose keys are exactly `table`'s keywords.
fn closed(name: &str, keys: &[&str], required: &[&str]) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": object(keys.iter().map(|k| (*k, property(name, k)))),
    })
}

/// The schema, as written to `scenarios/schema.json`.
pub fn schema() -> Value {
    // An assertion is a plain value (equality) or a mapping of operators.
    let operators = object(OPERATORS.iter().chain(OPERATOR_COMPANIONS).map(|op| {
        let v = match *op {
            "type" => json!({"enum": TYPE_NAMES}),
            "exists" => json!({"type": "boolean"}),
            "matches" => json!({"type": "string"}),
            "offset_from" => json!({"type": "string", "pattern": "^/"}),
            "len" | "seconds" => json!({"type": "integer"}),
            "one_of" => json!({"type": "array"}),
            _ => json!({}),
        };
        (*op, v)
    }));
    let mut top = closed("top", TOP_KEYS, &["steps"]);
    top["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    top["$id"] = json!(SCHEMA_ID);
    top["title"] = json!("apiparity scenario");
    top["description"] = json!(
        "An invoice flow apiparity replays (scenarios/README.md). Generated from the validator's keyword tables: regenerate with APIPARITY_BLESS=1 cargo test --test it scenario::schema"
    );
    top["$defs"] = json!({
        "step": closed("step", STEP_KEYS, &["id", "request"]),
        "request": closed("request", REQUEST_KEYS, &["method", "path"]),
        "expect": closed("expect", EXPECT_KEYS, &[]),
        "retry": closed("retry", RETRY_KEYS, &[]),
        "assertion": {
            "anyOf": [
                // A bare value, `{}` included, is compared for equality; a mapping is operators
                // (to compare with a mapping, `{eq: {…}}`).
                {"not": {"type": "object"}},
                {"type": "object", "maxProperties": 0},
                {"type": "object", "minProperties": 1, "propertyNames": {"enum": OPERATORS.iter().chain(OPERATOR_COMPANIONS).collect::<Vec<_>>()}, "properties": operators}
            ]
        }
    });
    top
}

/// The schema as the committed file's text.
pub fn schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    s.push('\n');
    s
}
