//! The Pipeline stage's form: the application and pipeline to run, its parameters, whether to wait.

use leptos::prelude::*;

use crate::components::feedback::Loading;
use crate::components::fields::SelectField;
use crate::pages::pipelines::editor::draft::Draft;
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{Flag, Input, Setting, parse_pairs, show_pairs};
use crate::pipelines::list_pipelines;
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn PipelineForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let own_id = draft.config.with_untracked(|c| c.id.clone());
    let application = draft.setting(&scope.ref_id, vec![Seg::Key("application")], false);
    let pipelines = Resource::new(
        move || application.get.get(),
        |app| async move {
            if app.trim().is_empty() {
                Ok(Vec::new())
            } else {
                list_pipelines(app).await
            }
        },
    );
    let field = draft.show(scope.path("pipeline"));
    let chosen = draft.setting(&scope.ref_id, vec![Seg::Key("pipeline")], false);
    let errors = draft.errors();
    let parameters_field = draft.show(scope.path("pipelineParameters"));
    let parameters = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("pipelineParameters")],
        parameters_field.clone(),
        show_pairs,
        parse_pairs,
    );
    view! {
        <Setting path=vec![Seg::Key("application")] id="stage-pipeline-application" label="Application" required=true />
        <Transition fallback=|| view! { <Loading label="Loading pipelines…" /> }>
            {move || {
                let (field, own_id) = (field.clone(), own_id.clone());
                Suspend::new(async move {
                    let list = pipelines.await.unwrap_or_default();
                    let mut options = vec![(String::new(), "Choose a pipeline".to_string())];
                    options.extend(list.into_iter().filter(|p| p.config.id != own_id).map(|p| (p.config.id, p.config.name)));
                    view! { <SelectField id="stage-pipeline" label="Pipeline" field value=chosen errors options=Signal::stored(options) /> }
                })
            }}
        </Transition>
        <Input id="stage-pipeline-parameters" label="Parameters" field=parameters_field value=parameters area=true
            hint="name=value, one per line; values may be expressions." />
        <Flag path=vec![Seg::Key("waitForCompletion")] id="stage-pipeline-wait" label="Wait for the pipeline to finish" default=true />
    }
}
