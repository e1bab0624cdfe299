//! How the runner treats each step, said in one place: whether it waits for the cluster (and so
//! gives up after the runner's wait timeout), how a failure is retried, whether it takes outside
//! input, and whether its time counts toward the stage's timeout. [`StepAction::policy`] is one
//! exhaustive `match`, so a new step cannot be added without saying all of it.
//!
//! [`RetryPolicy`] is also how notification deliveries and the Kubernetes watchers back off.

use std::time::Duration;

use super::model::{CLUSTER_ATTEMPTS, SelectedAct, StepAction};

/// How often something that failed is tried again, and the pause before each retry: `first`,
/// doubling, never more than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 never retries.
    pub attempts: u32,
    pub first: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    /// Tried once: a failure is final.
    pub const ONCE: RetryPolicy = RetryPolicy {
        attempts: 1,
        first: Duration::ZERO,
        max: Duration::ZERO,
    };

    /// A step that calls a cluster, a webhook or Jenkins: 6 attempts, 2 s doubling to 30 s.
    pub const CALLS: RetryPolicy = RetryPolicy {
        attempts: CLUSTER_ATTEMPTS,
        first: Duration::from_secs(2),
        max: Duration::from_secs(30),
    };

    /// The pause before retry number `retry` (1 for the first retry).
    pub fn pause(&self, retry: u32) -> Duration {
        let doublings = retry.clamp(1, 32) - 1;
        self.first
            .checked_mul(2u32.saturating_pow(doublings))
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// Whether another attempt follows one that failed after `failed` failures in all.
    pub fn retries_after(&self, failed: u32) -> bool {
        failed < self.attempts
    }
}

/// Whether a step waits for the cluster to reach a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// Only a timeout of its own (a Manual Judgment's), if it has one.
    Own,
    /// It waits: without a timeout of its own it gives up after the runner's wait timeout.
    RunnerWait,
}

/// How the runner treats one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPolicy {
    pub timeout: Timeout,
    pub retry: RetryPolicy,
    /// It takes outside input while it runs (a judgment's decision, "skip the window").
    pub input: bool,
    /// Its time counts toward the stage's timeout (an execution window's wait does not).
    pub counts_toward_stage: bool,
}

impl StepPolicy {
    /// Calls the cluster or another system once and is done: retried when that can help.
    const CALL: StepPolicy = StepPolicy {
        timeout: Timeout::Own,
        retry: RetryPolicy::CALLS,
        input: false,
        counts_toward_stage: true,
    };
    /// Calls the cluster until it reaches a state, retried when a call fails.
    const WAIT: StepPolicy = StepPolicy {
        timeout: Timeout::RunnerWait,
        ..StepPolicy::CALL
    };
    /// Decided from the execution alone: trying again cannot change the answer.
    const DECIDE: StepPolicy = StepPolicy {
        retry: RetryPolicy::ONCE,
        ..StepPolicy::CALL
    };
    /// Waits for a person (or a time) and takes their input.
    const INPUT: StepPolicy = StepPolicy {
        input: true,
        ..StepPolicy::DECIDE
    };
}

impl StepAction {
    /// How the runner treats this step.
    pub fn policy(&self) -> StepPolicy {
        use StepAction as A;
        match self {
            A::CreateReplicaSet { .. }
            | A::WaitForHealthy { .. }
            | A::WaitForTraffic { .. }
            | A::WaitForDeleted { .. }
            | A::WaitForManifests { .. }
            | A::WaitForApplied { .. }
            | A::ForSelected {
                act: SelectedAct::WaitStable,
                ..
            }
            | A::ManifestStrategy { .. }
            | A::DestroyOtherServerGroups { .. }
            | A::DisableOtherServerGroups { .. }
            | A::ShrinkCluster { .. }
            | A::RollBackDeploy { .. }
            | A::WaitForServerGroupDeleted { .. }
            | A::DeleteClusterExcess { .. }
            | A::WaitForJob { .. }
            | A::WaitForJenkinsQueue { .. }
            | A::WaitForJenkinsBuild { .. } => StepPolicy::WAIT,
            A::ChooseServerGroupName { .. }
            | A::EnsurePullSecret { .. }
            | A::SetReplicas { .. }
            | A::SetTraffic { .. }
            | A::DeleteReplicaSet { .. }
            | A::Apply { .. }
            | A::ApplyArtifact { .. }
            | A::ApplyVersioned { .. }
            | A::RollingRestart { .. }
            | A::Delete { .. }
            | A::SelectManifests { .. }
            | A::BakeManifest { .. }
            | A::ForSelected { .. }
            | A::Scale { .. }
            | A::UndoRollout { .. }
            | A::CheckClusterSize { .. }
            | A::CallWebhook { .. }
            | A::MonitorWebhook { .. }
            | A::ScaleDownOtherServerGroups { .. }
            | A::PickServerGroup { .. }
            | A::ResizeServerGroup { .. }
            | A::FindImage { .. }
            | A::ScaleDownClusterExcess { .. }
            | A::ChooseRevision { .. }
            | A::UndoRolloutChosen { .. }
            | A::RecordRollingSource { .. }
            | A::DisableSourceShare { .. }
            | A::CreateJob { .. }
            | A::CheckJob { .. }
            | A::StartJenkinsJob { .. }
            | A::CheckJenkinsBuild { .. } => StepPolicy::CALL,
            A::Wait { .. } | A::Record { .. } | A::Precondition { .. } | A::RunPipeline { .. } => {
                StepPolicy::DECIDE
            }
            A::ManualJudgment { .. } => StepPolicy::INPUT,
            A::ExecutionWindow { .. } => StepPolicy {
                counts_toward_stage: false,
                ..StepPolicy::INPUT
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_their_limit() {
        let steps: Vec<u64> = (1..=6)
            .map(|n| RetryPolicy::CALLS.pause(n).as_secs())
            .collect();
        assert_eq!(steps, [2, 4, 8, 16, 30, 30]);
        let watcher = RetryPolicy {
            attempts: u32::MAX,
            first: Duration::from_millis(250),
            max: Duration::from_secs(1),
        };
        let millis: Vec<u128> = (1..=5).map(|n| watcher.pause(n).as_millis()).collect();
        assert_eq!(millis, [250, 500, 1000, 1000, 1000]);
        assert_eq!(RetryPolicy::CALLS.pause(u32::MAX), Duration::from_secs(30));
        assert!(RetryPolicy::CALLS.retries_after(5));
        assert!(!RetryPolicy::CALLS.retries_after(6));
        assert!(!RetryPolicy::ONCE.retries_after(1));
    }
}
