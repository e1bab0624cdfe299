//! The Wait stage's form: `waitTime` in seconds (or an expression).

use leptos::prelude::*;

use crate::pages::pipelines::editor::widgets::Setting;
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn WaitForm() -> impl IntoView {
    view! {
        <Setting path=vec![Seg::Key("waitTime")] id="stage-wait-time" label="Wait time (seconds)" number=true required=true
            hint="Seconds, or an expression such as ${parameters.waitSeconds}." />
    }
}
