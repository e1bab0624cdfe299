//! Applications as Gate and Front50 write them: a flat map of attributes (`name`, `email`,
//! `cloudProviders` as a comma-separated string, `repoType`/`repoProjectKey`/`repoSlug`,
//! `permissions`), and what Gennaker keeps of it. Attributes Gennaker does not use are kept
//! beside the application (the server stores them apart, so the UI never carries them) and
//! given back; those the server sets (`createTs`, `updateTs`, `lastModifiedBy`, `user`) are made
//! anew from Gennaker's own record.

use serde_json::{Map, Value, json};

use crate::applications::model::{
    Application, ApplicationSpec, CloudProvider, Permissions, Repository, RepositoryKind,
};
use crate::error::FieldError;

/// The most JSON an application's kept attributes may take.
pub const MAX_KEPT_BYTES: usize = 64 * 1024;

/// An application as Gate's attributes describe it: its spec, and the attributes kept beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub spec: ApplicationSpec,
    pub kept: Map<String, Value>,
}

/// Attributes the server sets, never kept from a request.
const SERVER_SET: [&str; 5] = ["createTs", "updateTs", "lastModifiedBy", "user", "updated"];

/// Attributes Gennaker reads into its own fields.
const OWN: [&str; 9] = [
    "name",
    "email",
    "description",
    "cloudProviders",
    "instancePort",
    "repoType",
    "repoProjectKey",
    "repoSlug",
    "permissions",
];

/// The application `attributes` describe. With `base` (an update: Spinnaker's
/// `updateApplication` changes only the attributes it names), the attributes are laid over the
/// base's and its kept ones.
pub fn spec(
    attributes: &Map<String, Value>,
    base: Option<(&ApplicationSpec, &Map<String, Value>)>,
) -> Result<Described, FieldError> {
    let mut merged = base
        .map(|(spec, _)| own_attributes(spec))
        .unwrap_or_default();
    if let Some((_, kept)) = base {
        merged.extend(kept.clone());
    }
    for (key, value) in attributes {
        merged.insert(key.clone(), value.clone());
    }
    let text = |key: &str| -> Result<String, FieldError> {
        match merged.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.trim().to_string()),
            Some(other) => Err(FieldError::new(
                key,
                format!("{key} must be text, not {other}"),
            )),
        }
    };
    let name = text("name")?.to_ascii_lowercase();
    let cloud_providers = cloud_providers(merged.get("cloudProviders"))?;
    let instance_port = match merged.get("instancePort") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(port(&n.to_string())?),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(port(s)?),
        Some(other) => {
            return Err(FieldError::new(
                "instancePort",
                format!("instancePort must be a port number, not {other}"),
            ));
        }
    };
    let repository = match text("repoType")?.as_str() {
        "" => None,
        kind => Some(Repository {
            kind: RepositoryKind::parse(kind).ok_or_else(|| {
                FieldError::new(
                    "repoType",
                    format!(
                        "repoType {kind:?} is not one Gennaker knows: use github, gitlab, bitbucket, gitea or other"
                    ),
                )
            })?,
            project: text("repoProjectKey")?,
            name: text("repoSlug")?,
        }),
    };
    let permissions = match merged.get("permissions") {
        None | Some(Value::Null) => Permissions::default(),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            FieldError::new(
                "permissions",
                format!("permissions must be {{\"READ\": [roles], \"WRITE\": [...], \"EXECUTE\": [...]}}: {e}"),
            )
        })?,
    };
    let (owner_email, description) = (text("email")?, text("description")?);
    let kept: Map<String, Value> = merged
        .into_iter()
        .filter(|(key, _)| !OWN.contains(&key.as_str()) && !SERVER_SET.contains(&key.as_str()))
        .collect();
    let size = serde_json::to_string(&kept).map_or(0, |text| text.len());
    if size > MAX_KEPT_BYTES {
        return Err(FieldError::new(
            "application",
            format!(
                "The attributes Gennaker does not use take {size} bytes of JSON; at most {MAX_KEPT_BYTES} are kept: remove some."
            ),
        ));
    }
    Ok(Described {
        spec: ApplicationSpec {
            name,
            owner_email,
            description,
            repository,
            cloud_providers,
            instance_port,
            permissions,
        },
        kept,
    })
}

fn port(text: &str) -> Result<u16, FieldError> {
    text.trim().parse().map_err(|_| {
        FieldError::new(
            "instancePort",
            format!("instancePort must be a number from 1 to 65535, not {text:?}"),
        )
    })
}

/// `"kubernetes"`, `"kubernetes,aws"` or `["kubernetes"]`: Gennaker deploys to Kubernetes only,
/// so any other provider is refused, saying so.
fn cloud_providers(value: Option<&Value>) -> Result<Vec<CloudProvider>, FieldError> {
    let names: Vec<String> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.split(',').map(|s| s.trim().to_string()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().unwrap_or_default().trim().to_string())
            .collect(),
        Some(other) => {
            return Err(FieldError::new(
                "cloudProviders",
                format!("cloudProviders must be text such as \"kubernetes\", not {other}"),
            ));
        }
    };
    let mut providers = Vec::new();
    for name in names.iter().filter(|n| !n.is_empty()) {
        match name.as_str() {
            "kubernetes" => {
                if !providers.contains(&CloudProvider::Kubernetes) {
                    providers.push(CloudProvider::Kubernetes);
                }
            }
            other => {
                return Err(FieldError::new(
                    "cloudProviders",
                    format!(
                        "cloud provider {other:?} is not one Gennaker deploys to: it deploys to kubernetes only"
                    ),
                ));
            }
        }
    }
    Ok(providers)
}

/// The attributes Gennaker's own fields write.
fn own_attributes(spec: &ApplicationSpec) -> Map<String, Value> {
    let mut attributes = Map::new();
    attributes.insert("name".into(), json!(spec.name));
    attributes.insert("email".into(), json!(spec.owner_email));
    if !spec.description.is_empty() {
        attributes.insert("description".into(), json!(spec.description));
    }
    let providers: Vec<&str> = spec
        .cloud_providers
        .iter()
        .map(|p| match p {
            CloudProvider::Kubernetes => "kubernetes",
        })
        .collect();
    attributes.insert("cloudProviders".into(), json!(providers.join(",")));
    if let Some(port) = spec.instance_port {
        attributes.insert("instancePort".into(), json!(port));
    }
    if let Some(repository) = &spec.repository {
        attributes.insert("repoType".into(), json!(repository.kind.as_str()));
        attributes.insert("repoProjectKey".into(), json!(repository.project));
        attributes.insert("repoSlug".into(), json!(repository.name));
    }
    let permissions = &spec.permissions;
    if !(permissions.read.is_empty()
        && permissions.write.is_empty()
        && permissions.execute.is_empty())
    {
        attributes.insert(
            "permissions".into(),
            serde_json::to_value(permissions).unwrap_or_default(),
        );
    }
    attributes
}

/// An application's attributes as Gate answers them: Gennaker's fields, the `kept` attributes,
/// and the record's times (milliseconds, as text, as Front50 writes them) and author.
pub fn attributes(application: &Application, kept: &Map<String, Value>) -> Map<String, Value> {
    let mut attributes = own_attributes(&application.spec);
    for (key, value) in kept {
        attributes
            .entry(key.clone())
            .or_insert_with(|| value.clone());
    }
    attributes.insert(
        "createTs".into(),
        json!(application.created_at.as_millis().to_string()),
    );
    attributes.insert(
        "updateTs".into(),
        json!(application.updated_at.as_millis().to_string()),
    );
    attributes.insert("lastModifiedBy".into(), json!(application.updated_by));
    attributes.insert("user".into(), json!(application.created_by));
    attributes
}

/// `GET /applications/{name}`: `{"name", "attributes", "clusters"}`; the clusters by account
/// are given when asked to expand, as Gate does.
pub fn detail(
    application: &Application,
    kept: &Map<String, Value>,
    clusters: Option<Value>,
) -> Value {
    let mut answer = json!({
        "name": application.spec.name,
        "attributes": attributes(application, kept),
    });
    if let Some(clusters) = clusters {
        answer["clusters"] = clusters;
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn spins_application_file_becomes_a_spec_and_keeps_what_gennaker_does_not_use() {
        let given = object(json!({
            "name": "Web", "email": "team@example.com", "cloudProviders": "kubernetes",
            "instancePort": 80, "repoType": "github", "repoProjectKey": "acme", "repoSlug": "web",
            "permissions": {"READ": ["dev"], "WRITE": ["ops"], "EXECUTE": ["ops"]},
            "trafficGuards": [{"account": "prod"}], "dataSources": {"enabled": [], "disabled": ["canaryConfigs"]},
            "createTs": "1", "user": "someone",
        }));
        let Described { spec, kept } = spec(&given, None).expect("a spec");
        assert_eq!(spec.name, "web", "lower-cased, as Spinnaker does");
        assert_eq!(spec.owner_email, "team@example.com");
        assert_eq!(spec.cloud_providers, [CloudProvider::Kubernetes]);
        assert_eq!(spec.instance_port, Some(80));
        assert_eq!(
            spec.repository.as_ref().map(|r| r.name.as_str()),
            Some("web")
        );
        assert_eq!(spec.permissions.write, ["ops"]);
        assert_eq!(
            kept.keys().collect::<Vec<_>>(),
            ["dataSources", "trafficGuards"],
            "server-set attributes are not kept"
        );

        let now = Timestamp::from_millis(1_700_000_000_000);
        let stored = Application {
            spec,
            version: 1,
            created_at: now,
            created_by: "ada".into(),
            updated_at: now,
            updated_by: "ada".into(),
        };
        let back = attributes(&stored, &kept);
        for key in ["trafficGuards", "dataSources", "permissions", "repoSlug"] {
            assert_eq!(
                back.get(key),
                given.get(key),
                "{key} survives the round trip"
            );
        }
        assert_eq!(back["cloudProviders"], "kubernetes");
        assert_eq!(back["createTs"], "1700000000000");
        assert_eq!(back["user"], "ada");
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let base = spec(
            &object(json!({"name": "web", "email": "a@example.com", "description": "shop", "trafficGuards": []})),
            None,
        )
        .expect("a spec");
        let updated = spec(
            &object(json!({"name": "web", "email": "b@example.com"})),
            Some((&base.spec, &base.kept)),
        )
        .expect("a spec");
        assert_eq!(updated.spec.owner_email, "b@example.com");
        assert_eq!(updated.spec.description, "shop");
        assert!(updated.kept.contains_key("trafficGuards"));
    }

    #[test]
    fn what_gennaker_cannot_do_is_refused_saying_so() {
        let aws = spec(
            &object(json!({"name": "web", "cloudProviders": "kubernetes,aws"})),
            None,
        )
        .expect_err("refused");
        assert_eq!(aws.field, "cloudProviders");
        assert!(aws.message.contains("\"aws\""), "{}", aws.message);
        let port = spec(
            &object(json!({"name": "web", "instancePort": "http"})),
            None,
        )
        .expect_err("refused");
        assert_eq!(port.field, "instancePort");
        let roles = spec(
            &object(json!({"name": "web", "permissions": {"READ": "dev"}})),
            None,
        )
        .expect_err("refused");
        assert_eq!(roles.field, "permissions");
    }
}
