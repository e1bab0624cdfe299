//! The Clusters tab: the application's clusters, their server groups (newest first) and each
//! server group's instances, a details panel with the Server Group Actions menu, "Create Server
//! Group" and "Apply Manifest". A Deployment is a cluster whose server groups are its revisions,
//! with Scale, Undo Rollout and Delete; the application's Jobs are listed below. Updates live as
//! the cluster changes.
//!
//! This module is the tab and the dialog it has open; [`browser`] shows the clusters,
//! [`server_group`] one server group's details and actions, [`deployments`] a Deployment's,
//! [`jobs`] the Jobs, and [`dialogs`] the dialogs the others open.

mod browser;
mod deployments;
mod dialogs;
mod jobs;
mod server_group;

use leptos::prelude::*;

use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::operation::{Confirm, ConfirmDialog};
use crate::infrastructure::application_clusters;
use crate::pages::application::ApplicationContext;
use browser::ClusterBrowser;
use deployments::UndoRolloutDialog;
use dialogs::{
    CreateServerGroupDialog, ManifestDialog, ReplicasDialog, ReplicasTarget, RollbackDialog,
};
use gennaker_core::infrastructure::server_groups::{
    ClusterView, ObjectRef, ServerGroup, ServerGroupSpec,
};
use jobs::JobsSection;

/// A dialog open on the Clusters tab.
#[derive(Clone)]
enum Open {
    Create(Box<ServerGroupSpec>),
    Replicas(Box<ReplicasTarget>),
    Rollback(Box<ServerGroup>, Vec<ServerGroup>),
    Undo(Box<ClusterView>, Option<u32>),
    Confirm(Box<Confirm>),
    Manifest,
}

lazy_page!(
    /// The Clusters tab.
    ClustersRoute => ClustersTab
);

#[component]
pub fn ClustersTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let clusters = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_clusters(name),
    );
    let selected = RwSignal::new(None::<ObjectRef>);
    let open = RwSignal::new(None::<Open>);
    let account = RwSignal::new(String::new());
    let namespace = RwSignal::new(String::new());
    let stack = RwSignal::new(String::new());

    let new_spec = move || ServerGroupSpec {
        application: context.name.get_untracked(),
        replicas: 1,
        ..ServerGroupSpec::default()
    };
    view! {
        <section class="tab-panel clusters" aria-label="Clusters">
            <div class="tab-toolbar">
                <button type="button" class="button primary" id="create-server-group"
                    on:click=move |_| open.set(Some(Open::Create(Box::new(new_spec()))))>
                    "+ Create Server Group"
                </button>
                <button type="button" class="button" id="apply-manifest" on:click=move |_| open.set(Some(Open::Manifest))>
                    "Apply Manifest"
                </button>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading clusters…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        clusters.await.map(|clusters| {
                            view! { <ClusterBrowser clusters selected open account namespace stack /> }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <JobsSection open />
        </section>
        {move || open.get().map(|dialog| {
            let close = Callback::new(move |()| open.set(None));
            match dialog {
                Open::Create(spec) => view! { <CreateServerGroupDialog spec=*spec live on_close=close /> }.into_any(),
                Open::Replicas(target) => view! { <ReplicasDialog target=*target live on_close=close /> }.into_any(),
                Open::Rollback(group, older) => view! { <RollbackDialog group=*group older live on_close=close /> }.into_any(),
                Open::Undo(cluster, revision) => view! { <UndoRolloutDialog cluster=*cluster revision live on_close=close /> }.into_any(),
                Open::Confirm(confirm) => view! { <ConfirmDialog confirm=*confirm live on_close=close /> }.into_any(),
                Open::Manifest => view! { <ManifestDialog application=context.name.get_untracked() live on_close=close /> }.into_any(),
            }
        })}
    }
}
