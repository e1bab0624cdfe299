//! The Jenkins stage's form: the master (from the configured ones), the job, its parameters, the property file, how the build's result counts.

use leptos::prelude::*;

use crate::components::feedback::Loading;
use crate::components::fields::SelectField;
use crate::infrastructure::{jenkins_jobs, list_jenkins_masters};
use crate::pages::pipelines::editor::draft::Draft;
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{Flag, Input, Setting, parse_pairs, show_pairs};
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn JenkinsForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let masters = Resource::new(|| (), |_| list_jenkins_masters());
    let master = draft.setting(&scope.ref_id, vec![Seg::Key("master")], false);
    let master_field = draft.show(scope.path("master"));
    let jobs = Resource::new(
        move || master.get.get(),
        |name| async move {
            if name.trim().is_empty() || name.contains("${") {
                Ok(Vec::new())
            } else {
                jenkins_jobs(name).await
            }
        },
    );
    let errors = draft.errors();
    let parameters_field = draft.show(scope.path("parameters"));
    let parameters = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("parameters")],
        parameters_field.clone(),
        show_pairs,
        parse_pairs,
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Loading Jenkins masters…" /> }>
            {move || {
                let field = master_field.clone();
                Suspend::new(async move {
                    let current = master.get.get_untracked();
                    let mut options = vec![(String::new(), "Choose a master".to_string())];
                    options.extend(masters.await.unwrap_or_default().into_iter().map(|m| (m.clone(), m)));
                    if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
                        options.push((current.clone(), current));
                    }
                    view! { <SelectField id="stage-jenkins-master" label="Master" field value=master errors options=Signal::stored(options) /> }
                })
            }}
        </Transition>
        <Setting path=vec![Seg::Key("job")] id="stage-jenkins-job" label="Job" required=true
            hint="The job's name; a job in a folder as folder/job." />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match jobs.await {
                    Ok(list) if !list.is_empty() => view! {
                        <p class="hint jenkins-jobs">{format!("Jobs on this master: {}", list.join(", "))}</p>
                    }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(error) => view! { <p class="hint">{format!("The master's jobs cannot be listed: {error}")}</p> }.into_any(),
                }
            })}
        </Transition>
        <Input id="stage-jenkins-parameters" label="Parameters" field=parameters_field value=parameters area=true
            hint="name=value, one per line; values may be expressions such as ${trigger['tag']}." />
        <Setting path=vec![Seg::Key("propertyFile")] id="stage-jenkins-property-file" label="Property file"
            hint="Optional: an archived file of the build (key=value, JSON or YAML) whose values become the stage's outputs." />
        <Flag path=vec![Seg::Key("markUnstableAsSuccessful")] id="stage-jenkins-unstable" label="Mark UNSTABLE as successful" />
        <Flag path=vec![Seg::Key("waitForCompletion")] id="stage-jenkins-wait" label="Wait for the build to finish" default=true />
    }
}
