//! Spinnaker's artifacts at the start of an execution: the pipeline's `expectedArtifacts`, each
//! matched against the artifacts the trigger brought (a Docker image pushed, a webhook's
//! `artifacts`, those given with a manual start), else taken from the pipeline's previous
//! execution (`usePriorArtifact`), else its `defaultArtifact` (`useDefaultArtifact`); one that
//! none of these give refuses the start, naming it, as Orca does. The execution's trigger then
//! carries `artifacts` (everything received plus what was bound) and `resolvedExpectedArtifacts`
//! (each expected artifact with its `boundArtifact`), which stages and `#triggerResolvedArtifact`
//! read.
//!
//! Matching is kork's: every field the `matchArtifact` sets (`type`, `name`, `version`,
//! `location`, `reference`) must match the artifact's as a regular expression over the whole
//! field; fields it leaves empty match anything. Two received artifacts matching one expected
//! artifact is an error, as Orca requires unique matches at a start.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most artifacts one start may bring.
pub const MAX_ARTIFACTS: usize = 200;

/// One artifact, as Spinnaker writes it; fields Gennaker does not use are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_account: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Artifact {
    /// "docker/image gcr.io/acme/web:1.2", for messages.
    pub fn describe(&self) -> String {
        let mut text = self.kind.clone().unwrap_or_else(|| "artifact".into());
        if let Some(name) = self.name.as_deref().or(self.reference.as_deref()) {
            text.push(' ');
            text.push_str(name);
        }
        if let Some(version) = &self.version {
            text.push_str(&format!(" ({version})"));
        }
        text
    }
}

/// One of a pipeline's `expectedArtifacts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectedArtifact {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub match_artifact: Artifact,
    #[serde(default)]
    pub use_default_artifact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_artifact: Option<Artifact>,
    #[serde(default)]
    pub use_prior_artifact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_artifact: Option<Artifact>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ExpectedArtifact {
    /// "web-image (docker/image)", for messages.
    pub fn describe(&self) -> String {
        let name = self.display_name.as_deref().unwrap_or(&self.id);
        match &self.match_artifact.kind {
            Some(kind) => format!("{name:?} ({kind})"),
            None => format!("{name:?}"),
        }
    }

    /// Whether `artifact` is one this expects (kork's `ExpectedArtifact.matches`).
    pub fn matches(&self, artifact: &Artifact) -> bool {
        let wanted = &self.match_artifact;
        [
            (&wanted.kind, &artifact.kind),
            (&wanted.name, &artifact.name),
            (&wanted.version, &artifact.version),
            (&wanted.location, &artifact.location),
            (&wanted.reference, &artifact.reference),
        ]
        .into_iter()
        .all(|(pattern, value)| field_matches(pattern.as_deref(), value.as_deref()))
    }
}

/// An empty pattern matches anything; any other must match the whole value (an invalid
/// pattern matches nothing, as Java's `Pattern` throwing does in kork).
fn field_matches(pattern: Option<&str>, value: Option<&str>) -> bool {
    let Some(pattern) = pattern.filter(|p| !p.is_empty()) else {
        return true;
    };
    let Some(value) = value else {
        return false;
    };
    crate::expressions::regex::compile(&format!("^(?:{pattern})$"))
        .is_ok_and(|regex| regex.is_match(value))
}

/// What a start binds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// Everything received, then what was bound that was not received.
    pub artifacts: Vec<Artifact>,
    /// The expected artifacts, each with its `boundArtifact`.
    pub expected: Vec<ExpectedArtifact>,
}

/// Reads a pipeline's `expectedArtifacts` or a trigger's `artifacts`; `field` names the list in
/// the message.
pub fn read<T: serde::de::DeserializeOwned>(
    values: &[Value],
    field: &str,
) -> Result<Vec<T>, String> {
    if values.len() > MAX_ARTIFACTS {
        return Err(format!(
            "{field} has {} entries; at most {MAX_ARTIFACTS} are taken.",
            values.len()
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            serde_json::from_value(value.clone())
                .map_err(|e| format!("{field}[{index}] is not an artifact: {e}"))
        })
        .collect()
}

/// Binds each of `expected` to one of `received`, else to one of `prior` (the previous
/// execution's artifacts) when it says `usePriorArtifact`, else to its default when it says
/// `useDefaultArtifact`. `Err` names the first that none of these give, or that matches more
/// than one artifact.
pub fn resolve(
    expected: Vec<ExpectedArtifact>,
    received: Vec<Artifact>,
    prior: &[Artifact],
) -> Result<Resolved, String> {
    let mut artifacts = received.clone();
    let mut bound = Vec::with_capacity(expected.len());
    for mut wanted in expected {
        let found = match unique(&wanted, &received)? {
            Some(artifact) => Some(artifact),
            None if wanted.use_prior_artifact => unique(&wanted, prior)?,
            None => None,
        };
        let found = found.or_else(|| {
            wanted
                .use_default_artifact
                .then(|| wanted.default_artifact.clone())
                .flatten()
        });
        let Some(artifact) = found else {
            return Err(format!(
                "Expected artifact {} was not given: the trigger brought {}{}{}. Start it with a matching artifact{}.",
                wanted.describe(),
                if received.is_empty() {
                    "no artifacts".to_string()
                } else {
                    received
                        .iter()
                        .map(Artifact::describe)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                if wanted.use_prior_artifact {
                    ", and the previous execution had none that matches"
                } else {
                    ""
                },
                if wanted.use_default_artifact {
                    "; its default artifact is empty"
                } else {
                    ""
                },
                if wanted.use_default_artifact || wanted.use_prior_artifact {
                    ""
                } else {
                    ", or give it a default (useDefaultArtifact) or let it use the prior execution's (usePriorArtifact)"
                },
            ));
        };
        if !artifacts.contains(&artifact) {
            artifacts.push(artifact.clone());
        }
        wanted.bound_artifact = Some(artifact);
        bound.push(wanted);
    }
    Ok(Resolved {
        artifacts,
        expected: bound,
    })
}

/// The one artifact of `candidates` that `wanted` matches; two or more is an error.
fn unique(wanted: &ExpectedArtifact, candidates: &[Artifact]) -> Result<Option<Artifact>, String> {
    let mut matching = candidates.iter().filter(|a| wanted.matches(a));
    let first = matching.next();
    if let Some(second) = matching.next() {
        return Err(format!(
            "Expected artifact {} matches more than one artifact ({}, {}, ...): make its match stricter.",
            wanted.describe(),
            first.map(Artifact::describe).unwrap_or_default(),
            second.describe()
        ));
    }
    Ok(first.cloned())
}

/// The artifact types whose contents Gennaker reads (manifests, charts, kustomizations).
pub const CONTENT_TYPES: [&str; 5] = [
    "embedded/base64",
    "http/file",
    "git/repo",
    "github/file",
    "gitlab/file",
];

/// Binds `required` (each must bind somewhere) and `optional` (where they fit) into
/// `documents` with [`bind_images`]; gives what bound, or names the required ones that did not.
pub fn bind_required(
    documents: &mut [Value],
    required: &[Artifact],
    optional: &[Artifact],
) -> Result<Vec<Artifact>, String> {
    let mut candidates = required.to_vec();
    candidates.extend(optional.iter().filter(|a| !required.contains(a)).cloned());
    let bound = bind_images(documents, &candidates);
    let unbound: Vec<&Artifact> = required.iter().filter(|a| !bound.contains(a)).collect();
    let Some(first) = unbound.first() else {
        return Ok(bound);
    };
    Err(format!(
        "required artifact(s) {} could not be bound: no container's image in the manifests is the artifact's name (write the image without a tag, such as image: {})",
        unbound
            .iter()
            .map(|a| a.describe())
            .collect::<Vec<_>>()
            .join(", "),
        first.name.as_deref().unwrap_or("registry.example.com/web")
    ))
}

/// The most container lists one binding walks through, so no manifest makes it unbounded.
const MAX_BOUND_NODES: usize = 100_000;

/// Binds `artifacts` into `documents` as Clouddriver does: a `docker/image` artifact replaces
/// the `image` of every container and init container whose image is the artifact's `name`
/// exactly (no tag), with its `reference`. Gives the artifacts that bound at least once.
pub fn bind_images(documents: &mut [Value], artifacts: &[Artifact]) -> Vec<Artifact> {
    let images: Vec<(&str, &str, &Artifact)> = artifacts
        .iter()
        .filter(|a| a.kind.as_deref() == Some("docker/image"))
        .filter_map(|a| Some((a.name.as_deref()?, a.reference.as_deref()?, a)))
        .collect();
    let mut bound: Vec<Artifact> = Vec::new();
    if images.is_empty() {
        return bound;
    }
    let mut pending: Vec<&mut Value> = documents.iter_mut().collect();
    let mut visited = 0;
    while let Some(node) = pending.pop() {
        visited += 1;
        if visited > MAX_BOUND_NODES {
            break;
        }
        match node {
            Value::Object(object) => {
                for (key, value) in object.iter_mut() {
                    if matches!(key.as_str(), "containers" | "initContainers")
                        && let Value::Array(containers) = value
                    {
                        for container in containers.iter_mut() {
                            let Some(image) = container.get_mut("image") else {
                                continue;
                            };
                            let current = image.as_str().unwrap_or_default().to_string();
                            if let Some((_, reference, artifact)) =
                                images.iter().find(|(name, _, _)| *name == current)
                            {
                                *image = Value::String((*reference).to_string());
                                if !bound.contains(artifact) {
                                    bound.push((*artifact).clone());
                                }
                            }
                        }
                    } else {
                        pending.push(value);
                    }
                }
            }
            Value::Array(items) => pending.extend(items.iter_mut()),
            _ => {}
        }
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn artifact(value: Value) -> Artifact {
        serde_json::from_value(value).expect("an artifact")
    }

    fn expected(value: Value) -> ExpectedArtifact {
        serde_json::from_value(value).expect("an expected artifact")
    }

    fn image(tag: &str) -> Artifact {
        artifact(
            json!({"type": "docker/image", "name": "registry.local/web", "version": tag,
                        "reference": format!("registry.local/web:{tag}")}),
        )
    }

    #[test]
    fn fields_match_as_whole_regular_expressions_and_empty_ones_match_anything() {
        let web = expected(
            json!({"id": "a", "matchArtifact": {"type": "docker/image", "name": "registry.local/web"}}),
        );
        assert!(web.matches(&image("1.0")));
        let versioned = expected(
            json!({"id": "a", "matchArtifact": {"type": "docker/image", "version": "1\\..*"}}),
        );
        assert!(versioned.matches(&image("1.2")));
        assert!(
            !versioned.matches(&image("21.2")),
            "the whole field, not a part"
        );
        let other = expected(json!({"id": "a", "matchArtifact": {"type": "embedded/base64"}}));
        assert!(!other.matches(&image("1.0")));
        let broken = expected(json!({"id": "a", "matchArtifact": {"name": "(("}}));
        assert!(
            !broken.matches(&image("1.0")),
            "an invalid pattern matches nothing"
        );
    }

    #[test]
    fn received_then_prior_then_default() {
        let web = json!({"id": "web", "displayName": "web-image", "matchArtifact": {"type": "docker/image", "name": "registry.local/web"}});
        let resolved = resolve(vec![expected(web.clone())], vec![image("2")], &[]).expect("bound");
        assert_eq!(resolved.expected[0].bound_artifact, Some(image("2")));
        assert_eq!(resolved.artifacts, [image("2")]);

        let mut prior = web.clone();
        prior["usePriorArtifact"] = json!(true);
        let resolved = resolve(vec![expected(prior)], Vec::new(), &[image("1")]).expect("bound");
        assert_eq!(resolved.expected[0].bound_artifact, Some(image("1")));
        assert_eq!(
            resolved.artifacts,
            [image("1")],
            "what was bound joins the artifacts"
        );

        let mut default = web.clone();
        default["useDefaultArtifact"] = json!(true);
        default["defaultArtifact"] =
            json!({"type": "docker/image", "name": "registry.local/web", "version": "stable"});
        let resolved = resolve(vec![expected(default)], Vec::new(), &[]).expect("bound");
        assert_eq!(
            resolved.expected[0]
                .bound_artifact
                .as_ref()
                .and_then(|a| a.version.as_deref()),
            Some("stable")
        );
    }

    #[test]
    fn a_missing_or_ambiguous_artifact_refuses_the_start_naming_it() {
        let web = expected(
            json!({"id": "web", "displayName": "web-image", "matchArtifact": {"type": "docker/image"}}),
        );
        let missing = resolve(vec![web.clone()], Vec::new(), &[]).expect_err("refused");
        assert!(
            missing.contains("\"web-image\" (docker/image)") && missing.contains("no artifacts"),
            "{missing}"
        );
        let twice = resolve(vec![web], vec![image("1"), image("2")], &[]).expect_err("refused");
        assert!(twice.contains("more than one"), "{twice}");
    }

    #[test]
    fn expressions_read_what_was_bound() {
        let web = expected(json!({"id": "web", "matchArtifact": {"type": "docker/image"}}));
        let resolved = resolve(vec![web], vec![image("7")], &[]).expect("bound");
        let root = json!({"trigger": {"resolvedExpectedArtifacts": resolved.expected, "artifacts": resolved.artifacts}});
        let reference = crate::expressions::evaluate(
            "${#triggerResolvedArtifact('registry.local/web').reference}",
            &root,
        );
        assert_eq!(reference.ok(), Some(json!("registry.local/web:7")));
        let missing = crate::expressions::evaluate("${#triggerResolvedArtifact('db')}", &root)
            .expect_err("none named db");
        assert!(
            missing.to_string().contains("registry.local/web"),
            "{missing}"
        );
    }

    #[test]
    fn images_bind_where_a_container_names_the_artifact_exactly() {
        let mut documents = vec![
            json!({"kind": "Deployment", "spec": {"template": {"spec": {
                "initContainers": [{"name": "init", "image": "registry.local/web"}],
                "containers": [{"name": "web", "image": "registry.local/web"},
                               {"name": "side", "image": "registry.local/web:old"}]}}}}),
            json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "job", "image": "registry.local/job"}]}}}}}}),
        ];
        let other = artifact(
            json!({"type": "docker/image", "name": "registry.local/db", "reference": "registry.local/db:1"}),
        );
        let bound = bind_images(&mut documents, &[image("7"), other]);
        assert_eq!(bound, [image("7")], "only what bound");
        let containers = &documents[0]["spec"]["template"]["spec"];
        assert_eq!(
            containers["initContainers"][0]["image"],
            "registry.local/web:7"
        );
        assert_eq!(containers["containers"][0]["image"], "registry.local/web:7");
        assert_eq!(
            containers["containers"][1]["image"], "registry.local/web:old",
            "a tagged image is left"
        );
        assert_eq!(
            documents[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.local/job"
        );
    }

    #[test]
    fn unknown_fields_survive() {
        let value = json!({"type": "embedded/base64", "name": "m", "reference": "YQ==", "customKind": false, "metadata": {"a": 1}});
        let read = artifact(value.clone());
        assert_eq!(serde_json::to_value(&read).ok(), Some(value));
    }
}
