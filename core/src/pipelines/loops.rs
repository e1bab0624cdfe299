//! Pipelines that would start themselves: a Pipeline stage that runs its own pipeline,
//! directly or through other pipelines' Pipeline stages, starts executions without end. Saving
//! refuses such a stage and names the chain. A target written as an expression cannot be seen
//! here; the engine bounds the depth of child executions for those.
//!
//! The walk is iterative (an explicit stack and a visited set), so no graph of pipelines can
//! overflow the stack, and it looks at each pipeline once.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{PipelineConfig, StageType};
use crate::error::FieldError;

/// The pipelines a configuration's Pipeline stages run: `(stage index, application, id or
/// name)`, the application being the pipeline's own when the stage names none. Targets that
/// are expressions are left out.
pub fn pipeline_stage_targets(config: &PipelineConfig) -> Vec<(usize, String, String)> {
    config
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| StageType::parse(&s.kind) == Some(StageType::Pipeline))
        .filter_map(|(i, s)| {
            let target = s.settings.get("pipeline")?.as_str()?.trim();
            let application = s
                .settings
                .get("application")
                .and_then(|a| a.as_str())
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .unwrap_or(&config.application);
            let is_expression = target.contains("${") || application.contains("${");
            (!target.is_empty() && !is_expression)
                .then(|| (i, application.to_string(), target.to_string()))
        })
        .collect()
}

/// One problem for each Pipeline stage of `saving` that leads back to it, with the chain of
/// pipeline names (`Deploy → Verify → Deploy`). `stored` are the other pipelines as they are
/// stored (a stored version of `saving` itself is ignored: `saving` replaces it).
pub fn self_starting_stages(saving: &PipelineConfig, stored: &[PipelineConfig]) -> Vec<FieldError> {
    let mut all: Vec<&PipelineConfig> = vec![saving];
    all.extend(stored.iter().filter(|p| p.id != saving.id));
    let by_id: BTreeMap<&str, usize> = all
        .iter()
        .enumerate()
        .rev()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let by_name: BTreeMap<(&str, &str), usize> = all
        .iter()
        .enumerate()
        .rev()
        .map(|(i, p)| ((p.application.as_str(), p.name.trim()), i))
        .collect();
    // As the engine finds a stage's pipeline: by id first, then by name in the application.
    let resolve = |application: &str, target: &str| {
        by_id
            .get(target)
            .or_else(|| by_name.get(&(application, target)))
            .copied()
    };
    let edges: Vec<Vec<usize>> = all
        .iter()
        .map(|p| {
            pipeline_stage_targets(p)
                .into_iter()
                .filter_map(|(_, app, target)| resolve(&app, &target))
                .collect()
        })
        .collect();
    let mut problems = Vec::new();
    for (stage, application, target) in pipeline_stage_targets(saving) {
        let Some(first) = resolve(&application, &target) else {
            continue;
        };
        let Some(path) = path_to_start(first, &edges) else {
            continue;
        };
        let mut names: Vec<&str> = vec![saving.name.trim()];
        names.extend(path.iter().map(|&i| all[i].name.trim()));
        let message = if first == 0 {
            format!(
                "This stage runs its own pipeline ({}), which would start executions without end; choose another pipeline.",
                saving.name.trim()
            )
        } else {
            format!(
                "This stage runs a pipeline that runs this one again ({}), which would start executions without end; remove one of these Pipeline stages.",
                names.join(" → ")
            )
        };
        problems.push(FieldError::new(
            &format!("stages[{stage}].pipeline"),
            message,
        ));
    }
    problems
}

/// The shortest path from `from` to pipeline 0 (the one being saved) along `edges`,
/// `from` first and 0 last.
fn path_to_start(from: usize, edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut seen = BTreeSet::from([from]);
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == 0 {
            let mut path = vec![0];
            let mut at = 0;
            while let Some(&before) = came_from.get(&at) {
                path.push(before);
                at = before;
            }
            path.reverse();
            return Some(path);
        }
        for &next in &edges[node] {
            if seen.insert(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pipeline(id: &str, name: &str, runs: &[&str]) -> PipelineConfig {
        let stages: Vec<_> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| json!({"refId": (i + 1).to_string(), "type": "pipeline", "name": format!("Run {r}"), "pipeline": r}))
            .collect();
        serde_json::from_value(
            json!({"id": id, "application": "app", "name": name, "stages": stages}),
        )
        .expect("a pipeline")
    }

    #[test]
    fn a_stage_running_its_own_pipeline_is_refused() {
        let saving = pipeline("x", "Loop", &["x"]);
        let problems = self_starting_stages(&saving, &[]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "stages[0].pipeline");
        assert!(
            problems[0].message.contains("its own pipeline (Loop)"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_loop_through_other_pipelines_names_the_chain_by_id_or_name() {
        let b = pipeline("b", "Verify", &["Promote"]);
        let c = pipeline("c", "Promote", &["a"]);
        let saving = pipeline("a", "Deploy", &["b"]);
        let problems = self_starting_stages(&saving, &[b, c]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("Deploy → Verify → Promote → Deploy"),
            "{problems:?}"
        );
    }

    #[test]
    fn chains_without_loops_and_expressions_pass() {
        let b = pipeline("b", "Verify", &["c"]);
        let c = pipeline("c", "Promote", &[]);
        let old_self = pipeline("a", "Deploy", &["a"]);
        let saving = pipeline("a", "Deploy", &["b", "${trigger.parameters.next}"]);
        assert!(self_starting_stages(&saving, &[b, c, old_self]).is_empty());
    }

    #[test]
    fn a_long_chain_is_walked_without_recursion() {
        let n = 50_000;
        let mut stored: Vec<PipelineConfig> = (1..n)
            .map(|i| {
                pipeline(
                    &format!("p{i}"),
                    &format!("P{i}"),
                    &[&format!("p{}", i + 1)],
                )
            })
            .collect();
        stored.push(pipeline(&format!("p{n}"), &format!("P{n}"), &["p0"]));
        let saving = pipeline("p0", "P0", &["p1"]);
        let problems = self_starting_stages(&saving, &stored);
        assert_eq!(problems.len(), 1);
    }
}
