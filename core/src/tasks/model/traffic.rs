//! Deploy (Manifest)'s `trafficManagement`: the one ReplicaSet of the manifests is deployed as
//! the next version of its cluster (`web-v003`) behind Services, and a strategy then acts on the
//! cluster's other versions: Red/Black takes them out of the Services, Highlander deletes them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrafficManagement {
    /// The Services' names (Spinnaker writes `service web`).
    pub services: Vec<String>,
    /// Where the Services are, when not the ReplicaSet's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The new version's Pods get the Services' selector labels.
    pub enable_traffic: bool,
    pub strategy: TrafficStrategy,
}

/// `trafficManagement.options.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrafficStrategy {
    /// Only the new version is deployed.
    None,
    /// The others are taken out of the Services once the new version is healthy.
    RedBlack,
    /// The others are deleted once the new version is healthy.
    Highlander,
}

impl TrafficStrategy {
    pub fn parse(text: &str) -> Option<TrafficStrategy> {
        match text.trim() {
            "" | "none" => Some(TrafficStrategy::None),
            "redblack" => Some(TrafficStrategy::RedBlack),
            "highlander" => Some(TrafficStrategy::Highlander),
            _ => None,
        }
    }

    /// "Red/Black".
    pub fn label(self) -> &'static str {
        match self {
            TrafficStrategy::None => "None",
            TrafficStrategy::RedBlack => "Red/Black",
            TrafficStrategy::Highlander => "Highlander",
        }
    }
}
