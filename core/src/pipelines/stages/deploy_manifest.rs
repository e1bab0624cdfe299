//! Deploy (Manifest): the objects of `manifests` (`source: text`, the default) or of an
//! artifact (`source: artifact`: the expected artifact `manifestArtifactId` is bound to, or the
//! artifact `manifestArtifact` describes), applied in `account`, into `namespaceOverride` when
//! given. The artifacts named by `requiredArtifactIds` and `requiredArtifacts` must each bind
//! into the manifests (a `docker/image` replaces the `image` of every container that names it);
//! the execution's other artifacts bind where they fit. With `trafficManagement` enabled, the
//! one ReplicaSet is deployed as its cluster's next version behind `options.services`, and
//! `options.strategy` (`redblack`, `highlander`) acts on the cluster's other versions.

use serde_json::Value;

use crate::pipelines::artifacts::Artifact;
use crate::pipelines::reader::Reader;
use crate::tasks::model::{TrafficManagement, TrafficStrategy};

#[derive(Debug, Clone, PartialEq)]
pub struct DeployManifest {
    pub account: String,
    pub namespace_override: Option<String>,
    pub source: ManifestSource,
    /// What must bind into the manifests.
    pub required: Vec<ArtifactChoice>,
    /// `trafficManagement`, when enabled.
    pub traffic: Option<TrafficManagement>,
}

/// Where the manifests come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ManifestSource {
    /// Written in the stage (`manifests`).
    Text(Vec<Value>),
    /// Read from an artifact when the stage runs; `${...}` in them is evaluated unless
    /// `skipExpressionEvaluation`.
    Artifact {
        artifact: ArtifactChoice,
        evaluate_expressions: bool,
    },
}

/// An artifact a stage names: one of the execution's expected artifacts, by id, or one written
/// in the stage.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactChoice {
    Expected(String),
    Given(Box<Artifact>),
}

pub(super) fn read(r: &mut Reader<'_>) -> DeployManifest {
    let account = r
        .required_text("account", "the Kubernetes account")
        .unwrap_or_default();
    let namespace_override = r.text("namespaceOverride").filter(|n| !n.is_empty());
    let source = match r.text("source").as_deref() {
        None | Some("" | "text") => {
            if r.flag("skipExpressionEvaluation") != Some(true) {
                r.expressions_in("manifests");
            }
            match r.raw("manifests") {
                Some(Value::Array(items)) if !items.is_empty() => {
                    ManifestSource::Text(items.clone())
                }
                _ => {
                    r.fail("manifests", "Give at least one Kubernetes manifest.");
                    ManifestSource::Text(Vec::new())
                }
            }
        }
        Some("artifact") => {
            let artifact = manifest_artifact(r);
            let skip = r.flag("skipExpressionEvaluation").unwrap_or(false);
            ManifestSource::Artifact {
                artifact: artifact.unwrap_or_else(|| ArtifactChoice::Expected(String::new())),
                evaluate_expressions: !skip,
            }
        }
        Some(other) => {
            r.fail(
                "source",
                format!("{other:?} is not a manifest source: write text or artifact."),
            );
            ManifestSource::Text(Vec::new())
        }
    };
    let mut required: Vec<ArtifactChoice> = r
        .texts("requiredArtifactIds")
        .into_iter()
        .filter(|id| !id.is_empty())
        .map(ArtifactChoice::Expected)
        .collect();
    required.extend(
        r.objects("requiredArtifacts", bind_artifact)
            .into_iter()
            .flatten(),
    );
    let traffic = traffic_management(r);
    if let (Some(_), ManifestSource::Text(documents)) = (&traffic, &source) {
        let replica_sets = documents.iter().filter(|d| is_replica_set(d)).count();
        if replica_sets != 1 && !documents.is_empty() {
            r.fail(
                "trafficManagement",
                format!("Traffic management deploys one ReplicaSet as the next version of its cluster, and these manifests have {replica_sets}; a Deployment rolls out by itself, so turn traffic management off for it."),
            );
        }
    }
    DeployManifest {
        account,
        namespace_override,
        source,
        required,
        traffic,
    }
}

/// Whether a manifest is a ReplicaSet.
pub fn is_replica_set(document: &Value) -> bool {
    document
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("replicaset"))
}

/// `trafficManagement.options` when `trafficManagement.enabled`.
fn traffic_management(r: &mut Reader<'_>) -> Option<TrafficManagement> {
    let enabled = r
        .object("trafficManagement", |r| r.flag("enabled"))
        .flatten()
        .unwrap_or(false);
    if !enabled {
        return None;
    }
    r.object("trafficManagement", |r| {
        let options = r.object("options", |r| {
            let strategy = match r.text("strategy") {
                None => TrafficStrategy::None,
                Some(text) => TrafficStrategy::parse(&text).unwrap_or_else(|| {
                    r.fail(
                        "strategy",
                        format!("{text:?} is not a strategy: use none, redblack or highlander."),
                    );
                    TrafficStrategy::None
                }),
            };
            let mut services = Vec::new();
            for entry in r.texts("services") {
                match entry.trim().split_once(char::is_whitespace) {
                    Some((kind, name)) if kind.eq_ignore_ascii_case("service") => {
                        services.push(name.trim().to_string());
                    }
                    None if !entry.trim().is_empty() => services.push(entry.trim().to_string()),
                    _ => r.fail(
                        "services",
                        format!("{entry:?} is not a Service: write it as \"service web\"."),
                    ),
                }
            }
            if services.is_empty() {
                r.fail(
                    "services",
                    "Choose the Services that send traffic to the new version.",
                );
            }
            let enable_traffic = r.flag("enableTraffic").unwrap_or(false);
            if strategy != TrafficStrategy::None && !enable_traffic {
                r.fail(
                    "enableTraffic",
                    format!(
                        "{} sends traffic to the new version: turn enableTraffic on.",
                        strategy.label()
                    ),
                );
            }
            TrafficManagement {
                services,
                namespace: r.text("namespace").filter(|n| !n.trim().is_empty()),
                enable_traffic,
                strategy,
            }
        });
        if options.is_none() {
            r.fail(
                "options",
                "Give the traffic management's options: services, enableTraffic and strategy.",
            );
        }
        options
    })
    .flatten()
}

/// `manifestArtifactId`, else `manifestArtifact` (with `manifestArtifactAccount`, Deck's older
/// way of naming the account, when the artifact names none).
fn manifest_artifact(r: &mut Reader<'_>) -> Option<ArtifactChoice> {
    if let Some(id) = r.text("manifestArtifactId").filter(|id| !id.is_empty()) {
        return Some(ArtifactChoice::Expected(id));
    }
    let account = r.text("manifestArtifactAccount").filter(|a| !a.is_empty());
    let given = r.raw("manifestArtifact").map(|value| {
        serde_json::from_value::<Artifact>(value.clone())
            .map_err(|e| format!("manifestArtifact is not an artifact: {e}"))
    });
    match given {
        Some(Ok(mut artifact)) => {
            if artifact.artifact_account.is_none() {
                artifact.artifact_account = account;
            }
            Some(ArtifactChoice::Given(Box::new(artifact)))
        }
        Some(Err(message)) => {
            r.fail("manifestArtifact", message);
            None
        }
        None => {
            r.fail(
                "manifestArtifactId",
                "Choose the artifact the manifests are read from (an expected artifact's id), or describe it in manifestArtifact.",
            );
            None
        }
    }
}

/// One of `requiredArtifacts`: `{expectedArtifactId}` or `{artifact: {...}}`.
fn bind_artifact(r: &mut Reader<'_>) -> Option<ArtifactChoice> {
    if let Some(id) = r.text("expectedArtifactId").filter(|id| !id.is_empty()) {
        return Some(ArtifactChoice::Expected(id));
    }
    match r
        .raw("artifact")
        .cloned()
        .map(serde_json::from_value::<Artifact>)
    {
        Some(Ok(artifact)) => Some(ArtifactChoice::Given(Box::new(artifact))),
        Some(Err(e)) => {
            r.fail("artifact", format!("This is not an artifact: {e}"));
            None
        }
        None => {
            r.fail(
                "expectedArtifactId",
                "Name the expected artifact to bind (expectedArtifactId), or describe it in artifact.",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_settings(settings: Value) -> (DeployManifest, Vec<String>) {
        let mut errors = Vec::new();
        let Value::Object(object) = settings else {
            panic!("settings are an object")
        };
        let mut reader = Reader::new(&object, "stages[0]", false, &mut errors);
        let read = read(&mut reader);
        (
            read,
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
        )
    }

    #[test]
    fn text_is_the_default_source() {
        let (deploy, errors) =
            read_settings(json!({"account": "local", "manifests": [{"kind": "ConfigMap"}]}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            deploy.source,
            ManifestSource::Text(vec![json!({"kind": "ConfigMap"})])
        );
    }

    #[test]
    fn an_artifact_source_names_an_expected_artifact_or_describes_one() {
        let (deploy, errors) = read_settings(json!({"account": "local", "source": "artifact",
            "manifestArtifactId": "m-1", "skipExpressionEvaluation": true,
            "requiredArtifactIds": ["img"], "requiredArtifacts": [{"expectedArtifactId": "img2"},
                {"artifact": {"type": "docker/image", "name": "web", "reference": "web:1"}}]}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            deploy.source,
            ManifestSource::Artifact {
                artifact: ArtifactChoice::Expected("m-1".into()),
                evaluate_expressions: false
            }
        );
        assert_eq!(deploy.required.len(), 3);
        assert!(
            matches!(&deploy.required[2], ArtifactChoice::Given(a) if a.reference.as_deref() == Some("web:1"))
        );

        let (deploy, errors) = read_settings(json!({"account": "local", "source": "artifact",
            "manifestArtifactAccount": "github",
            "manifestArtifact": {"type": "github/file", "reference": "https://api.github.com/repos/a/b/contents/m.yaml"}}));
        assert!(errors.is_empty(), "{errors:?}");
        let ManifestSource::Artifact {
            artifact: ArtifactChoice::Given(artifact),
            evaluate_expressions,
        } = deploy.source
        else {
            panic!("an artifact source")
        };
        assert!(evaluate_expressions);
        assert_eq!(artifact.artifact_account.as_deref(), Some("github"));
    }

    #[test]
    fn traffic_management_reads_decks_options() {
        let replica_set =
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"}});
        let (deploy, errors) = read_settings(
            json!({"account": "local", "manifests": [replica_set],
            "trafficManagement": {"enabled": true, "options": {"enableTraffic": true, "namespace": "prod",
                "services": ["service web"], "strategy": "redblack"}}}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            deploy.traffic,
            Some(TrafficManagement {
                services: vec!["web".into()],
                namespace: Some("prod".into()),
                enable_traffic: true,
                strategy: TrafficStrategy::RedBlack,
            })
        );
        let (deploy, errors) =
            read_settings(json!({"account": "local", "manifests": [replica_set],
            "trafficManagement": {"enabled": false, "options": {"strategy": "sometimes"}}}));
        assert!(errors.is_empty(), "off is not read: {errors:?}");
        assert_eq!(deploy.traffic, None);

        let (_, errors) = read_settings(json!({"account": "local",
            "manifests": [{"kind": "Deployment", "metadata": {"name": "web"}}],
            "trafficManagement": {"enabled": true, "options": {"services": ["ingress web"], "strategy": "highlander"}}}));
        let all = errors.join("\n");
        assert!(
            all.contains("trafficManagement: Traffic management deploys one ReplicaSet"),
            "{all}"
        );
        assert!(
            all.contains("services: \"ingress web\" is not a Service"),
            "{all}"
        );
        assert!(
            all.contains("enableTraffic: Highlander sends traffic"),
            "{all}"
        );
    }

    #[test]
    fn an_artifact_source_without_an_artifact_says_what_to_choose() {
        let (_, errors) = read_settings(json!({"account": "local", "source": "artifact"}));
        assert!(
            errors
                .iter()
                .any(|e| e.contains("manifestArtifactId") && e.contains("Choose")),
            "{errors:?}"
        );
        let (_, errors) = read_settings(json!({"account": "local", "source": "helm"}));
        assert!(
            errors.iter().any(|e| e.contains("text or artifact")),
            "{errors:?}"
        );
    }
}
