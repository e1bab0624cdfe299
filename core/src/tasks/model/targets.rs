//! What a step acts on: a server group (named, or picked when the step runs), how it is resized,
//! which image is read, and a cluster to clean up.

use serde::{Deserialize, Serialize};

use crate::infrastructure::server_groups::ObjectRef;

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
