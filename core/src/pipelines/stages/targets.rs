//! What the stages that act on a cluster or on one Kubernetes object share, with Deck's field
//! names: the cluster (`credentials`, `namespaces[0]` or `regions[0]`, `cluster`), which server group
//! (`target` or `serverGroupName`), a cleanup's settings, one object (`account`, `location`,
//! `manifestName`), and the account of a stage that runs a Job.

use serde_json::Value;

use crate::pipelines::reader::Reader;
use crate::tasks::model::ServerGroupPick;

/// A cluster of an account and namespace, as the cluster stages name it (`credentials`,
/// `namespaces[0]` or `regions[0]`, `cluster`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterRef {
    pub account: String,
    pub namespace: String,
    pub cluster: String,
}

/// The server group a server group stage acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterTarget {
    pub cluster: ClusterRef,
    pub pick: ServerGroupPick,
}

/// Shrink Cluster's and Scale Down Cluster's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleanup {
    pub cluster: ClusterRef,
    pub keep: u64,
    pub prefer_larger: bool,
    pub allow_active: bool,
}

/// The Kubernetes object a manifest stage acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestTarget {
    pub account: String,
    pub namespace: String,
    /// `kind name`, as Spinnaker writes `manifestName` ("deployment web").
    pub kind: String,
    pub name: String,
}

/// The first of a list of text, or the text itself (`namespaces: ["prod"]` or `namespace: "prod"`).
pub(super) fn first_text(r: &mut Reader<'_>, key: &str) -> Option<String> {
    match r.raw(key) {
        Some(Value::Array(_)) => r.texts(key).into_iter().next(),
        Some(_) => r.text(key),
        None => None,
    }
    .filter(|t| !t.is_empty())
}

/// The cluster a cluster stage names; `cluster` may be left out when `need_cluster` is false.
pub(super) fn cluster_ref(r: &mut Reader<'_>, need_cluster: bool) -> ClusterRef {
    let account = match r.text("credentials").filter(|a| !a.is_empty()) {
        Some(account) => account,
        None => r
            .required_text("account", "the Kubernetes account (credentials)")
            .unwrap_or_default(),
    };
    let namespace = ["namespaces", "regions", "namespace", "location"]
        .into_iter()
        .find_map(|key| first_text(r, key));
    if namespace.is_none() {
        r.fail("namespaces", "Give the namespace of the cluster.");
    }
    let cluster = if need_cluster {
        r.required_text("cluster", "the cluster (such as web-main)")
    } else {
        r.text("cluster")
    };
    ClusterRef {
        account,
        namespace: namespace.unwrap_or_default(),
        cluster: cluster.unwrap_or_default(),
    }
}

/// A server group stage's `target`, or the server group it names (`serverGroupName`).
pub(super) fn cluster_target(r: &mut Reader<'_>) -> ClusterTarget {
    let named = r.text("serverGroupName").filter(|n| !n.is_empty());
    let target = r.text("target").filter(|t| !t.is_empty());
    let pick = match (target, named) {
        (Some(target), named) => ServerGroupPick::parse(&target)
            .or_else(|| named.clone().map(|name| ServerGroupPick::Named { name }))
            .unwrap_or_else(|| {
                r.fail(
                    "target",
                    format!("{target:?} is not a target: use current_asg_dynamic (newest), ancestor_asg_dynamic (previous), oldest_asg_dynamic, largest_asg_dynamic, or name the server group in serverGroupName."),
                );
                ServerGroupPick::Newest
            }),
        (None, Some(name)) => ServerGroupPick::Named { name },
        (None, None) => {
            r.fail(
                "target",
                "Choose the server group: the newest, previous, oldest or largest of the cluster, or one by name.",
            );
            ServerGroupPick::Newest
        }
    };
    let need_cluster = !matches!(pick, ServerGroupPick::Named { .. });
    ClusterTarget {
        cluster: cluster_ref(r, need_cluster),
        pick,
    }
}

pub(super) fn cleanup(
    r: &mut Reader<'_>,
    keep: &str,
    prefer_larger: &str,
    allow_active: &str,
) -> Cleanup {
    let cluster = cluster_ref(r, true);
    Cleanup {
        cluster,
        keep: r.count(keep).unwrap_or(1),
        prefer_larger: r.flag(prefer_larger).unwrap_or(false),
        allow_active: r.flag(allow_active).unwrap_or(false),
    }
}

/// `manifestName` ("deployment web") in `location` of `account`.
pub(super) fn manifest_target(r: &mut Reader<'_>) -> ManifestTarget {
    let account = r
        .required_text("account", "the Kubernetes account")
        .unwrap_or_default();
    let namespace = r
        .required_text("location", "the namespace")
        .unwrap_or_default();
    let target = r
        .required_text(
            "manifestName",
            "the object, as kind and name (deployment web)",
        )
        .unwrap_or_default();
    let (kind, name) = match target.trim().split_once(char::is_whitespace) {
        Some((kind, name)) => (kind.trim().to_string(), name.trim().to_string()),
        None if target.contains("${") || target.is_empty() => (String::new(), target),
        None => {
            r.fail(
                "manifestName",
                format!("Write the object as kind and name, such as \"deployment {target}\"."),
            );
            (String::new(), target)
        }
    };
    ManifestTarget {
        account,
        namespace,
        kind,
        name,
    }
}

/// The Kubernetes account of a stage that runs a Job: `account`, or `credentials`.
pub(super) fn account(r: &mut Reader<'_>) -> String {
    let named = ["account", "credentials"]
        .into_iter()
        .find_map(|key| r.text(key).filter(|a| !a.trim().is_empty()));
    named.unwrap_or_else(|| {
        r.fail("account", "Give the Kubernetes account.");
        String::new()
    })
}
