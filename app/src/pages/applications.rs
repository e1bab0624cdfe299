//! The Applications list: the home page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{feedback::EmptyState, layout::PageHeader};

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    view! {
        <Title text="Applications" />
        <PageHeader
            title="Applications"
            summary="An application groups the server groups, load balancers and pipelines of one service."
        />
        <EmptyState title="No applications yet">
            <p>
                "Applications you create appear here, with their owners and when they last changed."
            </p>
        </EmptyState>
    }
}
