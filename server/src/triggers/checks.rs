//! What only the server can check of a pipeline's triggers before it is saved: patterns are
//! regular expressions, CRON expressions and time zones parse, the secrets they name exist, and
//! a pipeline does not trigger itself.

use gennaker_core::error::FieldError;
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::triggers::{self, TriggerSettings};

use super::full_match;

/// What the checks look names up in.
pub struct Known<'a> {
    pub secrets: &'a [String],
}

fn one_of(what: &str, name: &str, known: &[String], fix: &str) -> Option<String> {
    if known.iter().any(|k| k == name) {
        return None;
    }
    Some(if known.is_empty() {
        format!("There is no {what} {name:?}, and none is configured: {fix}.")
    } else {
        format!(
            "There is no {what} {name:?}; the {what}s are: {}.",
            known.join(", ")
        )
    })
}

/// Every problem of `config`'s triggers and notifications the server sees (the shape is
/// checked by the model).
pub fn problems(config: &PipelineConfig, known: &Known<'_>) -> Vec<FieldError> {
    let mut found = Vec::new();
    for (path, secret) in gennaker_core::pipelines::notifications::secret_names(config) {
        if let Some(problem) = one_of(
            "secret",
            &secret,
            known.secrets,
            "add it to the server's configuration as [[secrets]] with a file or env",
        ) {
            found.push(FieldError::new(&path, problem));
        }
    }
    for (i, trigger) in config.triggers.iter().flatten().enumerate() {
        let path = format!("triggers[{i}]");
        let Some(settings) = triggers::read(trigger, &path, &mut Vec::new()) else {
            continue;
        };
        let mut note = |field: &str, problem: String| {
            found.push(FieldError::new(&format!("{path}.{field}"), problem));
        };
        let mut pattern = |field: &str, text: &str| {
            if !text.is_empty()
                && let Err(problem) = full_match(text)
            {
                note(field, problem);
            }
        };
        match &settings {
            TriggerSettings::Docker(docker) => pattern("tag", &docker.tag),
            TriggerSettings::Git(git) => pattern("branch", &git.branch),
            TriggerSettings::Webhook(webhook) => {
                for (field, regex) in &webhook.constraints {
                    pattern(&format!("payloadConstraints.{field}"), regex);
                }
            }
            _ => {}
        }
        let secret_name = match &settings {
            TriggerSettings::Webhook(w) => w.secret_name.as_str(),
            TriggerSettings::Git(g) => g.secret_name.as_str(),
            _ => "",
        };
        if !secret_name.is_empty()
            && let Some(problem) = one_of(
                "secret",
                secret_name,
                known.secrets,
                "add it to the server's configuration as [[secrets]] with a file or env",
            )
        {
            note("secretName", problem);
        }
        // A registry account or Jenkins master a trigger names is not checked here: a pipeline
        // brought from Spinnaker names that installation's, and must still import. The editor
        // offers only configured ones; a trigger naming another shows why it never fires (the
        // Docker trigger's watch status, the log).
        match settings {
            TriggerSettings::Cron(cron) => {
                if let Err(problem) = crate::tasks::windows::zone(&cron.time_zone) {
                    note("timeZone", problem.to_string());
                } else if let Err(problem) =
                    super::cron::parse(&cron.expression, &cron.id, &cron.time_zone)
                {
                    note("cronExpression", problem);
                }
            }
            TriggerSettings::Pipeline(upstream) => {
                if !config.id.is_empty() && upstream.pipeline == config.id {
                    note(
                        "pipeline",
                        "A pipeline cannot be triggered by its own end: choose another pipeline."
                            .to_string(),
                    );
                }
            }
            TriggerSettings::Docker(_)
            | TriggerSettings::Jenkins(_)
            | TriggerSettings::Webhook(_)
            | TriggerSettings::Git(_) => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_patterns_and_expressions_are_checked() {
        let config: PipelineConfig = serde_json::from_value(json!({
            "id": "p1", "application": "shop", "name": "p",
            "triggers": [
                {"type": "docker", "account": "nope", "repository": "team/web", "tag": "v(1"},
                {"type": "cron", "cronExpression": "0 25 * * *", "timeZone": "Europe/Berlin"},
                {"type": "cron", "cronExpression": "0 0 * * *", "timeZone": "Nowhere/Land"},
                {"type": "webhook", "source": "ci", "secretName": "missing"},
                {"type": "pipeline", "application": "shop", "pipeline": "p1", "status": ["successful"]}
            ]
        }))
        .expect("config");
        let secrets = vec!["ci-hook".to_string()];
        let known = Known { secrets: &secrets };
        let fields: Vec<String> = problems(&config, &known)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "triggers[0].tag",
                "triggers[1].cronExpression",
                "triggers[2].timeZone",
                "triggers[3].secretName",
                "triggers[4].pipeline"
            ]
        );
    }
}
