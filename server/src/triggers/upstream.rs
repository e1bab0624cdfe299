//! Pipeline triggers: when an execution ends, every enabled Pipeline trigger watching its
//! pipeline with that ending (successful, failed, canceled) starts its own pipeline, with the
//! ended execution as `trigger.parentExecution`. The started execution's id derives from the
//! ended one, and executions that ended in the hour before a start are looked at again, so an
//! ending seen just before a crash starts its pipelines once after it.

use std::sync::Arc;
use std::time::Duration;

use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus};
use gennaker_core::pipelines::triggers::{PipelineTrigger, TriggerSettings};
use gennaker_core::time::Timestamp;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::{Event, Triggers};

/// How far back endings are looked at again after a start.
const REPLAY: Duration = Duration::from_secs(3600);

/// Spinnaker's word for how an execution ended, as Pipeline triggers name it.
pub fn ending(status: ExecutionStatus) -> Option<&'static str> {
    match status {
        ExecutionStatus::Succeeded => Some("successful"),
        ExecutionStatus::Terminal | ExecutionStatus::FailedContinue => Some("failed"),
        ExecutionStatus::Canceled | ExecutionStatus::Stopped => Some("canceled"),
        _ => None,
    }
}

/// Listens for endings, and looks at the last hour's once.
pub fn watch(triggers: &Arc<Triggers>) {
    let weak = Arc::downgrade(triggers);
    triggers
        .engine
        .on_end(Box::new(move |execution: &Execution| {
            let Some(triggers) = weak.upgrade() else {
                return;
            };
            let execution = execution.clone();
            tokio::spawn(
                async move { ended(&triggers, &execution).await }
                    .instrument(tracing::info_span!("pipeline-triggers")),
            );
        }));
    let triggers = triggers.clone();
    tokio::spawn(
        async move {
            let since = Timestamp::now().as_millis() - REPLAY.as_millis() as i64;
            for execution in triggers
                .engine
                .ended_since(Timestamp::from_millis(since), 500)
                .await
            {
                ended(&triggers, &execution).await;
            }
        }
        .instrument(tracing::info_span!("pipeline-triggers")),
    );
}

/// Starts what `execution`'s ending starts.
pub async fn ended(triggers: &Triggers, execution: &Execution) {
    let Some(ending) = ending(execution.status) else {
        return;
    };
    let watching = triggers.index.of(|s| match s {
        TriggerSettings::Pipeline(p) => Some(p),
        _ => None,
    });
    for (watched, trigger) in watching {
        if !starts(&trigger, execution, ending) {
            continue;
        }
        let event = Event {
            fields: fields(execution),
            parameters: Map::new(),
            id: ExecutionId::derived(
                execution.end_time.unwrap_or(execution.build_time),
                &format!(
                    "pipeline/{}/{}/{}",
                    watched.pipeline_id, watched.key, execution.id
                ),
            ),
        };
        if let Err(error) = triggers.fire(&watched, event).await {
            tracing::warn!(pipeline = %watched.pipeline_name, "the end of {} started nothing: {error}", execution.name);
        }
    }
}

fn starts(trigger: &PipelineTrigger, execution: &Execution, ending: &str) -> bool {
    trigger.pipeline == execution.pipeline_config_id && trigger.statuses.iter().any(|s| s == ending)
}

/// Spinnaker's fields of a Pipeline trigger: the parent execution (without the pipeline it
/// ran, which it names by id) and its pipeline.
fn fields(execution: &Execution) -> Map<String, Value> {
    let mut parent = serde_json::to_value(execution).unwrap_or(Value::Null);
    if let Some(object) = parent.as_object_mut() {
        object.remove("pipelineConfig");
    }
    let mut fields = Map::new();
    fields.insert("parentExecution".into(), parent);
    fields.insert(
        "parentPipelineId".into(),
        json!(execution.pipeline_config_id),
    );
    fields.insert("parentPipelineName".into(), json!(execution.name));
    fields.insert(
        "parentPipelineApplication".into(),
        json!(execution.application),
    );
    fields.insert("parentStatus".into(), json!(execution.status.as_str()));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_are_spinnakers_words() {
        assert_eq!(ending(ExecutionStatus::Succeeded), Some("successful"));
        assert_eq!(ending(ExecutionStatus::Terminal), Some("failed"));
        assert_eq!(ending(ExecutionStatus::Canceled), Some("canceled"));
        assert_eq!(ending(ExecutionStatus::Running), None);
    }
}
