//! What every step is run with: the [`Executor`] (the cluster, the registries, Jenkins, the
//! task and step, progress reporting), the errors a Kubernetes call ends in, and the traits the
//! runner and the pipeline engine give it.

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::{Target, Task};
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::Api;
use serde_json::Value;

use crate::kubernetes::{self, Connection, Kubernetes};
use crate::store::StoreError;
use crate::tasks::outcome::{Outcome, StepError};

/// The output listing every server group a task created: `[{account, namespace, cluster, name}]`.
pub const DEPLOYED_OUTPUT: &str = "deployedServerGroups";

/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "gennaker";

pub type StepResult = Result<Outcome, StepError>;

/// Turns an API error met while doing `action` into the step's error.
pub(in crate::tasks) fn api_error(
    action: impl Into<String>,
) -> impl FnOnce(kube::Error) -> StepError {
    move |error| StepError::Kubernetes(kubernetes::Error::api(action, error))
}

pub(in crate::tasks) fn is_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

/// Reports progress of a running step (stored and shown live).
#[async_trait::async_trait]
pub trait Progress: Send + Sync {
    async fn report(&self, message: String);
    /// Records, durably, that the step is about to send a request; returns how many it had
    /// recorded before (more than 0: the receiver may have seen it already).
    async fn sending(&self) -> Result<u32, StoreError>;
    /// Records, durably and before the change is made, what the step is about to do to each
    /// named thing (see [`Step::did`](gennaker_core::tasks::model::Step::did)).
    async fn did(&self, done: Vec<(String, String)>) -> Result<(), StoreError>;
}

/// Why a Pipeline stage's child was not started.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("its execution {0} was canceled, so the pipeline was not started")]
    ParentCanceled(gennaker_core::ids::ExecutionId),
    /// The pipeline engine refused or failed to start it; its error says why.
    #[error("{0}")]
    NotStarted(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Runs the child pipelines of Pipeline stages (the pipeline engine).
#[async_trait::async_trait]
pub trait ChildPipelines: Send + Sync {
    /// Starts pipeline `pipeline` of `application` as execution `child`, run by stage
    /// `parent_stage` of execution `parent`; does nothing when `child` exists already.
    async fn start_child(
        &self,
        child: gennaker_core::ids::ExecutionId,
        application: &str,
        pipeline: &str,
        parameters: &serde_json::Map<String, Value>,
        parent: (gennaker_core::ids::ExecutionId, &str),
        user: &str,
    ) -> Result<(), ChildError>;

    /// The child's status, and why it failed when it did.
    async fn child_status(
        &self,
        child: gennaker_core::ids::ExecutionId,
    ) -> Option<(
        gennaker_core::pipelines::execution::ExecutionStatus,
        Option<String>,
    )>;

    /// What expressions of stage `stage_ref_id` of `execution` see now (a manifest read
    /// from an artifact is evaluated against it); `None` when there is no such stage.
    async fn expression_root(
        &self,
        execution: gennaker_core::ids::ExecutionId,
        stage_ref_id: &str,
    ) -> Option<Value>;
}

/// Runs one step of one task, once.
pub struct Executor<'a> {
    pub kubernetes: &'a Kubernetes,
    pub registries: &'a crate::registries::DockerRegistries,
    pub jenkins: &'a crate::jenkins::JenkinsMasters,
    /// For steps that read artifacts (Deploy (Manifest) from an artifact).
    pub artifacts: &'a crate::artifacts::ArtifactReader,
    pub task: &'a Task,
    pub step: &'a gennaker_core::tasks::model::Step,
    /// The step's place in the task.
    pub index: usize,
    pub progress: &'a dyn Progress,
    /// For webhooks.
    pub http: &'a reqwest::Client,
    /// For Pipeline stages; `None` until the pipeline engine runs.
    pub children: Option<&'a dyn ChildPipelines>,
}

impl Executor<'_> {
    /// Records, before a request leaves, that this step is sending it, and gives the
    /// request's `Idempotency-Key` and how many sends were recorded before this one (more
    /// than 0: the receiver may have had it already). A send that cannot be recorded is not
    /// made; the step tries again.
    pub(in crate::tasks) async fn record_sending(&self) -> Result<(String, u32), StepError> {
        let before = self
            .progress
            .sending()
            .await
            .map_err(|e| StepError::Webhook {
                message: format!(
                    "the request was not sent, as it could not be recorded first: {e}"
                ),
                retryable: true,
            })?;
        let key = crate::idempotency::step_key(self.task.id, self.index);
        if before > 0 {
            tracing::info!(idempotency_key = %key, "sending again with the same Idempotency-Key (the receiver may have it already)");
        }
        Ok((key, before))
    }

    pub(in crate::tasks) fn connection(
        &self,
        account: &str,
        namespace: &str,
    ) -> Result<&Connection, StepError> {
        Ok(self.kubernetes.connection_for(account, namespace)?)
    }

    pub(in crate::tasks) fn resolve(&self, target: &Target) -> Result<ObjectRef, StepError> {
        match target {
            Target::Named { server_group } => Ok(server_group.clone()),
            Target::Created { account, namespace } => match self.task.created_server_group() {
                Some(name) => Ok(ObjectRef {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    name: name.to_string(),
                }),
                None => Err(StepError::refused(
                    "no server group name was chosen by an earlier step",
                )),
            },
            Target::Picked { account, namespace } => match self.task.picked_server_group() {
                Some(name) => Ok(ObjectRef {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    name: name.to_string(),
                }),
                None => Err(StepError::refused(
                    "no server group was picked by an earlier step",
                )),
            },
        }
    }

    pub(in crate::tasks) fn replica_sets(
        &self,
        target: &ObjectRef,
    ) -> Result<(Api<ReplicaSet>, &Connection), StepError> {
        let connection = self.connection(&target.account, &target.namespace)?;
        Ok((
            Api::namespaced(connection.client.clone(), &target.namespace),
            connection,
        ))
    }
}
