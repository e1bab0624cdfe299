//! Tasks: operations run from the UI or the API, newest first.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{feedback::EmptyState, layout::PageHeader};

#[component]
pub fn TasksPage() -> impl IntoView {
    view! {
        <Title text="Tasks" />
        <PageHeader
            title="Tasks"
            summary="Every operation on a cluster runs as a task, with its steps and their results."
        />
        <EmptyState title="No tasks have run yet">
            <p>"Deploying, resizing or destroying a server group starts a task; it will be listed here."</p>
        </EmptyState>
    }
}
