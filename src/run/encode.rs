//! Stripe's form encoding of a step's parameters: the runner turns a scenario's parameter tree
//! into query and form pairs just before sending.

use crate::scenario::{Param, TemplateError};

/// Encodes a parameter tree the Stripe way: `a[b]=c`, `expand[]=x` for lists of scalars,
/// `items[0][price]=p` for lists of maps. Scalars go through `render` (template expansion).
/// Pairs come out unescaped, in file order; URL-encoding them is the caller's job.
pub fn encode_params(
    params: &[(String, Param)],
    render: &dyn Fn(&str) -> Result<String, TemplateError>,
) -> Result<Vec<(String, String)>, TemplateError> {
    let mut out = Vec::new();
    for (name, value) in params {
        encode_into(name, value, render, &mut out)?;
    }
    Ok(out)
}

fn encode_into(
    prefix: &str,
    value: &Param,
    render: &dyn Fn(&str) -> Result<String, TemplateError>,
    out: &mut Vec<(String, String)>,
) -> Result<(), TemplateError> {
    match value {
        Param::Scalar(s) => out.push((prefix.to_string(), render(s)?)),
        Param::Map(entries) => {
            for (k, v) in entries {
                encode_into(&format!("{prefix}[{k}]"), v, render, out)?;
            }
        }
        Param::List(items) => {
            // Stripe accepts both `a[]` and `a[0]`; `[]` is the curl form of its docs for
            // scalar lists, but anything holding structure needs the index to group its fields.
            let all_scalars = items.iter().all(|p| matches!(p, Param::Scalar(_)));
            for (i, item) in items.iter().enumerate() {
                let key = if all_scalars {
                    format!("{prefix}[]")
                } else {
                    format!("{prefix}[{i}]")
                };
                encode_into(&key, item, render, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::render_template;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "invoice_id" => Some("in_123".into()),
            "run_id" => Some("r1".into()),
            _ => None,
        }
    }

    fn s(v: &str) -> Param {
        Param::Scalar(v.to_string())
    }

    fn encode(params: &[(String, Param)]) -> Vec<(String, String)> {
        let render = |t: &str| render_template(t, &lookup);
        encode_params(params, &render).unwrap()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn encodes_the_stripe_way() {
        let params = vec![
            ("customer".to_string(), s("cus_1")),
            (
                "metadata".to_string(),
                Param::Map(vec![
                    ("apiparity_run".into(), s("{{run_id}}")),
                    ("b".into(), s("2")),
                ]),
            ),
            (
                "expand".to_string(),
                Param::List(vec![s("customer"), s("lines")]),
            ),
            (
                "items".to_string(),
                Param::List(vec![
                    Param::Map(vec![("price".into(), s("p1")), ("quantity".into(), s("2"))]),
                    Param::Map(vec![(
                        "tax_rates".into(),
                        Param::List(vec![s("txr_1"), s("txr_2")]),
                    )]),
                ]),
            ),
            (
                "payment_settings".to_string(),
                Param::Map(vec![(
                    "lines".into(),
                    Param::List(vec![Param::Map(vec![("amount".into(), s("5"))])]),
                )]),
            ),
            ("empty".to_string(), Param::List(vec![])),
        ];
        assert_eq!(
            encode(&params),
            pairs(&[
                ("customer", "cus_1"),
                ("metadata[apiparity_run]", "r1"),
                ("metadata[b]", "2"),
                ("expand[]", "customer"),
                ("expand[]", "lines"),
                ("items[0][price]", "p1"),
                ("items[0][quantity]", "2"),
                ("items[1][tax_rates][]", "txr_1"),
                ("items[1][tax_rates][]", "txr_2"),
                ("payment_settings[lines][0][amount]", "5"),
            ])
        );
    }

    #[test]
    fn mixed_lists_are_indexed() {
        let params = vec![(
            "a".to_string(),
            Param::List(vec![s("x"), Param::Map(vec![("k".into(), s("v"))])]),
        )];
        assert_eq!(encode(&params), pairs(&[("a[0]", "x"), ("a[1][k]", "v")]));
    }

    #[test]
    fn encoding_reports_undefined_variables() {
        let params = vec![(
            "metadata".to_string(),
            Param::Map(vec![("k".into(), s("{{missing}}"))]),
        )];
        let render = |t: &str| render_template(t, &lookup);
        assert_eq!(
            encode_params(&params, &render).unwrap_err(),
            TemplateError::Undefined("missing".into())
        );
    }
}
