//! The operations a user asks for from a dialog or `POST /api/v1/tasks`.

use serde::{Deserialize, Serialize};

use crate::infrastructure::load_balancers::{LoadBalancerSpec, SecurityGroupSpec};
use crate::infrastructure::server_groups::{ObjectRef, ServerGroupSpec};

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
