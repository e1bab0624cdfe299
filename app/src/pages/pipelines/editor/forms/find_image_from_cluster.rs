//! The Find Image from Cluster stage's form: the cluster, which server group's image, only enabled ones or not.

use leptos::prelude::*;

use super::targets::ClusterPlace;
use crate::pages::pipelines::editor::widgets::{Choice, Flag};
use gennaker_core::pipelines::write::Seg;
use gennaker_core::tasks::model::ImagePick;

#[component]
pub(super) fn FindImageFromClusterForm() -> impl IntoView {
    let options: Vec<(&'static str, &'static str)> = ImagePick::ALL
        .into_iter()
        .map(|(_, value, label)| (value, label))
        .collect();
    view! {
        <ClusterPlace />
        <Choice path=vec![Seg::Key("selectionStrategy")] id="stage-find-selection" label="Take the image of the" options />
        <Flag path=vec![Seg::Key("onlyEnabled")] id="stage-find-enabled" label="Only enabled server groups" default=true />
        <p class="hint">"Later Deploy stages take it with \"Image from\" this stage, and expressions see it as #stage('name').outputs.deploymentDetails."</p>
    }
}
