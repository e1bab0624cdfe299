//! Stages laid out by depth, as Deck's pipeline graph reads left to right: a column for the
//! stages that start first, then one for each step further along `requisiteStageRefIds`. Each
//! stage says in words what it waits for, so the layout needs no lines to be understood. Below
//! 720 px the columns stack.

use leptos::prelude::*;

use gennaker_core::pipelines::graph::{columns, nodes};

/// One stage as the graph draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphStage {
    pub ref_id: String,
    pub name: String,
    pub requisites: Vec<String>,
}

/// "after Wait and Check": the names of the stages `stage` waits for.
pub fn waits_for(stages: &[GraphStage], stage: &GraphStage) -> String {
    let names: Vec<&str> = stage
        .requisites
        .iter()
        .map(|r| {
            stages
                .iter()
                .find(|s| &s.ref_id == r)
                .map_or(r.as_str(), |s| s.name.as_str())
        })
        .collect();
    match names.as_slice() {
        [] => "starts first".to_string(),
        [one] => format!("after {one}"),
        [rest @ .., last] => format!("after {} and {last}", rest.join(", ")),
    }
}

/// The stages in columns; `node` draws one (given its index in `stages`).
#[component]
pub fn StageColumns<N, V>(
    #[prop(into)] stages: Signal<Vec<GraphStage>>,
    node: N,
    #[prop(into)] label: String,
) -> impl IntoView
where
    N: Fn(usize, std::sync::Arc<[GraphStage]>) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <ol class="stage-graph" aria-label=label>
            {move || {
                let list: std::sync::Arc<[GraphStage]> = stages.get().into();
                let laid_out = columns(&nodes(&list, |s| (s.ref_id.as_str(), s.requisites.as_slice())));
                laid_out
                    .into_iter()
                    .enumerate()
                    .map(|(depth, column)| {
                        let node = node.clone();
                        let list = list.clone();
                        view! {
                            <li class="stage-column">
                                <span class="visually-hidden">{format!("Step {}", depth + 1)}</span>
                                <ul class="stage-column-items">
                                    {column.into_iter().map(|i| view! { <li>{node(i, list.clone())}</li> }).collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}
