//! The form of each stage type, one module per type named as the type is (`wait`,
//! `manual_judgment`, `deploy`…), each writing Spinnaker's field names into the stage's settings.
//! [`TypeForm`] picks the one for a stage; a type Gennaker does not run shows its JSON, kept as it
//! is. What the forms share is in [`super::widgets`] and [`targets`].

mod bake_manifest;
mod check_preconditions;
mod delete_manifest;
mod deploy;
mod deploy_manifest;
mod evaluate_variables;
mod find_image_from_cluster;
mod jenkins;
mod manual_judgment;
mod pipeline;
mod resize_server_group;
mod rolling_restart_manifest;
mod run_job_manifest;
mod scale_down_cluster;
mod scale_manifest;
mod script;
mod server_group;
mod shrink_cluster;
mod targets;
mod undo_rollout_manifest;
mod wait;
mod webhook;

use leptos::prelude::*;

use crate::pages::pipelines::editor::draft::Draft;
use crate::pages::pipelines::editor::scope::StageScope;
use bake_manifest::BakeManifestForm;
use check_preconditions::CheckPreconditionsForm;
use delete_manifest::DeleteManifestForm;
use deploy::DeployForm;
use deploy_manifest::DeployManifestForm;
use evaluate_variables::EvaluateVariablesForm;
use find_image_from_cluster::FindImageFromClusterForm;
use gennaker_core::pipelines::model::StageType;
use jenkins::JenkinsForm;
use manual_judgment::ManualJudgmentForm;
use pipeline::PipelineForm;
use resize_server_group::ResizeServerGroupForm;
use rolling_restart_manifest::RollingRestartManifestForm;
use run_job_manifest::RunJobManifestForm;
use scale_down_cluster::ScaleDownClusterForm;
use scale_manifest::ScaleManifestForm;
use script::ScriptForm;
use server_group::ServerGroupForm;
use shrink_cluster::ShrinkClusterForm;
use undo_rollout_manifest::UndoRolloutManifestForm;
use wait::WaitForm;
use webhook::WebhookForm;

/// The form of a stage of type `kind`.
#[component]
pub(super) fn TypeForm(kind: String) -> impl IntoView {
    let Some(kind) = StageType::parse(&kind) else {
        return view! { <Unsupported kind /> }.into_any();
    };
    let form = match kind {
        StageType::Wait => view! { <WaitForm /> }.into_any(),
        StageType::ManualJudgment => view! { <ManualJudgmentForm /> }.into_any(),
        StageType::CheckPreconditions => view! { <CheckPreconditionsForm /> }.into_any(),
        StageType::EvaluateVariables => view! { <EvaluateVariablesForm /> }.into_any(),
        StageType::Pipeline => view! { <PipelineForm /> }.into_any(),
        StageType::Webhook => view! { <WebhookForm /> }.into_any(),
        StageType::DeployManifest => view! { <DeployManifestForm /> }.into_any(),
        StageType::BakeManifest => view! { <BakeManifestForm /> }.into_any(),
        StageType::DeleteManifest => view! { <DeleteManifestForm /> }.into_any(),
        StageType::Deploy => view! { <DeployForm /> }.into_any(),
        StageType::ResizeServerGroup => view! { <ResizeServerGroupForm /> }.into_any(),
        StageType::DisableServerGroup
        | StageType::EnableServerGroup
        | StageType::DestroyServerGroup => view! { <ServerGroupForm /> }.into_any(),
        StageType::FindImageFromCluster => view! { <FindImageFromClusterForm /> }.into_any(),
        StageType::ScaleDownCluster => view! { <ScaleDownClusterForm /> }.into_any(),
        StageType::ShrinkCluster => view! { <ShrinkClusterForm /> }.into_any(),
        StageType::ScaleManifest => view! { <ScaleManifestForm /> }.into_any(),
        StageType::UndoRolloutManifest => view! { <UndoRolloutManifestForm /> }.into_any(),
        StageType::RollingRestartManifest => view! { <RollingRestartManifestForm /> }.into_any(),
        StageType::RunJobManifest => view! { <RunJobManifestForm /> }.into_any(),
        StageType::Script => view! { <ScriptForm /> }.into_any(),
        StageType::Jenkins => view! { <JenkinsForm /> }.into_any(),
    };
    view! {
        <fieldset class="field-group type-form">
            <legend>{format!("{} configuration", kind.label())}</legend>
            {form}
        </fieldset>
    }
    .into_any()
}

/// A stage type Gennaker does not run: kept as it is, shown as JSON.
#[component]
fn Unsupported(kind: String) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let json = draft.with_stage(&scope.ref_id, |s| {
        s.map(|s| serde_json::to_string_pretty(&s.settings).unwrap_or_default())
            .unwrap_or_default()
    });
    view! {
        <fieldset class="field-group type-form">
            <legend>{format!("{kind} configuration")}</legend>
            <p class="warning">
                {format!("Gennaker does not run {kind} stages yet. The stage is kept exactly as it is, and the pipeline cannot start until it is removed or replaced. Change it with Edit as JSON.")}
            </p>
            <pre class="json" aria-label="The stage's settings">{json}</pre>
        </fieldset>
    }
}
