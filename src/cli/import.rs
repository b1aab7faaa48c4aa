//! `apiparity import`: its flags, validated into one [`ImportOptions`], then the library call
//! and a summary. The decisions are the library's ([`apiparity::import`]); this only renders.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use apiparity::import::{self, Format, ImportOptions, Scope};

use super::Error;

/// `apiparity import <files or dirs>`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Cassette files or directories (searched recursively, in sorted order).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The project root to write into: scenarios go to `<out>/scenarios/recorded/<source>/`,
    /// snapshots to `<out>/snapshots/recorded/<source>/`.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Force a format instead of detecting each file's.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,
    /// Keep exchanges with this host (others are listed as skipped).
    #[arg(long, value_name = "HOST", default_value = "api.stripe.com")]
    pub host: String,
    /// `all` keeps every exchange with the host; `invoice-api` drops subscriptions, checkout,
    /// payment methods, prices, products and the like, with the reason in the scenario.
    #[arg(long, value_name = "SCOPE", default_value = "all", value_parser = parse_scope)]
    pub scope: Scope,
    /// The Stripe-Version for recordings that lack one: `VERSION` for all, or
    /// `SOURCE=VERSION` for one source (repeatable). Provenance says it was supplied.
    #[arg(long = "stripe-version", value_name = "[SOURCE=]VERSION")]
    pub stripe_version: Vec<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| format!("unknown format `{s}`; one of: {}", Format::names()))
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    match s {
        "all" => Ok(Scope::All),
        "invoice-api" => Ok(Scope::InvoiceApi),
        _ => Err(format!("unknown scope `{s}`; one of: all, invoice-api")),
    }
}

/// The flags as one validated value.
pub fn options(args: &ImportArgs) -> Result<ImportOptions, Error> {
    let mut opts = ImportOptions::into_root(&args.out);
    opts.host = args.host.clone();
    opts.scope = args.scope;
    for v in &args.stripe_version {
        let (source, version) = match v.split_once('=') {
            Some((s, v)) => (Some(s), v),
            None => (None, v.as_str()),
        };
        if !import::is_version(version) {
            return Err(Error::Other(format!(
                "--stripe-version {v}: `{version}` is not a Stripe-Version (YYYY-MM-DD or YYYY-MM-DD.name)"
            )));
        }
        match source {
            Some("") => {
                return Err(Error::Other(format!(
                    "--stripe-version {v}: the source before `=` is empty"
                )))
            }
            Some(s) => opts
                .source_versions
                .push((s.to_string(), version.to_string())),
            None if opts.stripe_version.is_some() => {
                return Err(Error::Other(format!(
                    "--stripe-version {v}: a version for every source is already given"
                )))
            }
            None => opts.stripe_version = Some(version.to_string()),
        }
    }
    Ok(opts)
}

/// Runs `apiparity import`: exit 0 when every cassette was written, 1 when some were refused.
pub fn run(args: &ImportArgs) -> Result<ExitCode, Error> {
    let opts = options(args)?;
    for p in &args.paths {
        if !p.exists() {
            return Err(Error::Other(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    let report = import::import_paths(&args.paths, args.format, &opts);
    for w in &report.written {
        println!(
            "wrote {} ({} steps, {} snapshots{})",
            w.scenario.display(),
            w.steps,
            w.snapshots.len(),
            if w.dropped.is_empty() {
                String::new()
            } else {
                format!(", {} exchanges skipped", w.dropped.len())
            }
        );
    }
    for e in &report.skipped {
        println!("skipped: {e}");
    }
    for e in &report.refused {
        eprintln!("refused: {e}");
    }
    println!(
        "{} cassettes: {} scenarios written ({} steps), {} skipped, {} refused",
        report.written.len() + report.skipped.len() + report.refused.len(),
        report.written.len(),
        report.steps(),
        report.skipped.len(),
        report.refused.len()
    );
    Ok(ExitCode::from(u8::from(!report.refused.is_empty())))
}
