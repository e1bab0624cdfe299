//! The Resize Server Group stage's form: which server group, and to an exact size or up or down by a percentage or a number.

use leptos::prelude::*;

use super::targets::{ClusterPlace, TargetChoice};
use crate::pages::pipelines::editor::draft::{Draft, as_text};
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{Choice, Setting};
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn ResizeServerGroupForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let ref_id = scope.ref_id.clone();
    let action = Memo::new(move |_| {
        draft.with_stage(&ref_id, |s| {
            s.map(|s| as_text(s.settings.get("action")))
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "scale_exact".into())
        })
    });
    let ref_id = scope.ref_id.clone();
    let by_percent = Memo::new(move |_| {
        draft.with_stage(&ref_id, |s| {
            s.map(|s| as_text(s.settings.get("resizeType")))
                .is_none_or(|t| t != "incr")
        })
    });
    view! {
        <ClusterPlace cluster_optional=true />
        <TargetChoice />
        <Choice path=vec![Seg::Key("action")] id="stage-resize-action" label="Resize"
            options=vec![("scale_exact", "To an exact size"), ("scale_up", "Up"), ("scale_down", "Down")] />
        {move || if action.get() == "scale_exact" {
            view! {
                <Setting path=vec![Seg::Key("capacity"), Seg::Key("desired")] id="stage-resize-replicas" label="Replicas" number=true required=true />
            }.into_any()
        } else {
            view! {
                <div class="form-grid">
                    <Choice path=vec![Seg::Key("resizeType")] id="stage-resize-type" label="By"
                        options=vec![("pct", "A percentage of its size"), ("incr", "A number of replicas")] />
                    {move || if by_percent.get() {
                        view! { <Setting path=vec![Seg::Key("scalePct")] id="stage-resize-amount" label="Percent" number=true required=true /> }.into_any()
                    } else {
                        view! { <Setting path=vec![Seg::Key("scaleNum")] id="stage-resize-amount" label="Replicas" number=true required=true /> }.into_any()
                    }}
                </div>
            }.into_any()
        }}
    }
}
