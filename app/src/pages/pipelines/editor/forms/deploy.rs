//! Deploy: the stage's clusters (`clusters[]`), each a server group edited with the same form
//! and image picker as Create Server Group, plus how it replaces the cluster's other server
//! groups — None, Highlander, or Red/Black with the server groups it keeps, scaling the old
//! ones down, delays and rollback. What the form edits is written back in Deck's shape over the
//! entry, so fields it does not know are kept.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use crate::components::fields::{CheckboxField, SelectField, TextArea, TextField};
use crate::components::server_group_form::{ServerGroupFields, ServerGroupForm};
use crate::error::{AppError, FieldError};
use crate::pages::application::ApplicationContext;
use crate::pages::pipelines::editor::draft::Draft;
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pipelines::list_pipelines;
use gennaker_core::pipelines::graph::{depends_on, nodes};
use gennaker_core::pipelines::model::{Stage, StageType};
use gennaker_core::pipelines::stages::{
    DEFAULT_PERCENTAGES, DeployCluster, StageSettings, Strategy, StrategyPipeline, read,
};
use gennaker_core::pipelines::triggers::TriggerType;
use gennaker_core::pipelines::write::{self, Seg, deploy_cluster_entry};

/// The stage's `clusters[]` entries.
fn entries(stage: Option<&Stage>) -> Vec<Map<String, Value>> {
    stage
        .and_then(|s| s.settings.get("clusters"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| i.as_object().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// An entry read as a server group and a strategy (leniently: this is an edit).
fn read_entry(entry: &Map<String, Value>) -> DeployCluster {
    let stage = Stage {
        kind: StageType::Deploy.as_str().into(),
        settings: [("clusters".to_string(), json!([entry]))]
            .into_iter()
            .collect(),
        ..Stage::default()
    };
    match read(StageType::Deploy, &stage, "", true, &mut Vec::new()) {
        StageSettings::Deploy(mut clusters) if !clusters.is_empty() => clusters.remove(0),
        _ => DeployCluster::default(),
    }
}

/// "local · default · web-prod (Highlander)".
fn summary(entry: &Map<String, Value>) -> String {
    let cluster = read_entry(entry);
    let spec = &cluster.spec;
    let place = [
        spec.account.as_str(),
        spec.namespace.as_str(),
        &spec.cluster(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    format!(
        "{place} ({}, {} replicas)",
        cluster.strategy.label(),
        spec.replicas
    )
}

/// The "Image from" choice that takes the image from the Docker Registry trigger.
const FROM_TRIGGER: &str = "@trigger";

#[component]
pub(super) fn DeployForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let ref_id = scope.ref_id.clone();
    let list = Memo::new(move |_| {
        draft.with_stage(&ref_id, |s| {
            entries(s).iter().map(summary).collect::<Vec<_>>()
        })
    });
    // The form is built again only when a cluster comes or goes, not as its summary changes.
    let count = Memo::new(move |_| list.with(Vec::len));
    let editing = RwSignal::new(0usize);
    let path = draft.show(scope.path("clusters"));
    let messages = move || {
        let path = path.clone();
        draft
            .messages(&path)
            .into_iter()
            .filter(|_| list.with(Vec::is_empty))
            .collect::<Vec<_>>()
    };
    let add = {
        let ref_id = scope.ref_id.clone();
        move |_| {
            let mut count = 0;
            draft.update_stage(&ref_id, |s| {
                let list = s.settings.entry("clusters").or_insert_with(|| json!([]));
                if let Value::Array(items) = list {
                    items.push(json!({"cloudProvider": "kubernetes", "provider": "kubernetes", "targetSize": 1, "strategy": ""}));
                    count = items.len();
                }
            });
            editing.set(count.saturating_sub(1));
        }
    };
    let remove = {
        let ref_id = scope.ref_id.clone();
        move |j: usize| {
            draft.update_stage(&ref_id, |s| {
                if let Some(Value::Array(items)) = s.settings.get_mut("clusters")
                    && j < items.len()
                {
                    items.remove(j);
                }
            });
            editing.set(0);
        }
    };
    view! {
        <div class="setting-list" role="group" aria-label="Clusters">
            <ul class="cluster-entries">
                {move || list.get().into_iter().enumerate().map(|(j, text)| {
                    let remove = remove.clone();
                    view! {
                        <li class="cluster-entry" class:selected=move || editing.get() == j>
                            <span class="cluster-entry-summary">{text}</span>
                            <button type="button" class="button small" aria-pressed=move || (editing.get() == j).to_string()
                                on:click=move |_| editing.set(j)>{format!("Edit cluster {}", j + 1)}</button>
                            <button type="button" class="button small" on:click=move |_| remove(j)>{format!("Remove cluster {}", j + 1)}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || messages().into_iter().map(|m| view! { <p class="field-error">{m}</p> }).collect_view()}
            <button type="button" class="button small" id="add-cluster" on:click=add>"+ Add cluster"</button>
        </div>
        {move || {
            let j = editing.get();
            (j < count.get()).then(|| view! { <ClusterEditor j /> })
        }}
    }
}

/// Validation's paths under a cluster entry, as the server group form names its fields.
fn form_field(field: &str) -> String {
    match field {
        "targetSize" => "replicas".into(),
        "freeFormDetails" => "detail".into(),
        "region" => "namespace".into(),
        f if f.starts_with("containers") => "image".into(),
        other => other.into(),
    }
}

/// The fields below the server group form; their errors show beside them.
const STRATEGY_FIELDS: [&str; 10] = [
    "strategy",
    "maxRemainingAsgs",
    "delayBeforeDisableSec",
    "delayBeforeScaleDownSec",
    "rollback",
    "targetPercentages",
    "delayBeforeCleanup",
    "pipelineBeforeCleanup",
    "strategyPipeline",
    "pipelineParameters",
];

/// "25, 50, 100" as rising percentages up to 100.
fn parse_percentages(text: &str) -> Result<Vec<u64>, AppError> {
    let wrong = || {
        AppError::invalid(
            "targetPercentages",
            "Give rising percentages from 1 to 100, separated by commas, such as 25, 50, 100.",
        )
    };
    let numbers = text
        .split([',', ' '])
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            t.trim()
                .trim_end_matches('%')
                .parse::<u64>()
                .map_err(|_| wrong())
        })
        .collect::<Result<Vec<u64>, AppError>>()?;
    let rising = numbers.windows(2).all(|w| w[0] < w[1]);
    if numbers.is_empty() || !rising || numbers.iter().any(|p| !(1..=100).contains(p)) {
        return Err(wrong());
    }
    Ok(numbers)
}

/// Lines of `name=value`.
fn parse_parameters(text: &str) -> Result<Vec<(String, String)>, AppError> {
    let parsed = crate::pages::pipelines::editor::widgets::parse_map(text, '=', "name=value")
        .map_err(|e| AppError::invalid("pipelineParameters", e))?;
    Ok(parsed
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect())
}

/// One cluster entry: the server group form and the strategy.
#[component]
fn ClusterEditor(j: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let application = expect_context::<ApplicationContext>().name;
    let entry = draft.with_stage(&scope.ref_id, |s| {
        entries(s).get(j).cloned().unwrap_or_default()
    });
    let mut cluster = read_entry(&entry);
    if cluster.spec.application.is_empty() {
        cluster.spec.application = application.get_untracked();
    }
    let fields = ServerGroupFields::new(&cluster.spec);
    let strategy = RwSignal::new(cluster.strategy.as_str().to_string());
    let count = |n: u64| RwSignal::new(n.to_string());
    let max_remaining = count(cluster.max_remaining);
    let delay_disable = count(cluster.delay_before_disable_sec);
    let delay_scale_down = count(cluster.delay_before_scale_down_sec);
    let scale_down = RwSignal::new(cluster.scale_down);
    let rollback = RwSignal::new(cluster.rollback_on_failure);
    let image_from = RwSignal::new(if cluster.image_from_trigger {
        FROM_TRIGGER.to_string()
    } else {
        cluster.image_from_stage.clone().unwrap_or_default()
    });
    let percentages = RwSignal::new(
        if cluster.target_percentages.is_empty() {
            DEFAULT_PERCENTAGES.to_vec()
        } else {
            cluster.target_percentages.clone()
        }
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", "),
    );
    let delay_cleanup = count(cluster.delay_before_cleanup_sec);
    let chosen_pipeline = RwSignal::new(
        cluster
            .pipeline
            .as_ref()
            .map(|p| p.pipeline.clone())
            .unwrap_or_default(),
    );
    let pipeline_application = cluster
        .pipeline
        .as_ref()
        .map(|p| p.application.clone())
        .unwrap_or_default();
    let pipeline_parameters = RwSignal::new(
        cluster
            .pipeline
            .as_ref()
            .map(|p| {
                p.parameters
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
    );
    // The Find Image from Cluster stages this stage runs after: the images it may take.
    let finders = {
        let own = scope.ref_id.clone();
        draft.config.with_untracked(|c| {
            let nodes = nodes(&c.stages, |s| {
                (s.ref_id.as_str(), s.requisite_stage_ref_ids.as_slice())
            });
            let me = c.stages.iter().position(|s| s.ref_id == own);
            c.stages
                .iter()
                .enumerate()
                .filter(|(i, s)| {
                    s.kind == StageType::FindImageFromCluster.as_str()
                        && me.is_some_and(|me| depends_on(&nodes, me, *i))
                })
                .map(|(_, s)| (s.ref_id.clone(), s.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let current = image_from.get_untracked();
    let mut image_options = vec![(String::new(), "The image chosen below".to_string())];
    let has_docker_trigger = draft.config.with_untracked(|c| {
        c.triggers
            .iter()
            .flatten()
            .any(|t| t.kind == TriggerType::Docker.as_str())
    });
    if has_docker_trigger || current == FROM_TRIGGER {
        image_options.push((
            FROM_TRIGGER.to_string(),
            "The trigger's pushed image".to_string(),
        ));
    }
    image_options.extend(
        finders
            .iter()
            .map(|(id, name)| (id.clone(), format!("Find Image stage: {name}"))),
    );
    if !current.is_empty()
        && current != FROM_TRIGGER
        && !finders.iter().any(|(id, _)| *id == current)
    {
        image_options.push((
            current.clone(),
            format!("Stage {current} (not a Find Image stage before this one)"),
        ));
    }
    let image_elsewhere = Signal::derive(move || {
        let chosen = image_from.get();
        if chosen == FROM_TRIGGER {
            return Some("The image is the one whose push started the execution: its repository, tag and digest. Started by hand, it is the newest tag the trigger would start on.".to_string());
        }
        (!chosen.is_empty()).then(|| {
            let name = finders
                .iter()
                .find(|(id, _)| *id == chosen)
                .map_or_else(|| format!("stage {chosen}"), |(_, n)| format!("{n:?}"));
            format!("The image is the one {name} finds when it runs.")
        })
    });
    let number = |signal: RwSignal<String>, field: &str, label: &str| -> Result<u64, AppError> {
        let text = signal.get();
        text.trim().parse::<u64>().map_err(|_| {
            AppError::invalid(
                field,
                format!(
                    "{label} must be a whole number of 0 or more, not {:?}.",
                    text.trim()
                ),
            )
        })
    };
    let built = Memo::new(move |_| -> Result<DeployCluster, AppError> {
        let from = image_from.get();
        let spec = if from.is_empty() {
            fields.spec()?
        } else {
            let spec = fields.read()?;
            let problems: Vec<FieldError> = spec
                .validate()
                .into_iter()
                .filter(|e| e.field != "image")
                .collect();
            AppError::from_fields(problems)?;
            spec
        };
        let chosen_strategy = Strategy::parse(&strategy.get()).unwrap_or_default();
        let rolling = chosen_strategy == Strategy::RollingRedBlack;
        let custom = chosen_strategy == Strategy::Custom;
        let chosen = chosen_pipeline.get();
        if custom && chosen.is_empty() {
            return Err(AppError::invalid(
                "strategyPipeline",
                "Choose the pipeline the Custom strategy runs.",
            ));
        }
        let pipeline = ((rolling || custom) && !chosen.is_empty())
            .then(|| -> Result<StrategyPipeline, AppError> {
                Ok(StrategyPipeline {
                    application: pipeline_application.clone(),
                    pipeline: chosen.clone(),
                    parameters: parse_parameters(&pipeline_parameters.get())?,
                })
            })
            .transpose()?;
        Ok(DeployCluster {
            spec,
            strategy: chosen_strategy,
            target_percentages: if rolling {
                parse_percentages(&percentages.get())?
            } else {
                Vec::new()
            },
            delay_before_cleanup_sec: number(
                delay_cleanup,
                "delayBeforeCleanup",
                "The wait after each step",
            )?,
            pipeline,
            max_remaining: number(max_remaining, "maxRemainingAsgs", "Server groups to keep")?,
            scale_down: scale_down.get(),
            delay_before_disable_sec: number(
                delay_disable,
                "delayBeforeDisableSec",
                "The delay before disabling",
            )?,
            delay_before_scale_down_sec: number(
                delay_scale_down,
                "delayBeforeScaleDownSec",
                "The delay before scaling down",
            )?,
            rollback_on_failure: rollback.get(),
            image_from_trigger: from == FROM_TRIGGER,
            image_from_stage: (!from.is_empty() && from != FROM_TRIGGER).then_some(from),
        })
    });
    let base = format!("{}.clusters[{j}]", scope.base);
    let key = draft.show_tree(base.clone());
    let ref_id = scope.ref_id.clone();
    // Written only once something changes: opening the form leaves the pipeline as it was.
    Effect::new(move |first: Option<()>| {
        let result = built.get();
        match result {
            Ok(cluster) => {
                draft.local_problem(&key, None);
                if first.is_some() {
                    draft.update_stage(&ref_id, |s| {
                        let path = [Seg::Key("clusters"), Seg::Index(j)];
                        let previous = write::get(&s.settings, &path)
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default();
                        let entry = deploy_cluster_entry(&previous, &cluster);
                        write::set(&mut s.settings, &path, Some(Value::Object(entry)));
                    });
                }
            }
            Err(_) => draft.local_problem(
                &key,
                Some(format!("Cluster {} has problems; see its form.", j + 1)),
            ),
        }
    });
    let prefix = format!("{base}.");
    let errors = Signal::derive(move || {
        let mut list: Vec<FieldError> = match built.get() {
            Err(AppError::Invalid(own)) => own,
            Err(other) => vec![FieldError::new("image", other.to_string())],
            Ok(_) => Vec::new(),
        };
        list.extend(draft.problems.get().into_iter().filter_map(|e| {
            e.field
                .strip_prefix(&prefix)
                .map(|rest| FieldError::new(&form_field(rest), e.message))
        }));
        (!list.is_empty()).then_some(AppError::Invalid(list))
    });
    let shown_elsewhere = |field: &str| {
        crate::components::server_group_form::FIELDS.contains(&field)
            || STRATEGY_FIELDS.contains(&field)
    };
    let others = move || match errors.get() {
        Some(AppError::Invalid(list)) => list
            .into_iter()
            .filter(|e| !shown_elsewhere(&e.field))
            .map(|e| e.message)
            .collect(),
        _ => Vec::new(),
    };
    let strategies: Vec<(String, String)> = Strategy::ALL
        .into_iter()
        .map(|s| (s.as_str().to_string(), s.label().to_string()))
        .collect();
    let red_black = move || {
        [
            Strategy::RedBlack.as_str(),
            Strategy::RollingRedBlack.as_str(),
        ]
        .contains(&strategy.get().as_str())
    };
    let is = move |s: Strategy| strategy.get() == s.as_str();
    let own_id = StoredValue::new(draft.config.with_untracked(|c| c.id.clone()));
    let pipelines = Resource::new(
        move || application.get(),
        |app| async move { list_pipelines(app).await },
    );
    let pipeline_choice = move |id: &'static str, label: &'static str, none: &'static str| {
        view! {
            <Transition fallback=|| ()>
                {move || {
                    let own_id = own_id.get_value();
                    Suspend::new(async move {
                        let mut options = vec![(String::new(), none.to_string())];
                        options.extend(pipelines.await.unwrap_or_default().into_iter()
                            .filter(|p| p.config.id != own_id)
                            .map(|p| (p.config.id, p.config.name)));
                        let current = chosen_pipeline.get_untracked();
                        if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
                            options.push((current.clone(), current));
                        }
                        let field = if id == "cluster-strategy-pipeline" { "strategyPipeline" } else { "pipelineBeforeCleanup" };
                        view! { <SelectField id label field value=chosen_pipeline errors options=Signal::stored(options) /> }
                    })
                }}
            </Transition>
        }
    };
    let parameters_area = move || {
        view! {
            <TextArea id="cluster-pipeline-parameters" label="Pipeline parameters" field="pipelineParameters" value=pipeline_parameters errors rows=3
                hint="name=value, one per line, added to the parameters Gennaker gives the pipeline." />
        }
    };
    let explain = move || match Strategy::parse(&strategy.get()).unwrap_or_default() {
        Strategy::None => "Leaves the cluster's other server groups as they are.",
        Strategy::Highlander => {
            "Destroys every other server group of the cluster once the new one is healthy."
        }
        Strategy::RedBlack => {
            "Disables the other server groups once the new one is healthy; they stay, for a rollback."
        }
        Strategy::RollingRedBlack => {
            "Grows the new server group step by step, moving the same share of traffic from the previous one at each step; a failure puts the previous one back."
        }
        Strategy::Custom => {
            "Runs a pipeline of your own once the new server group is healthy, with the cluster, account, namespace and the new server group as parameters."
        }
    };
    let live = expect_context::<ApplicationContext>().live;
    view! {
        <fieldset class="field-group cluster-form">
            <legend>{format!("Cluster {}", j + 1)}</legend>
            <SelectField id="cluster-image-from" label="Image from" field="imageFrom" value=image_from errors options=Signal::stored(image_options) />
            <ServerGroupForm fields errors id_prefix="cluster" live image_elsewhere />
            <SelectField id="cluster-strategy" label="Strategy" field="strategy" value=strategy errors options=Signal::stored(strategies) />
            <p class="hint">{explain}</p>
            {move || is(Strategy::RollingRedBlack).then(|| view! {
                <div class="form-grid">
                    <TextField id="cluster-percentages" label="Grow through (%)" field="targetPercentages" value=percentages errors
                        hint="Shares of the replicas, such as 25, 50, 100." />
                    <TextField id="cluster-delay-cleanup" label="Wait after each step (seconds)" field="delayBeforeCleanup" value=delay_cleanup errors kind="number" />
                </div>
                {pipeline_choice("cluster-validation-pipeline", "Validation pipeline", "None")}
                {parameters_area()}
            })}
            {move || is(Strategy::Custom).then(|| view! {
                {pipeline_choice("cluster-strategy-pipeline", "Strategy pipeline", "Choose a pipeline")}
                {parameters_area()}
            })}
            {move || is(Strategy::RedBlack).then(|| view! {
                <div class="form-grid">
                    <TextField id="cluster-max-remaining" label="Server groups to keep" field="maxRemainingAsgs" value=max_remaining errors kind="number"
                        hint="Older disabled ones beyond this are destroyed; 0 keeps all." />
                    <TextField id="cluster-delay-disable" label="Wait before disabling (seconds)" field="delayBeforeDisableSec" value=delay_disable errors kind="number" />
                </div>
            })}
            {move || red_black().then(|| view! {
                <CheckboxField id="cluster-scale-down" label="Scale down the replaced server groups" checked=scale_down />
                {move || scale_down.get().then(|| view! {
                    <TextField id="cluster-delay-scale-down" label="Wait before scaling down (seconds)" field="delayBeforeScaleDownSec" value=delay_scale_down errors kind="number" />
                })}
                <CheckboxField id="cluster-rollback" label="Roll back when the new server group fails" checked=rollback
                    hint="Disables it and puts the previous one back." />
            })}
            {move || others().into_iter().map(|m| view! { <p class="field-error">{m}</p> }).collect_view()}
        </fieldset>
    }
}
