//! Deploy (Manifest): the objects of `manifests` (`source: text`, the default) or of an
//! artifact (`source: artifact`: the expected artifact `manifestArtifactId` is bound to, or the
//! artifact `manifestArtifact` describes), applied in `account`, into `namespaceOverride` when
//! given. The artifacts named by `requiredArtifactIds` and `requiredArtifacts` must each bind
//! into the manifests (a `docker/image` replaces the `image` of every container that names it);
//! the execution's other artifacts bind where they fit.

use serde_json::Value;

use crate::pipelines::artifacts::Artifact;
use crate::pipelines::reader::Reader;

#[derive(Debug, Clone, PartialEq)]
pub struct DeployManifest {
    pub account: String,
    pub namespace_override: Option<String>,
    pub source: ManifestSource,
    /// What must bind into the manifests.
    pub required: Vec<ArtifactChoice>,
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
    DeployManifest {
        account,
        namespace_override,
        source,
        required,
    }
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
