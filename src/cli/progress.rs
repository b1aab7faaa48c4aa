//! The progress display of `apiparity run`: one line on stderr, only when stderr is a terminal
//! and `--quiet` was not given, fed by the runner's events (`run::Event`): scenarios done of
//! total, requests sent, what the run is waiting on (rate limit, search polling, backoff) and
//! an ETA. It only shows; the report says what happened.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiparity::run::{Event, Progress, Wait};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The display (hidden when it must be silent).
pub struct Display {
    bar: ProgressBar,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    requests: u64,
    /// Per scenario position: what it waits on, for which step, until when.
    waits: HashMap<usize, (Wait, String, Instant)>,
}

/// Whether a display should be shown: stderr is a terminal and the user did not ask for quiet.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

impl Display {
    /// A display; `visible: false` draws nothing at all.
    pub fn new(visible: bool) -> Display {
        let bar = if visible {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} scenarios · {msg} · ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        if visible {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Display {
            bar,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// The observer to hand to the runner (`RunConfig::progress`).
    pub fn progress(&self) -> Progress {
        let bar = self.bar.clone();
        let state = Arc::clone(&self.state);
        Progress::new(move |e| {
            let Ok(mut s) = state.lock() else { return };
            match e {
                Event::SuiteStarted { scenarios, .. } => bar.set_length(scenarios as u64),
                Event::ScenarioStarted { .. } => {}
                Event::RequestSent { scenario, .. } => {
                    s.requests += 1;
                    s.waits.remove(&scenario);
                }
                Event::Waiting {
                    scenario,
                    step,
                    reason,
                    wait,
                } => {
                    s.waits
                        .insert(scenario, (reason, step, Instant::now() + wait));
                }
                Event::ScenarioFinished { scenario, .. } => {
                    s.waits.remove(&scenario);
                    bar.inc(1);
                }
            }
            bar.set_message(message(&s));
        })
    }

    /// Removes the line before the report is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `12 requests · waiting: search polling 2 (paging/search-page-2, 1.5s), rate limit 1`.
fn message(s: &State) -> String {
    let mut out = format!("{} requests", s.requests);
    if s.waits.is_empty() {
        return out;
    }
    let now = Instant::now();
    let mut parts = Vec::new();
    for (reason, name) in [
        (Wait::RateLimit, "rate limit"),
        (Wait::Polling, "search polling"),
        (Wait::Backoff, "retry backoff"),
    ] {
        let mine: Vec<&(Wait, String, Instant)> =
            s.waits.values().filter(|(r, ..)| *r == reason).collect();
        let Some((_, step, until)) = mine.iter().max_by_key(|(.., until)| *until) else {
            continue;
        };
        let left = until.saturating_duration_since(now);
        parts.push(format!(
            "{name} {} ({step}, {:.1}s)",
            mine.len(),
            left.as_secs_f64()
        ));
    }
    out.push_str(" · waiting: ");
    out.push_str(&parts.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_counts_requests_and_names_each_kind_of_wait() {
        let p = Display::new(false);
        let progress = p.progress();
        progress.emit(Event::SuiteStarted {
            scenarios: 2,
            jobs: 2,
        });
        for scenario in [0, 1] {
            progress.emit(Event::RequestSent {
                scenario,
                step: "create".into(),
                attempt: 1,
            });
        }
        progress.emit(Event::Waiting {
            scenario: 1,
            step: "search-page-2".into(),
            reason: Wait::Polling,
            wait: Duration::from_secs(2),
        });
        let s = p.state.lock().unwrap();
        let m = message(&s);
        assert!(
            m.starts_with("2 requests · waiting: search polling 1 (search-page-2, "),
            "{m}"
        );
        drop(s);
        progress.emit(Event::RequestSent {
            scenario: 1,
            step: "search-page-2".into(),
            attempt: 2,
        });
        assert_eq!(message(&p.state.lock().unwrap()), "3 requests");
        progress.emit(Event::ScenarioFinished {
            scenario: 0,
            key: "a".into(),
            failed: false,
            duration: Duration::ZERO,
        });
        assert_eq!(p.bar.position(), 1);
        assert_eq!(p.bar.length(), Some(2));
    }
}
