//! Durable tasks: an operation a user asked for, planned as a sequence of steps. The task and
//! every step's status are stored, so a restarted server resumes a running task at the step it
//! was on. Each step is a typed instruction ([`StepAction`]) that is safe to run again: a step
//! that changes the cluster first checks whether its change is already there.
//!
//! The pipeline engine builds on the same pieces: a stage will be a task's worth of steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ExecutionId, TaskId};
use crate::infrastructure::load_balancers::{LoadBalancerSpec, SecurityGroupSpec};
use crate::infrastructure::server_groups::{ObjectRef, ServerGroupSpec};
use crate::time::Timestamp;

/// What a user (or a pipeline stage) asks Gennaker to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type",
    deny_unknown_fields
)]
pub enum Operation {
    CreateServerGroup {
        spec: Box<ServerGroupSpec>,
    },
    ResizeServerGroup {
        application: String,
        server_group: ObjectRef,
        replicas: i64,
    },
    DisableServerGroup {
        application: String,
        server_group: ObjectRef,
    },
    EnableServerGroup {
        application: String,
        server_group: ObjectRef,
    },
    DestroyServerGroup {
        application: String,
        server_group: ObjectRef,
    },
    /// Enable `restore`, wait until it is healthy, then disable `current`.
    RollbackServerGroup {
        application: String,
        current: ObjectRef,
        restore: ObjectRef,
    },
    UpsertLoadBalancer {
        spec: LoadBalancerSpec,
    },
    DeleteLoadBalancer {
        application: String,
        load_balancer: ObjectRef,
    },
    UpsertSecurityGroup {
        spec: SecurityGroupSpec,
    },
    DeleteSecurityGroup {
        application: String,
        security_group: ObjectRef,
    },
    /// Server-side apply of YAML or JSON documents (separated by `---`).
    ApplyManifest {
        application: String,
        account: String,
        namespace: String,
        manifest: String,
    },
    DeleteManifest {
        application: String,
        target: ManifestRef,
    },
    ScaleManifest {
        application: String,
        target: ManifestRef,
        replicas: i64,
    },
    /// Rolls a Deployment back to the Pod template of one of its revisions.
    UndoRollout {
        application: String,
        deployment: ObjectRef,
        revision: i64,
    },
}

/// Any Kubernetes object: `kind` is `Deployment`, `deployment`, `deployment.apps` or
/// `Deployment.v1.apps`, as kubectl accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestRef {
    pub account: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
}

impl Operation {
    /// The application the operation belongs to.
    pub fn application(&self) -> &str {
        match self {
            Operation::CreateServerGroup { spec } => &spec.application,
            Operation::UpsertLoadBalancer { spec } => &spec.application,
            Operation::UpsertSecurityGroup { spec } => &spec.application,
            Operation::ResizeServerGroup { application, .. }
            | Operation::DisableServerGroup { application, .. }
            | Operation::EnableServerGroup { application, .. }
            | Operation::DestroyServerGroup { application, .. }
            | Operation::RollbackServerGroup { application, .. }
            | Operation::DeleteLoadBalancer { application, .. }
            | Operation::DeleteSecurityGroup { application, .. }
            | Operation::ApplyManifest { application, .. }
            | Operation::DeleteManifest { application, .. }
            | Operation::ScaleManifest { application, .. }
            | Operation::UndoRollout { application, .. } => application,
        }
    }

    /// The account the operation changes.
    pub fn account(&self) -> &str {
        match self {
            Operation::CreateServerGroup { spec } => &spec.account,
            Operation::UpsertLoadBalancer { spec } => &spec.account,
            Operation::UpsertSecurityGroup { spec } => &spec.account,
            Operation::ApplyManifest { account, .. } => account,
            Operation::DeleteManifest { target, .. } | Operation::ScaleManifest { target, .. } => {
                &target.account
            }
            Operation::ResizeServerGroup { server_group, .. }
            | Operation::DisableServerGroup { server_group, .. }
            | Operation::EnableServerGroup { server_group, .. }
            | Operation::DestroyServerGroup { server_group, .. } => &server_group.account,
            Operation::RollbackServerGroup { current, .. } => &current.account,
            Operation::DeleteLoadBalancer { load_balancer, .. } => &load_balancer.account,
            Operation::DeleteSecurityGroup { security_group, .. } => &security_group.account,
            Operation::UndoRollout { deployment, .. } => &deployment.account,
        }
    }

    /// What the task list calls it: "Resize web-v001 to 3".
    pub fn description(&self) -> String {
        match self {
            Operation::CreateServerGroup { spec } => {
                format!("Create server group in {} ({})", spec.cluster(), spec.image)
            }
            Operation::ResizeServerGroup {
                server_group,
                replicas,
                ..
            } => format!("Resize {} to {replicas}", server_group.name),
            Operation::DisableServerGroup { server_group, .. } => {
                format!("Disable {}", server_group.name)
            }
            Operation::EnableServerGroup { server_group, .. } => {
                format!("Enable {}", server_group.name)
            }
            Operation::DestroyServerGroup { server_group, .. } => {
                format!("Destroy {}", server_group.name)
            }
            Operation::RollbackServerGroup {
                current, restore, ..
            } => format!("Roll back {} to {}", current.name, restore.name),
            Operation::UpsertLoadBalancer { spec } => format!("Save load balancer {}", spec.name()),
            Operation::DeleteLoadBalancer { load_balancer, .. } => {
                format!("Delete load balancer {}", load_balancer.name)
            }
            Operation::UpsertSecurityGroup { spec } => {
                format!("Save security group {}", spec.name())
            }
            Operation::DeleteSecurityGroup { security_group, .. } => {
                format!("Delete security group {}", security_group.name)
            }
            Operation::ApplyManifest { namespace, .. } => format!("Apply manifest in {namespace}"),
            Operation::DeleteManifest { target, .. } => {
                format!("Delete {} {}", target.kind, target.name)
            }
            Operation::ScaleManifest {
                target, replicas, ..
            } => format!("Scale {} {} to {replicas}", target.kind, target.name),
            Operation::UndoRollout {
                deployment,
                revision,
                ..
            } => format!("Undo rollout of {} to revision {revision}", deployment.name),
        }
    }
}

/// Where a step or task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    NotStarted,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl Status {
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Canceled)
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "Not started",
            Status::Running => "Running",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Canceled => "Canceled",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            Status::NotStarted => "not-started",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }
}

/// Which server group a step acts on: a named one, or the one this task created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Target {
    Named {
        server_group: ObjectRef,
    },
    /// The server group named by this task's "choose a name" step.
    Created {
        account: String,
        namespace: String,
    },
    /// The server group an earlier step of this task picked from its cluster (a stage's
    /// target: the newest, the previous, ...).
    Picked {
        account: String,
        namespace: String,
    },
}

/// Which server group of a cluster a stage acts on, picked when it runs: Deck's `target`
/// (`current_asg_dynamic`, ...) or a `serverGroupName`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum ServerGroupPick {
    /// The highest version.
    Newest,
    /// The one before the newest.
    Previous,
    Oldest,
    /// The most replicas asked for (the newest of equals).
    Largest,
    Named {
        name: String,
    },
}

impl ServerGroupPick {
    /// The dynamic targets, with Deck's value and label.
    pub const DYNAMIC: [(ServerGroupPick, &'static str, &'static str); 4] = [
        (
            ServerGroupPick::Newest,
            "current_asg_dynamic",
            "Newest server group",
        ),
        (
            ServerGroupPick::Previous,
            "ancestor_asg_dynamic",
            "Previous server group",
        ),
        (
            ServerGroupPick::Oldest,
            "oldest_asg_dynamic",
            "Oldest server group",
        ),
        (
            ServerGroupPick::Largest,
            "largest_asg_dynamic",
            "Largest server group",
        ),
    ];

    /// Deck's `target` value (`current_asg_dynamic`; older exports write `current_asg`).
    pub fn parse(target: &str) -> Option<ServerGroupPick> {
        let target = target.trim();
        let target = target.strip_suffix("_dynamic").unwrap_or(target);
        Self::DYNAMIC
            .into_iter()
            .find(|(_, value, _)| value.strip_suffix("_dynamic") == Some(target))
            .map(|(pick, _, _)| pick)
    }

    /// "the newest server group", "web-v002".
    pub fn describe(&self) -> String {
        match self {
            ServerGroupPick::Named { name } => name.clone(),
            dynamic => Self::DYNAMIC
                .iter()
                .find(|(pick, _, _)| pick == dynamic)
                .map(|(_, _, label)| format!("the {}", label.to_lowercase()))
                .unwrap_or_default(),
        }
    }
}

/// How a Resize Server Group stage changes the replica count: to an exact count, or up or
/// down (a negative number) by a count or by a percentage of the count it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Resize {
    Exact { replicas: i64 },
    By { delta: i64 },
    Percent { percent: i64 },
}

impl Resize {
    /// The count after the change, from `current` (never below 0). A percentage is of the
    /// current count, rounded up, as Spinnaker does: 3 up by 50 % is 5.
    pub fn apply(self, current: i64) -> i64 {
        let changed = match self {
            Resize::Exact { replicas } => replicas,
            Resize::By { delta } => current.saturating_add(delta),
            Resize::Percent { percent } => {
                let step = (current.max(0) * percent.abs() + 99) / 100;
                if percent >= 0 {
                    current.saturating_add(step)
                } else {
                    current - step
                }
            }
        };
        changed.max(0)
    }

    pub fn describe(self) -> String {
        match self {
            Resize::Exact { replicas } => format!("to {replicas}"),
            Resize::By { delta } if delta >= 0 => format!("up by {delta}"),
            Resize::By { delta } => format!("down by {}", -delta),
            Resize::Percent { percent } if percent >= 0 => format!("up by {percent} %"),
            Resize::Percent { percent } => format!("down by {} %", -percent),
        }
    }
}

/// Which server group's image Find Image from Cluster takes (Deck's `selectionStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImagePick {
    Newest,
    Largest,
    Oldest,
    /// Fail when the server groups run more than one image.
    Fail,
}

impl ImagePick {
    pub const ALL: [(ImagePick, &'static str, &'static str); 4] = [
        (ImagePick::Newest, "NEWEST", "Newest"),
        (ImagePick::Largest, "LARGEST", "Largest"),
        (ImagePick::Oldest, "OLDEST", "Oldest"),
        (ImagePick::Fail, "FAIL", "Fail if more than one image"),
    ];

    pub fn parse(text: &str) -> Option<ImagePick> {
        Self::ALL
            .into_iter()
            .find(|(_, value, _)| value.eq_ignore_ascii_case(text.trim()))
            .map(|(pick, _, _)| pick)
    }
}

/// What Shrink Cluster and Scale Down Cluster keep: the first `keep` server groups of the
/// cluster, larger first with `prefer_larger`, else newest first; the server groups this
/// execution deployed (`exclude`) count as kept and are never touched. The others are
/// deleted (shrink) or resized to 0 (scale down), active ones only with `allow_active`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterCleanup {
    pub account: String,
    pub namespace: String,
    pub cluster: String,
    pub keep: u64,
    #[serde(default)]
    pub prefer_larger: bool,
    #[serde(default)]
    pub allow_active: bool,
    #[serde(default)]
    pub exclude: Vec<String>,
}

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
    Delete {
        target: ManifestRef,
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

/// Why a running step is not running at this moment. Stored, so a restarted server waits for
/// the same thing until the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Waiting {
    /// Runs again at `until` (the end of a Wait).
    Until { until: Timestamp },
    /// The last attempt failed with an error worth retrying; the next attempt is at `until`.
    Retry { until: Timestamp, error: String },
    /// Waits for a person's input (a Manual Judgment's decision).
    Input,
}

impl Waiting {
    /// When the step runs again by itself, if it does.
    pub fn until(&self) -> Option<Timestamp> {
        match self {
            Waiting::Until { until } | Waiting::Retry { until, .. } => Some(*until),
            Waiting::Input => None,
        }
    }
}

/// How many attempts a step that calls a cluster gets when it fails with an error worth
/// retrying (a stale resourceVersion, an unreachable or throttling API server).
pub const CLUSTER_ATTEMPTS: u32 = 6;

/// A step of a task, with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the user sees: "Wait for 2/2 Pods to be Ready".
    pub label: String,
    pub action: StepAction,
    pub status: Status,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Progress while it runs ("1 of 2 Ready"), or why it failed.
    pub message: Option<String>,
    /// How long the step may take, when it must not take the runner's default for waiting
    /// steps (a Manual Judgment's own timeout, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// When the step gives up: fixed when it starts, so a restart does not extend it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// What the running step waits for, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
    /// Attempts that failed with an error worth retrying, so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u32,
    /// The most attempts the step gets: a failure worth retrying is retried, with a growing
    /// pause, until this many have failed.
    #[serde(default = "cluster_attempts")]
    pub max_attempts: u32,
    /// Outside input once given (a Manual Judgment's decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    /// Requests this step may have sent (a webhook call), each recorded before it leaves: a
    /// step that runs again after a restart knows a receiver may see the request twice.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sent: u32,
    /// What earlier runs of this step did, by the name of what they acted on: "Destroyed
    /// web-v000 (was serving 2 Pods)". Recorded before the change, so the step's last message
    /// can say it once the thing is gone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub did: BTreeMap<String, String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Steps stored before the limit was stated all call the cluster.
fn cluster_attempts() -> u32 {
    CLUSTER_ATTEMPTS
}

impl Step {
    /// A step that has not started, with the attempts its [policy](StepAction::policy) gives.
    pub fn new(label: impl Into<String>, action: StepAction) -> Step {
        let max_attempts = action.policy().retry.attempts;
        Step {
            label: label.into(),
            action,
            status: Status::NotStarted,
            started_at: None,
            ended_at: None,
            message: None,
            timeout_ms: None,
            deadline: None,
            waiting: None,
            failed_attempts: 0,
            max_attempts,
            input: None,
            sent: 0,
            did: BTreeMap::new(),
        }
    }

    /// The same step with its own timeout.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Step {
        self.timeout_ms = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }
}

/// Where a task comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Origin {
    /// An operation a user asked for, from a dialog or `POST /api/v1/tasks`.
    Operation { operation: Operation },
    /// The steps of one stage of a pipeline execution.
    Stage {
        execution: ExecutionId,
        stage_ref_id: String,
    },
}

/// Values steps hand to later steps and, for a stage's task, to later stages: a JSON object,
/// like a Spinnaker stage's `outputs`.
pub type Outputs = serde_json::Map<String, serde_json::Value>;

/// The output naming the server group a task created.
pub const SERVER_GROUP_OUTPUT: &str = "serverGroup";

/// The output naming the server group a stage picked and acted on (Spinnaker's name).
pub const PICKED_OUTPUT: &str = "serverGroupName";

/// A durable task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Sortable by creation time.
    pub id: TaskId,
    pub application: String,
    pub description: String,
    pub origin: Origin,
    pub steps: Vec<Step>,
    pub status: Status,
    pub created_by: String,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Someone asked to cancel; the task stops before its next step.
    pub cancel_requested: bool,
    /// What the steps produced, for later steps and stages (the chosen server group name).
    #[serde(default)]
    pub outputs: Outputs,
    /// Why the task failed: the failed step's message.
    pub error: Option<String>,
    /// When the whole task gives up (a pipeline stage's timeout); moved on by pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Set while the task is paused (its pipeline execution is): no step runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<Timestamp>,
}

impl Task {
    /// The step running now, or the next to run.
    pub fn current_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.status.is_finished())
    }

    /// The server group an earlier step of this task created.
    pub fn created_server_group(&self) -> Option<&str> {
        self.outputs
            .get(SERVER_GROUP_OUTPUT)
            .and_then(serde_json::Value::as_str)
    }

    /// The server group an earlier step of this task picked.
    pub fn picked_server_group(&self) -> Option<&str> {
        self.outputs
            .get(PICKED_OUTPUT)
            .and_then(serde_json::Value::as_str)
    }
}
