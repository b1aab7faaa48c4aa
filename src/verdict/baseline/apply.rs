//! Applying a baseline: the accepted differences and step failures move out of what fails the
//! run, before any status is final; every entry that matched nothing is stale.

use crate::run::{StepRun, SuiteRun};
use crate::snapshot::StepComparison;
use crate::verdict::{
    comparison, step_status, BaselineInfo, BaselinedItem, Policy, ScenarioVerdict, StaleEntry,
    Status, StepVerdict,
};

use super::{Baseline, TODO_REASON};

/// Marks the differences and step failures the baseline accepts as baselined (they no longer
/// fail) and decides the status of each step it touched; records every entry that matched
/// nothing as stale (which fails the run). Each step's `measured` status is left as it was:
/// parity figures describe the target, accepted or not.
pub(crate) fn apply(
    baseline: &Baseline,
    run: &SuiteRun,
    comparisons: &[Vec<StepComparison>],
    scenarios: &mut [ScenarioVerdict],
    policy: &Policy,
) -> BaselineInfo {
    let mut used = vec![false; baseline.deviations.len()];
    let mut ran = vec![false; baseline.deviations.len()];
    let mut accepted = 0;
    for (i, (sc, srun)) in scenarios.iter_mut().zip(&run.scenarios).enumerate() {
        let cmps = comparisons.get(i).map(Vec::as_slice).unwrap_or_default();
        let entries: Vec<usize> = (0..baseline.deviations.len())
            .filter(|&i| baseline.deviations[i].applies_to(&srun.scenario.key))
            .collect();
        for &i in &entries {
            ran[i] = true;
        }
        if entries.is_empty() {
            continue;
        }
        for (pos, (step, srun_step)) in sc.steps.iter_mut().zip(&srun.steps).enumerate() {
            let here: Vec<usize> = entries
                .iter()
                .copied()
                .filter(|&i| baseline.deviations[i].applies_to_step(&srun_step.id))
                .collect();
            if here.is_empty() {
                continue;
            }
            let facts = Facts {
                step: srun_step,
                cmp: comparison(cmps, pos),
                policy,
            };
            accepted += apply_step(step, &facts, &here, baseline, &mut used);
        }
    }
    let stale = baseline
        .deviations
        .iter()
        .enumerate()
        .filter(|(i, _)| ran[*i] && !used[*i])
        .map(|(_, d)| StaleEntry {
            location: d.location(&baseline.file),
            scenario: d.scenario.clone(),
            step: d.step.clone(),
            pointer: d.pointer.clone(),
            kind: d.kind.as_ref().map(|k| k.as_str().to_string()),
            reason: d.reason.clone(),
        })
        .collect();
    let info = BaselineInfo {
        file: baseline.file.display().to_string(),
        target: baseline.target.clone(),
        entries: baseline.deviations.len(),
        accepted,
        stale,
        not_run: ran.iter().filter(|r| !**r).count(),
        todo_reasons: baseline
            .deviations
            .iter()
            .filter(|d| d.reason.trim() == TODO_REASON)
            .count(),
    };
    info
}

/// What a step's status is decided from, besides its differences.
struct Facts<'a> {
    step: &'a StepRun,
    cmp: Option<&'a StepComparison>,
    policy: &'a Policy,
}

/// Applies the entries `here` (indexes into the baseline) to one step. Returns how many items
/// were accepted.
fn apply_step(
    step: &mut StepVerdict,
    facts: &Facts<'_>,
    here: &[usize],
    baseline: &Baseline,
    used: &mut [bool],
) -> usize {
    let mut accepted = 0;
    // The step as a whole: the first entry that accepts its status takes everything under it.
    let whole = here
        .iter()
        .copied()
        .find(|&i| baseline.deviations[i].accepts_step(step.status));
    if let Some(i) = whole {
        let d = &baseline.deviations[i];
        let location = d.location(&baseline.file);
        // Every entry that accepts this status is in use (a `*` entry and a precise one alike).
        for &j in here {
            if baseline.deviations[j].accepts_step(step.status) {
                used[j] = true;
            }
        }
        step.baselined.push(BaselinedItem {
            difference: None,
            status: Some(step.status),
            reason: d.reason.clone(),
            location: location.clone(),
        });
        accepted += 1;
        for diff in std::mem::take(&mut step.differences) {
            // A more precise difference entry, when there is one, is the reason to show.
            let precise = here.iter().copied().find(|&j| {
                !baseline.deviations[j].accepts_step(step.status)
                    && baseline.deviations[j].accepts_difference(&diff)
            });
            let (reason, loc) = match precise {
                Some(j) => {
                    used[j] = true;
                    let e = &baseline.deviations[j];
                    (e.reason.clone(), e.location(&baseline.file))
                }
                None => (d.reason.clone(), location.clone()),
            };
            step.baselined.push(BaselinedItem {
                difference: Some(diff),
                status: None,
                reason,
                location: loc,
            });
            accepted += 1;
        }
        step.baselined_status = Some(step.status);
        step.status = Status::Baselined;
        return accepted;
    }
    // Difference by difference.
    let mut remaining = Vec::new();
    for diff in std::mem::take(&mut step.differences) {
        let mut hit = None;
        for &j in here {
            let e = &baseline.deviations[j];
            // Whole-step entries were handled above; here only difference entries count.
            if !e.is_whole_step() && e.accepts_difference(&diff) {
                used[j] = true;
                hit.get_or_insert(j);
            }
        }
        match hit {
            Some(j) => {
                let e = &baseline.deviations[j];
                step.baselined.push(BaselinedItem {
                    difference: Some(diff),
                    status: None,
                    reason: e.reason.clone(),
                    location: e.location(&baseline.file),
                });
                accepted += 1;
            }
            None => remaining.push(diff),
        }
    }
    step.differences = remaining;
    // Only steps that failed through their differences can change status here; a failed
    // expectation, a refusal or a target error stays what it is unless a status entry says so.
    if matches!(step.status, Status::Differ | Status::Warn)
        && !step.baselined.is_empty()
        && facts.step.failures.is_empty()
    {
        step.status = step_status(facts.step, facts.cmp, &step.differences, true, facts.policy);
    }
    accepted
}
