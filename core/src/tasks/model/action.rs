//! The step vocabulary: [`StepAction`], one typed instruction per thing a step does, and what
//! those instructions carry.

use serde::{Deserialize, Serialize};

use super::{
    Bake, ClusterCleanup, ImagePick, ManifestRef, ManifestSelector, Outputs, Resize,
    ServerGroupPick, Target, TrafficManagement, TrafficStrategy,
};
use crate::ids::ExecutionId;
use crate::infrastructure::server_groups::{ObjectRef, ServerGroupSpec};
use crate::pipelines::artifacts::Artifact;

/// One instruction of a task. Each is idempotent: run twice, it changes the cluster once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type",
    deny_unknown_fields
)]
pub enum StepAction {
    /// Picks the next free `-vNNN` in the cluster and records it in the task.
    ChooseServerGroupName {
        account: String,
        namespace: String,
        cluster: String,
    },
    /// Creates or updates the Secret that lets the namespace pull from a docker-registry account.
    EnsurePullSecret {
        account: String,
        namespace: String,
        registry: String,
        name: String,
    },
    /// Creates the ReplicaSet under the chosen name (nothing, if this task already did).
    CreateReplicaSet {
        spec: Box<ServerGroupSpec>,
        /// The image pull Secret its Pods use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pull_secret: Option<String>,
    },
    /// Waits until the server group has `replicas` (or its desired count of) Ready Pods.
    WaitForHealthy {
        target: Target,
        replicas: Option<i64>,
    },
    SetReplicas {
        target: Target,
        replicas: i64,
    },
    /// Adds (enable) or removes (disable) the attached Services' selector labels on the
    /// ReplicaSet's Pod template and on every Pod.
    SetTraffic {
        target: Target,
        enabled: bool,
    },
    /// Waits until no Service's endpoints include the server group's Pods (or all do).
    WaitForTraffic {
        target: Target,
        enabled: bool,
    },
    DeleteReplicaSet {
        target: Target,
    },
    WaitForDeleted {
        account: String,
        namespace: String,
        api_version: String,
        kind: String,
        name: String,
    },
    /// Server-side apply with field manager `gennaker`.
    Apply {
        account: String,
        namespace: String,
        documents: Vec<serde_json::Value>,
    },
    /// Deploy (Manifest) from an artifact: reads the artifact's manifests, evaluates their
    /// `${...}` against the stage unless told not to, binds `required` (each must bind) and
    /// `optional` artifacts, sets `namespace_override` on every object when given, and
    /// applies them server-side. Its outputs are Spinnaker's `outputs.manifests`,
    /// `outputs.manifestNamesByNamespace` and `outputs.boundArtifacts`.
    ApplyArtifact {
        account: String,
        namespace: String,
        namespace_override: Option<String>,
        artifact: Artifact,
        evaluate_expressions: bool,
        required: Vec<Artifact>,
        optional: Vec<Artifact>,
        /// `trafficManagement`: the ReplicaSet read is deployed as its cluster's next version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traffic: Option<TrafficManagement>,
    },
    /// Deploy (Manifest) with `trafficManagement`: the one ReplicaSet of `documents` is named
    /// as its cluster's next version (the one this task named before, when run again) and
    /// attached to the Services, then everything is applied server-side. Its outputs are
    /// those of `ApplyArtifact`, and the new version (`serverGroup`, `deployedServerGroups`).
    ApplyVersioned {
        account: String,
        namespace: String,
        documents: Vec<serde_json::Value>,
        traffic: TrafficManagement,
    },
    /// Red/Black or Highlander on the cluster of the version an earlier step deployed: takes
    /// the cluster's other versions out of their Services, or deletes them, and waits.
    ManifestStrategy {
        account: String,
        strategy: TrafficStrategy,
    },
    /// Waits until the objects an earlier step of the task applied (its
    /// `outputs.manifests`) are stable.
    WaitForApplied {
        account: String,
        namespace: String,
    },
    Delete {
        target: ManifestRef,
    },
    /// Bake (Manifest): renders the chart or kustomization with the real tool and records the
    /// result as an `embedded/base64` artifact (outputs `artifacts` and
    /// `resolvedExpectedArtifacts`). Rendering changes nothing, so rendering again after a
    /// crash is harmless.
    BakeManifest {
        bake: Box<Bake>,
    },
    /// Finds a manifest stage's objects now (the newest of a cluster, those labelled ...) and
    /// records them as Spinnaker's `outputs.manifestNamesByNamespace`, for the steps after it.
    SelectManifests {
        account: String,
        namespace: String,
        selector: ManifestSelector,
    },
    /// Acts on each object `SelectManifests` recorded.
    ForSelected {
        account: String,
        namespace: String,
        act: SelectedAct,
    },
    /// Sets `kubectl.kubernetes.io/restartedAt` on the object's Pod template to `restarted_at`
    /// (`kubectl rollout restart`): the same value again changes nothing.
    RollingRestart {
        target: ManifestRef,
        restarted_at: String,
    },
    Scale {
        target: ManifestRef,
        replicas: i64,
    },
    UndoRollout {
        deployment: ObjectRef,
        revision: i64,
    },
    /// Waits until `seconds` after the step started (a Wait stage).
    Wait {
        seconds: u64,
    },
    /// Waits for a person's decision; Continue succeeds, Stop fails the step.
    ManualJudgment {
        options: Vec<String>,
    },
    /// Hands values to later stages (Evaluate Variables, evaluated when the stage started).
    Record {
        outputs: Outputs,
    },
    /// A check made when the stage started (an expression, another stage's status): fails
    /// with `message` unless it passed.
    Precondition {
        passed: bool,
        message: String,
    },
    /// Compares how many server groups a cluster has with `expected`.
    CheckClusterSize {
        account: String,
        namespace: String,
        cluster: String,
        comparison: String,
        expected: u64,
        only_enabled: bool,
    },
    /// Starts pipeline `pipeline` as execution `execution` (nothing, if it exists already);
    /// with `wait`, waits until that execution ends and takes its status.
    RunPipeline {
        application: String,
        pipeline: String,
        parameters: serde_json::Map<String, serde_json::Value>,
        execution: ExecutionId,
        wait: bool,
        /// A strategy's pipeline: the server group the Deploy made is added to the parameters
        /// when the step runs (`deployedServerGroup`, ...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deployed: Option<Deployed>,
    },
    /// Calls a webhook; the status code, body and status URL become outputs.
    CallWebhook {
        request: Box<WebhookRequest>,
    },
    /// Polls the webhook's status until it reads a success, canceled or terminal status.
    MonitorWebhook {
        monitor: Box<WebhookMonitor>,
    },
    /// Waits until applied objects are there and stable (a Deployment rolled out).
    WaitForManifests {
        account: String,
        namespace: String,
        objects: Vec<ManifestRef>,
    },
    /// Deletes every server group of the cluster but the one this task created (Highlander),
    /// and waits until they are gone.
    DestroyOtherServerGroups {
        account: String,
        namespace: String,
        cluster: String,
    },
    /// Takes every server group of the cluster but the one this task created out of its load
    /// balancers (Red/Black), and waits until no traffic reaches them.
    DisableOtherServerGroups {
        account: String,
        namespace: String,
        cluster: String,
    },
    /// Keeps the newest `keep` server groups of the cluster, deleting older disabled ones.
    ShrinkCluster {
        account: String,
        namespace: String,
        cluster: String,
        keep: u64,
    },
    /// Resizes the disabled server groups of the cluster, but the one this task created, to 0.
    ScaleDownOtherServerGroups {
        account: String,
        namespace: String,
        cluster: String,
    },
    /// Picks the stage's server group from the cluster now and records it (`serverGroupName`,
    /// and the replicas it had as `originalCapacity`) for the steps after it.
    PickServerGroup {
        account: String,
        namespace: String,
        cluster: String,
        pick: ServerGroupPick,
    },
    /// Resizes a server group from the count it had when an earlier step picked it
    /// (`originalCapacity`), so a second run asks for the same count.
    ResizeServerGroup {
        target: Target,
        resize: Resize,
    },
    /// Waits until a server group's ReplicaSet and Pods are gone.
    WaitForServerGroupDeleted {
        target: Target,
    },
    /// Records the image(s) of one server group of the cluster as `deploymentDetails`.
    FindImage {
        account: String,
        namespace: String,
        cluster: String,
        pick: ImagePick,
        only_enabled: bool,
    },
    /// Shrink Cluster: deletes the server groups beyond those kept, and waits until they are gone.
    DeleteClusterExcess {
        cleanup: ClusterCleanup,
    },
    /// Scale Down Cluster: resizes the server groups beyond those kept to 0.
    ScaleDownClusterExcess {
        cleanup: ClusterCleanup,
    },
    /// Records which ReplicaSet of a Deployment is `revisions_back` revisions before the
    /// current one (`undoRollout`), so that the rollback after it is fixed even when run again.
    ChooseRevision {
        deployment: ObjectRef,
        revisions_back: u64,
    },
    /// Rolls the Deployment back to the Pod template of the ReplicaSet `ChooseRevision` recorded.
    UndoRolloutChosen {
        deployment: ObjectRef,
    },
    /// Waits until the stage's execution window opens (counted from the step's start), then
    /// `jitter_seconds` more; input `{"skipRemainingWait": true}` ends it at once. The wait
    /// does not count toward the stage's timeout.
    ExecutionWindow {
        window: crate::pipelines::windows::ExecutionWindow,
        jitter_seconds: u64,
    },
    /// Rolling Red/Black, before the new server group exists: records the newest enabled
    /// server group of the cluster (`rollingSource`), whose traffic moves to the new one.
    RecordRollingSource {
        account: String,
        namespace: String,
        cluster: String,
    },
    /// Rolling Red/Black: takes `percentage` % of the recorded source's Pods out of its load
    /// balancers (all of it, and its Pod template, at 100).
    DisableSourceShare {
        account: String,
        namespace: String,
        percentage: u64,
    },
    /// Creates a Job marked with the task's id (nothing, if this task created it already).
    CreateJob {
        account: String,
        namespace: String,
        manifest: serde_json::Value,
    },
    /// Waits until the Job has succeeded or failed, then records how it ended (`jobStatus`,
    /// `completionDetails`, `deploy.jobs`), its Pods' logs (`jobLogs`) and the output
    /// properties its log holds (`capture`). A failed Job is recorded here; `CheckJob` fails
    /// the stage after the Job is deleted, if the stage asked for that.
    WaitForJob {
        job: ManifestRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capture: Option<Capture>,
    },
    /// Fails with the Job's reason when the Job `WaitForJob` recorded failed, or when it gave
    /// no properties though the stage asked for them.
    CheckJob {
        job: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capture: Option<Capture>,
    },
    /// Starts a Jenkins job with parameters; records its queue item (`queuedBuild`).
    StartJenkinsJob {
        master: String,
        job: String,
        #[serde(default)]
        parameters: Vec<(String, String)>,
    },
    /// Waits until the queued build has started; records `buildNumber`.
    WaitForJenkinsQueue {
        master: String,
        job: String,
    },
    /// Waits until the build has finished; records `buildInfo` (number, url, result,
    /// artifacts) and, from the archived `property_file`, the output properties.
    WaitForJenkinsBuild {
        master: String,
        job: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        property_file: Option<String>,
    },
    /// Fails unless the recorded build succeeded (or was UNSTABLE and `unstable_is_success`),
    /// or when its property file could not be read.
    CheckJenkinsBuild {
        job: String,
        #[serde(default)]
        unstable_is_success: bool,
    },
    /// Rolls a failed deploy back: the newest server group of the cluster but `failed` takes
    /// the traffic again, and `failed` (the one the deploy created) is disabled and resized
    /// to 0.
    RollBackDeploy {
        account: String,
        namespace: String,
        cluster: String,
        failed: String,
    },
}

/// What a strategy's pipeline is told of the Deploy that runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployed {
    /// The server group the Deploy made.
    pub target: Target,
    /// Rolling Red/Black: how far the new server group has grown (`percentageComplete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<u64>,
}

/// The output naming the server group Rolling Red/Black moves traffic from.
pub const ROLLING_SOURCE_OUTPUT: &str = "rollingSource";

/// Where a Job's output properties are read: lines `SPINNAKER_PROPERTY_NAME=value` and
/// `SPINNAKER_CONFIG_JSON={...}` in one container's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Capture {
    pub container: String,
    /// Whether a log without any property fails the stage (Run Job's `propertyFile`), or is
    /// simply nothing to hand on (a Script's).
    pub required: bool,
}

/// The output of the Job's outcome, as Spinnaker names it.
pub const JOB_STATUS_OUTPUT: &str = "jobStatus";
/// The output with the Job's Pods' logs: `[{pod, container, log, truncated}]`.
pub const JOB_LOGS_OUTPUT: &str = "jobLogs";

/// A webhook call, with what decides its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRequest {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    /// Status codes that fail the stage at once.
    #[serde(default)]
    pub fail_fast_status_codes: Vec<u64>,
    /// Status codes that are tried again.
    #[serde(default)]
    pub retry_status_codes: Vec<u64>,
}

/// How a webhook's status is followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookMonitor {
    /// `getMethod`, `locationHeader` or `webhookResponse` (then `status_url_json_path`).
    pub status_url_resolution: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_url_json_path: Option<String>,
    pub status_json_path: String,
    pub success_statuses: Vec<String>,
    pub canceled_statuses: Vec<String>,
    pub terminal_statuses: Vec<String>,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Seconds between two looks at the status.
    pub poll_seconds: u64,
}

/// What a step does to each object an earlier step selected; each is safe to run again, as
/// its counterpart for a named object is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "act",
    deny_unknown_fields
)]
pub enum SelectedAct {
    Delete,
    Scale {
        replicas: i64,
    },
    RollingRestart {
        restarted_at: String,
    },
    /// Undo Rollout: records the revision `revisions_back` before the selected Deployment's.
    ChooseRevision {
        revisions_back: u64,
    },
    /// Undo Rollout: rolls the selected Deployment back to the recorded revision.
    UndoChosen,
    /// Waits until every selected object is stable.
    WaitStable,
}
