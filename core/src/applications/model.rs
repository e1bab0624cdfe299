//! Applications: the unit Gennaker manages. The types here are shared by the UI, the server
//! functions and the JSON API, and so is their validation.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::time::Timestamp;

/// What a user sets on an application. Only `name` and `owner_email` are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationSpec {
    pub name: String,
    pub owner_email: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub cloud_providers: Vec<CloudProvider>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_port: Option<u16>,
    #[serde(default)]
    pub permissions: Permissions,
}

/// The source repository of an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Repository {
    #[serde(rename = "type")]
    pub kind: RepositoryKind,
    /// The project, organisation or group (`acme` in github.com/acme/web).
    pub project: String,
    /// The repository's name (`web` in github.com/acme/web).
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepositoryKind {
    #[default]
    Github,
    Gitlab,
    Bitbucket,
    Gitea,
    Other,
}

impl RepositoryKind {
    pub const ALL: [RepositoryKind; 5] = [
        RepositoryKind::Github,
        RepositoryKind::Gitlab,
        RepositoryKind::Bitbucket,
        RepositoryKind::Gitea,
        RepositoryKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RepositoryKind::Github => "github",
            RepositoryKind::Gitlab => "gitlab",
            RepositoryKind::Bitbucket => "bitbucket",
            RepositoryKind::Gitea => "gitea",
            RepositoryKind::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<RepositoryKind> {
        RepositoryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// Where an application's server groups run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CloudProvider {
    Kubernetes,
}

/// Roles allowed to see (READ), change (WRITE) and run pipelines of (EXECUTE) an application.
/// Empty lists mean everyone, until authentication lands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    #[serde(rename = "READ", default)]
    pub read: Vec<String>,
    #[serde(rename = "WRITE", default)]
    pub write: Vec<String>,
    #[serde(rename = "EXECUTE", default)]
    pub execute: Vec<String>,
}

/// The application form's fields as typed, which is what the form posts: the Create
/// Application form works as a plain HTML form too (see `create_application`), so turning text
/// into an [`ApplicationSpec`] happens here, once, for the browser and the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplicationInput {
    pub name: String,
    pub owner_email: String,
    pub description: String,
    /// A [`RepositoryKind`], or empty for none.
    pub repository_kind: String,
    pub repository_project: String,
    pub repository_name: String,
    pub instance_port: String,
    /// Present (`on`) when the "Deploys to Kubernetes" box is checked, as a form posts it.
    pub kubernetes: Option<String>,
    /// Roles, separated by commas.
    pub read_roles: String,
    pub write_roles: String,
    pub execute_roles: String,
}

impl ApplicationInput {
    /// The name of the form input that posts `field` (one of this type's field names), as the
    /// server function that takes an `input: ApplicationInput` reads it.
    pub fn form_name(field: &str) -> String {
        format!("input[{field}]")
    }

    /// The spec the input describes; a port that is not a number is refused here, the rest is
    /// validated by the service.
    pub fn to_spec(&self) -> Result<ApplicationSpec, FieldError> {
        let instance_port = match self.instance_port.trim() {
            "" => None,
            text => Some(text.parse::<u16>().map_err(|_| {
                FieldError::new(
                    "instancePort",
                    format!("Instance port must be a number from 1 to 65535, not {text:?}."),
                )
            })?),
        };
        let repository = RepositoryKind::parse(&self.repository_kind).map(|kind| Repository {
            kind,
            project: self.repository_project.trim().to_string(),
            name: self.repository_name.trim().to_string(),
        });
        Ok(ApplicationSpec {
            name: self.name.trim().to_string(),
            owner_email: self.owner_email.trim().to_string(),
            description: self.description.trim().to_string(),
            repository,
            cloud_providers: if self.kubernetes.is_some() {
                vec![CloudProvider::Kubernetes]
            } else {
                Vec::new()
            },
            instance_port,
            permissions: Permissions {
                read: roles_list(&self.read_roles),
                write: roles_list(&self.write_roles),
                execute: roles_list(&self.execute_roles),
            },
        })
    }
}

/// Roles typed as a comma-separated list.
fn roles_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect()
}

/// An application as stored, with its version and who changed it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// What the user set.
    pub spec: ApplicationSpec,
    /// Increases by one with every save; an update must name the version it was based on.
    pub version: u64,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// One saved version of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationVersion {
    pub version: u64,
    pub updated_at: Timestamp,
    pub updated_by: String,
    /// This version is the application's deletion.
    pub deleted: bool,
    pub spec: ApplicationSpec,
}

/// How the applications list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationSort {
    #[default]
    Name,
    /// Newest first.
    Created,
    /// Most recently changed first.
    Updated,
}

impl ApplicationSort {
    pub fn parse(value: &str) -> Option<ApplicationSort> {
        match value {
            "name" => Some(ApplicationSort::Name),
            "created" => Some(ApplicationSort::Created),
            "updated" => Some(ApplicationSort::Updated),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationSort::Name => "name",
            ApplicationSort::Created => "created",
            ApplicationSort::Updated => "updated",
        }
    }
}

/// The longest suffix Gennaker appends to an application name: a server group's version
/// (`-v000`) plus the hyphen and five characters Kubernetes adds to a Pod's name. Pod names
/// double as host names, which are at most 63 characters.
pub const LONGEST_SUFFIX: usize = "-v000".len() + "-xxxxx".len();
/// The longest application name.
pub const MAX_NAME_LEN: usize = 63 - LONGEST_SUFFIX;

impl ApplicationSpec {
    /// Every problem with the input, one per field; empty when it is valid.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));
        if let Some(problem) = name_problem(&self.name) {
            fail("name", problem);
        }
        if let Some(problem) = email_problem(&self.owner_email) {
            fail("ownerEmail", problem);
        }
        if self.description.chars().count() > 2000 {
            fail(
                "description",
                "Description must be at most 2,000 characters.".into(),
            );
        }
        if let Some(repository) = &self.repository
            && (repository.project.trim().is_empty() || repository.name.trim().is_empty())
        {
            fail(
                "repository",
                "A repository needs both a project and a name (acme and web for github.com/acme/web).".into(),
            );
        }
        if self.instance_port == Some(0) {
            fail(
                "instancePort",
                "Instance port must be between 1 and 65535.".into(),
            );
        }
        let roles = [
            ("permissions.READ", &self.permissions.read),
            ("permissions.WRITE", &self.permissions.write),
            ("permissions.EXECUTE", &self.permissions.execute),
        ];
        for (field, list) in roles {
            if list.iter().any(|role| role.trim().is_empty()) {
                fail(field, "Role names cannot be empty.".into());
            }
        }
        errors
    }
}

/// Why `name` cannot be an application name, if it cannot.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("Name is required.".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Some(format!(
            "Name must be at most {MAX_NAME_LEN} characters (it has {}), so that server group and Pod names stay within Kubernetes' 63.",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("Name must start with a lowercase letter.".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some("Name may contain only lowercase letters, digits and hyphens.".into());
    }
    if name.ends_with('-') || name.contains("--") {
        return Some("Name cannot end with a hyphen or contain two in a row.".into());
    }
    None
}

/// Why `email` is not an email address, if it is not.
pub fn email_problem(email: &str) -> Option<String> {
    if email.trim().is_empty() {
        return Some("Owner email is required.".into());
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    (!valid).then(|| format!("{email:?} is not an email address, such as owner@example.com."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, email: &str) -> ApplicationSpec {
        ApplicationSpec {
            name: name.into(),
            owner_email: email.into(),
            ..ApplicationSpec::default()
        }
    }

    fn fields(spec: &ApplicationSpec) -> Vec<String> {
        spec.validate().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn name_and_email_are_all_that_is_required() {
        assert!(spec("web", "owner@example.com").validate().is_empty());
    }

    #[test]
    fn each_bad_field_gets_its_own_error() {
        assert_eq!(fields(&spec("", "")), ["name", "ownerEmail"]);
        let mut bad = spec("web", "owner@example.com");
        bad.instance_port = Some(0);
        bad.repository = Some(Repository {
            kind: RepositoryKind::Github,
            project: "acme".into(),
            name: " ".into(),
        });
        assert_eq!(fields(&bad), ["repository", "instancePort"]);
    }

    #[test]
    fn names_must_fit_kubernetes() {
        for good in ["a", "web", "web-2", &"a".repeat(MAX_NAME_LEN)] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "Web",
            "2web",
            "-web",
            "web-",
            "we--b",
            "web_1",
            "wéb",
            &"a".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(name_problem(bad).is_some(), "{bad} must be refused");
        }
        assert_eq!(MAX_NAME_LEN + "-v000-abcde".len(), 63);
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        for good in ["a@b.co", "first.last+tag@example.com"] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        for bad in [
            "owner",
            "@example.com",
            "owner@",
            "owner@example",
            "a b@example.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad} must be refused");
        }
    }

    #[test]
    fn unknown_fields_in_json_are_refused() {
        let json = r#"{"name":"web","ownerEmail":"o@example.com","colour":"blue"}"#;
        let error = serde_json::from_str::<ApplicationSpec>(json)
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("colour")));
    }
}
