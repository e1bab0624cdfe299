//! The fields of an application, shared by the Create Application dialog and the Config tab.
//! Errors come from the server's validation and show beside the field they are about.

use leptos::prelude::*;

use crate::applications::model::{
    ApplicationSpec, CloudProvider, Permissions, Repository, RepositoryKind,
};
use crate::components::fields::TextField;
use crate::error::AppError;

/// The form's state: one signal per input, as text the user typed.
#[derive(Clone, Copy)]
pub struct ApplicationFields {
    pub name: RwSignal<String>,
    pub owner_email: RwSignal<String>,
    pub description: RwSignal<String>,
    pub repository_kind: RwSignal<String>,
    pub repository_project: RwSignal<String>,
    pub repository_name: RwSignal<String>,
    pub instance_port: RwSignal<String>,
    pub kubernetes: RwSignal<bool>,
    pub read_roles: RwSignal<String>,
    pub write_roles: RwSignal<String>,
    pub execute_roles: RwSignal<String>,
}

fn roles_text(roles: &[String]) -> String {
    roles.join(", ")
}

fn roles_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect()
}

impl ApplicationFields {
    /// Fields filled from `spec`.
    pub fn new(spec: &ApplicationSpec) -> ApplicationFields {
        let repository = spec.repository.clone();
        ApplicationFields {
            name: RwSignal::new(spec.name.clone()),
            owner_email: RwSignal::new(spec.owner_email.clone()),
            description: RwSignal::new(spec.description.clone()),
            repository_kind: RwSignal::new(
                repository
                    .as_ref()
                    .map(|r| r.kind.as_str())
                    .unwrap_or("")
                    .to_string(),
            ),
            repository_project: RwSignal::new(
                repository
                    .as_ref()
                    .map(|r| r.project.clone())
                    .unwrap_or_default(),
            ),
            repository_name: RwSignal::new(repository.map(|r| r.name).unwrap_or_default()),
            instance_port: RwSignal::new(
                spec.instance_port
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
            kubernetes: RwSignal::new(spec.cloud_providers.contains(&CloudProvider::Kubernetes)),
            read_roles: RwSignal::new(roles_text(&spec.permissions.read)),
            write_roles: RwSignal::new(roles_text(&spec.permissions.write)),
            execute_roles: RwSignal::new(roles_text(&spec.permissions.execute)),
        }
    }

    /// Puts `spec`'s values back into the inputs.
    pub fn reset(&self, spec: &ApplicationSpec) {
        let fresh = ApplicationFields::new(spec);
        self.name.set(fresh.name.get_untracked());
        self.owner_email.set(fresh.owner_email.get_untracked());
        self.description.set(fresh.description.get_untracked());
        self.repository_kind
            .set(fresh.repository_kind.get_untracked());
        self.repository_project
            .set(fresh.repository_project.get_untracked());
        self.repository_name
            .set(fresh.repository_name.get_untracked());
        self.instance_port.set(fresh.instance_port.get_untracked());
        self.kubernetes.set(fresh.kubernetes.get_untracked());
        self.read_roles.set(fresh.read_roles.get_untracked());
        self.write_roles.set(fresh.write_roles.get_untracked());
        self.execute_roles.set(fresh.execute_roles.get_untracked());
    }

    /// The spec the inputs describe; a port that is not a number is refused here, the rest
    /// is validated by the server.
    pub fn to_spec(&self) -> Result<ApplicationSpec, AppError> {
        let port_text = self.instance_port.get_untracked();
        let instance_port = match port_text.trim() {
            "" => None,
            text => Some(text.parse::<u16>().map_err(|_| {
                AppError::invalid(
                    "instancePort",
                    format!("Instance port must be a number from 1 to 65535, not {text:?}."),
                )
            })?),
        };
        let kind = self.repository_kind.get_untracked();
        let repository = RepositoryKind::parse(&kind).map(|kind| Repository {
            kind,
            project: self.repository_project.get_untracked().trim().to_string(),
            name: self.repository_name.get_untracked().trim().to_string(),
        });
        Ok(ApplicationSpec {
            name: self.name.get_untracked().trim().to_string(),
            owner_email: self.owner_email.get_untracked().trim().to_string(),
            description: self.description.get_untracked().trim().to_string(),
            repository,
            cloud_providers: if self.kubernetes.get_untracked() {
                vec![CloudProvider::Kubernetes]
            } else {
                Vec::new()
            },
            instance_port,
            permissions: Permissions {
                read: roles_list(&self.read_roles.get_untracked()),
                write: roles_list(&self.write_roles.get_untracked()),
                execute: roles_list(&self.execute_roles.get_untracked()),
            },
        })
    }
}

/// Every field of an application. `name_locked` makes the name read-only (it cannot change).
#[component]
pub fn ApplicationForm(
    fields: ApplicationFields,
    #[prop(into)] errors: Signal<Option<AppError>>,
    /// Prefix for element ids, so two forms on one page do not clash.
    #[prop(into)]
    id_prefix: String,
    #[prop(optional)] name_locked: bool,
    /// Show only the two required fields, with the rest behind "More options".
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    let id = move |name: &str| format!("{id_prefix}-{name}");
    let optional = view! {
        <TextField id=id("description") label="Description" field="description" value=fields.description errors />
        <fieldset class="field-group">
            <legend>"Repository"</legend>
            <div class="field">
                <label for=id("repo-kind")>"Type"</label>
                <select id=id("repo-kind") bind:value=fields.repository_kind>
                    <option value="">"None"</option>
                    {RepositoryKind::ALL
                        .into_iter()
                        .map(|kind| view! { <option value=kind.as_str()>{kind.as_str()}</option> })
                        .collect_view()}
                </select>
            </div>
            <TextField id=id("repo-project") label="Project" field="repository" value=fields.repository_project errors />
            <TextField id=id("repo-name") label="Repository name" field="repository" value=fields.repository_name errors />
        </fieldset>
        <TextField
            id=id("instance-port")
            label="Instance port"
            field="instancePort"
            value=fields.instance_port
            errors
            kind="number"
            hint="The port your containers listen on, used for health checks and load balancers."
        />
        <div class="field checkbox">
            <input id=id("kubernetes") type="checkbox" bind:checked=fields.kubernetes />
            <label for=id("kubernetes")>"Deploys to Kubernetes"</label>
        </div>
        <fieldset class="field-group">
            <legend>"Permissions"</legend>
            <p class="hint">"Roles, separated by commas. Leave empty to allow everyone."</p>
            <TextField id=id("read") label="Read" field="permissions.READ" value=fields.read_roles errors />
            <TextField id=id("write") label="Write" field="permissions.WRITE" value=fields.write_roles errors />
            <TextField id=id("execute") label="Execute" field="permissions.EXECUTE" value=fields.execute_roles errors />
        </fieldset>
    };
    view! {
        <TextField
            id=id("name")
            label="Name"
            field="name"
            value=fields.name
            errors
            required=true
            readonly=name_locked
            hint="Lowercase letters, digits and hyphens; it prefixes every server group."
        />
        <TextField
            id=id("owner-email")
            label="Owner email"
            field="ownerEmail"
            value=fields.owner_email
            errors
            required=true
            kind="email"
            autocomplete="email"
        />
        {if compact {
            view! {
                <details class="more-options">
                    <summary>"More options"</summary>
                    {optional}
                </details>
            }
                .into_any()
        } else {
            optional.into_any()
        }}
    }
}
