//! The fields of an application, shared by the Create Application dialog and the Config tab.
//! Errors come from the server's validation and show beside the field they are about.

use leptos::prelude::*;

use crate::components::fields::TextField;
use crate::error::AppError;
use gennaker_core::applications::model::{
    ApplicationInput, ApplicationSpec, CloudProvider, RepositoryKind,
};

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

    /// The spec the inputs describe (see [`ApplicationInput::to_spec`]).
    pub fn to_spec(&self) -> Result<ApplicationSpec, AppError> {
        ApplicationInput {
            name: self.name.get_untracked(),
            owner_email: self.owner_email.get_untracked(),
            description: self.description.get_untracked(),
            repository_kind: self.repository_kind.get_untracked(),
            repository_project: self.repository_project.get_untracked(),
            repository_name: self.repository_name.get_untracked(),
            instance_port: self.instance_port.get_untracked(),
            kubernetes: self.kubernetes.get_untracked().then(|| "on".to_string()),
            read_roles: self.read_roles.get_untracked(),
            write_roles: self.write_roles.get_untracked(),
            execute_roles: self.execute_roles.get_untracked(),
        }
        .to_spec()
        .map_err(AppError::from)
    }
}

/// Every field of an application. `name_locked` makes the name read-only (it cannot change).
/// Each input is named as [`ApplicationInput`] posts it, so the form can post as it is.
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
    let posts = ApplicationInput::form_name;
    let optional = view! {
        <TextField id=id("description") name=posts("description") label="Description" field="description" value=fields.description errors />
        <fieldset class="field-group">
            <legend>"Repository"</legend>
            <div class="field">
                <label for=id("repo-kind")>"Type"</label>
                <select id=id("repo-kind") name=posts("repository_kind") bind:value=fields.repository_kind>
                    <option value="">"None"</option>
                    {RepositoryKind::ALL
                        .into_iter()
                        .map(|kind| {
                            let selected = fields.repository_kind.get_untracked() == kind.as_str();
                            view! { <option value=kind.as_str() selected=selected>{kind.as_str()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <TextField id=id("repo-project") name=posts("repository_project") label="Project" field="repository" value=fields.repository_project errors />
            <TextField id=id("repo-name") name=posts("repository_name") label="Repository name" field="repository" value=fields.repository_name errors />
        </fieldset>
        <TextField
            id=id("instance-port")
            name=posts("instance_port")
            label="Instance port"
            field="instancePort"
            value=fields.instance_port
            errors
            kind="number"
            hint="The port your containers listen on, used for health checks and load balancers."
        />
        <div class="field checkbox">
            <input id=id("kubernetes") name=posts("kubernetes") type="checkbox" checked=fields.kubernetes.get_untracked() bind:checked=fields.kubernetes />
            <label for=id("kubernetes")>"Deploys to Kubernetes"</label>
        </div>
        <fieldset class="field-group">
            <legend>"Permissions"</legend>
            <p class="hint">"Roles, separated by commas. Leave empty to allow everyone."</p>
            <TextField id=id("read") name=posts("read_roles") label="Read" field="permissions.READ" value=fields.read_roles errors />
            <TextField id=id("write") name=posts("write_roles") label="Write" field="permissions.WRITE" value=fields.write_roles errors />
            <TextField id=id("execute") name=posts("execute_roles") label="Execute" field="permissions.EXECUTE" value=fields.execute_roles errors />
        </fieldset>
    };
    view! {
        <TextField
            id=id("name")
            name=posts("name")
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
            name=posts("owner_email")
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
