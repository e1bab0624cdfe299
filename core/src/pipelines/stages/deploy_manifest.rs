//! Deploy (Manifest): `manifests` applied in `account`, into `namespaceOverride` when given.

use serde_json::Value;

use crate::pipelines::reader::Reader;

#[derive(Debug, Clone, PartialEq)]
pub struct DeployManifest {
    pub account: String,
    pub namespace_override: Option<String>,
    pub manifests: Vec<Value>,
}

pub(super) fn read(r: &mut Reader<'_>) -> DeployManifest {
    let account = r
        .required_text("account", "the Kubernetes account")
        .unwrap_or_default();
    let namespace_override = r.text("namespaceOverride").filter(|n| !n.is_empty());
    r.expressions_in("manifests");
    let manifests = match r.raw("manifests") {
        Some(Value::Array(items)) if !items.is_empty() => items.clone(),
        _ => {
            r.fail("manifests", "Give at least one Kubernetes manifest.");
            Vec::new()
        }
    };
    DeployManifest {
        account,
        namespace_override,
        manifests,
    }
}
