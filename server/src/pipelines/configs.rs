//! Pipeline configurations in the store, as versioned documents (`pipelines/<id>/...`): every
//! save is a version with history, and a save based on an older version is refused with a
//! conflict. Before anything is stored a configuration is checked: the model's own rules
//! (names, refIds, cycles, parameters, expression syntax, stage fields) and what only the
//! server knows (the application exists, accounts and namespaces, a name not taken). An import
//! stores what fails those checks all the same, and every read marks the pipeline with what
//! keeps it from running ([`Configs::problems`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use gennaker_app::error::{AppError, FieldError};
use gennaker_core::expressions;
use gennaker_core::pipelines::import::{
    self, ImportOptions, ImportReport, Imported, ImportedPipeline, Prepared,
};
use gennaker_core::pipelines::model::{PipelineConfig, StageType};
use gennaker_core::pipelines::requests::{PipelineVersion, StoredPipeline};
use gennaker_core::pipelines::stages::{
    self, Cleanup, ClusterTarget, FindImage, Precondition, StageSettings,
};
use gennaker_core::pipelines::validate;
use gennaker_core::pipelines::windows;
use gennaker_core::time::Timestamp;

use crate::kubernetes::Kubernetes;
use crate::store::{Backend, Documents, HistoryEntry, StoreError, Stored};

pub struct Configs {
    documents: Documents<PipelineConfig>,
    kubernetes: Arc<Kubernetes>,
    jenkins: Arc<crate::jenkins::JenkinsMasters>,
    /// The names of the secrets triggers and notifications may use.
    secrets: Vec<String>,
}

fn timestamp(t: jiff::Timestamp) -> Timestamp {
    Timestamp::from_millis(t.as_millisecond())
}

fn stored(stored: Stored<PipelineConfig>) -> StoredPipeline {
    StoredPipeline {
        config: stored.value,
        version: stored.version,
        created_at: timestamp(stored.created_at),
        created_by: stored.created_by,
        updated_at: timestamp(stored.updated_at),
        updated_by: stored.updated_by,
        problems: Vec::new(),
    }
}

fn version(entry: HistoryEntry<PipelineConfig>) -> PipelineVersion {
    PipelineVersion {
        version: entry.version,
        updated_at: timestamp(entry.updated_at),
        updated_by: entry.updated_by,
        deleted: entry.deleted,
        config: entry.value,
    }
}

/// Maps store failures to what the user sees. A backend failure is logged here, once.
pub fn from_store(error: StoreError) -> AppError {
    match error {
        StoreError::NotFound { .. } | StoreError::NoSuchVersion { .. } => {
            AppError::NotFound(format!("The {error}."))
        }
        StoreError::AlreadyExists { id, .. } => AppError::invalid(
            "id",
            format!(
                "A pipeline with id {id} already exists; import it with another id or update it."
            ),
        ),
        StoreError::Conflict { .. } | StoreError::PreconditionFailed { .. } => {
            AppError::Conflict(format!("The {error}."))
        }
        StoreError::Corrupt { .. } | StoreError::Backend { .. } => {
            tracing::error!(error = %error, "store failure: {error}");
            AppError::Unavailable(format!("The store failed: {error}"))
        }
    }
}

/// Gives each CRON trigger without an `id` one (as Deck does), so its schedule stays its own
/// when triggers are added, removed or reordered.
fn name_cron_triggers(config: &mut PipelineConfig) {
    for trigger in config.triggers.iter_mut().flatten() {
        let unnamed = trigger
            .extra
            .get("id")
            .and_then(|id| id.as_str())
            .is_none_or(str::is_empty);
        if trigger.kind == "cron" && unnamed {
            trigger.extra.insert(
                "id".into(),
                serde_json::Value::String(uuid::Uuid::now_v7().to_string()),
            );
        }
    }
}

/// Whether an id can name a stored document (Spinnaker's are UUIDs).
fn id_problem(id: &str) -> Option<String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (!ok).then(|| {
        format!("The id {id:?} must be 1 to 64 letters, digits, '-', '_' or '.' (a UUID, say).")
    })
}

impl Configs {
    pub fn new(
        backend: Arc<Backend>,
        kubernetes: Arc<Kubernetes>,
        jenkins: Arc<crate::jenkins::JenkinsMasters>,
        secrets: Vec<String>,
    ) -> Configs {
        Configs {
            documents: Documents::new(backend, "pipeline", "pipelines"),
            kubernetes,
            jenkins,
            secrets,
        }
    }

    /// What keeps `config` from running on this server now, by path: the model's rules and what
    /// only the server knows (accounts and namespaces, Jenkins masters, time zones, trigger and
    /// notification secrets), with no store read. A save is refused with these; an import keeps
    /// the pipeline and marks them; a start is refused naming them; a trigger with one of its own
    /// does not fire.
    pub fn problems(&self, config: &PipelineConfig) -> Vec<FieldError> {
        let mut problems = validate::validate(config);
        if let Some(problem) = gennaker_core::applications::model::name_problem(&config.application)
        {
            problems.push(FieldError::new("application", problem));
        }
        problems.extend(self.account_problems(config));
        problems.extend(zone_problems(config));
        problems.extend(self.jenkins_problems(config));
        problems.extend(crate::triggers::checks::problems(
            config,
            &crate::triggers::checks::Known {
                secrets: &self.secrets,
            },
        ));
        problems
    }

    /// Every problem with `config` that the model and the server can see, the other stored
    /// pipelines included (its name, Pipeline stages starting their own pipeline).
    async fn check(&self, config: &PipelineConfig, id: &str) -> Result<(), AppError> {
        let mut problems = self.problems(config);
        let stored: Vec<PipelineConfig> = self.all().await?.into_iter().map(|p| p.config).collect();
        problems.extend(gennaker_core::pipelines::loops::self_starting_stages(
            config, &stored,
        ));
        let taken = stored.iter().any(|p| {
            p.application == config.application && p.id != id && p.name.trim() == config.name.trim()
        });
        if taken {
            problems.push(FieldError::new(
                "name",
                format!(
                    "Application {} already has a pipeline named {:?}.",
                    config.application, config.name
                ),
            ));
        }
        AppError::from_fields(problems)
    }

    /// Jenkins stages must name a configured master (unless it is an expression).
    fn jenkins_problems(&self, config: &PipelineConfig) -> Vec<FieldError> {
        config
            .stages
            .iter()
            .enumerate()
            .filter(|(_, stage)| StageType::parse(&stage.kind) == Some(StageType::Jenkins))
            .filter_map(|(i, stage)| {
                let master = stage.settings.get("master")?.as_str()?;
                if master.is_empty() || master.contains("${") {
                    return None;
                }
                let error = self.jenkins.check(master).err()?;
                Some(FieldError::new(
                    &format!("stages[{i}].master"),
                    error.to_string(),
                ))
            })
            .collect()
    }

    /// Accounts and namespaces the stages name (when not expressions) must exist and be allowed.
    fn account_problems(&self, config: &PipelineConfig) -> Vec<FieldError> {
        let mut problems = Vec::new();
        // `keys`: the fields of the account and of the namespace, as the stage names them.
        let mut check = |path: String, keys: (&str, &str), account: &str, namespace: &str| {
            if account.is_empty() || account.contains("${") || namespace.contains("${") {
                return;
            }
            let namespace = if namespace.is_empty() {
                "default"
            } else {
                namespace
            };
            if let Err(error) = self.kubernetes.connection_for(account, namespace) {
                let suffix = match error {
                    crate::kubernetes::Error::NamespaceNotAllowed { .. } => keys.1,
                    _ => keys.0,
                };
                problems.push(FieldError::new(
                    &format!("{path}.{suffix}"),
                    error.to_string(),
                ));
            }
        };
        for (i, stage) in config.stages.iter().enumerate() {
            let Some(kind) = StageType::parse(&stage.kind) else {
                continue;
            };
            let path = format!("stages[{i}]");
            let mut ignored = Vec::new();
            match stages::read(kind, stage, &path, true, &mut ignored) {
                StageSettings::Deploy(clusters) => {
                    for (j, cluster) in clusters.iter().enumerate() {
                        check(
                            format!("{path}.clusters[{j}]"),
                            ("account", "namespace"),
                            &cluster.spec.account,
                            &cluster.spec.namespace,
                        );
                    }
                }
                StageSettings::DeployManifest(manifest) => check(
                    path,
                    ("account", "namespaceOverride"),
                    &manifest.account,
                    manifest.namespace_override.as_deref().unwrap_or_default(),
                ),
                StageSettings::RunJob(run) => check(
                    path,
                    ("account", "manifest"),
                    &run.account,
                    run.manifest["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or_default(),
                ),
                StageSettings::Script(script) => check(
                    path,
                    ("account", "namespace"),
                    &script.account,
                    &script.namespace,
                ),
                StageSettings::DeleteManifest(target)
                | StageSettings::ScaleManifest(target, _)
                | StageSettings::UndoRolloutManifest(target, _)
                | StageSettings::RollingRestartManifest(target) => check(
                    path,
                    ("account", "location"),
                    &target.account,
                    &target.namespace,
                ),
                StageSettings::ResizeServerGroup(ClusterTarget { cluster, .. }, _)
                | StageSettings::DisableServerGroup(ClusterTarget { cluster, .. })
                | StageSettings::EnableServerGroup(ClusterTarget { cluster, .. })
                | StageSettings::DestroyServerGroup(ClusterTarget { cluster, .. })
                | StageSettings::FindImage(FindImage { cluster, .. })
                | StageSettings::ScaleDownCluster(Cleanup { cluster, .. })
                | StageSettings::ShrinkCluster(Cleanup { cluster, .. }) => check(
                    path,
                    ("credentials", "namespaces"),
                    &cluster.account,
                    &cluster.namespace,
                ),
                StageSettings::CheckPreconditions(checks) => {
                    for (j, precondition) in checks.iter().enumerate() {
                        if let Precondition::ClusterSize {
                            account, namespace, ..
                        } = precondition
                        {
                            check(
                                format!("{path}.preconditions[{j}].context"),
                                ("credentials", "regions"),
                                account,
                                namespace,
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        problems
    }

    /// Every application's pipelines.
    pub async fn all(&self) -> Result<Vec<StoredPipeline>, AppError> {
        Ok(self
            .documents
            .list()
            .await
            .map_err(from_store)?
            .into_iter()
            .map(|s| self.marked(s))
            .collect())
    }

    /// A stored pipeline with what keeps it from running now ([`Configs::problems`]).
    fn marked(&self, document: Stored<PipelineConfig>) -> StoredPipeline {
        let mut pipeline = stored(document);
        pipeline.problems = self.problems(&pipeline.config);
        pipeline
    }

    /// The application's pipelines, by `index`, then name.
    pub async fn list(&self, application: &str) -> Result<Vec<StoredPipeline>, AppError> {
        let mut found: Vec<StoredPipeline> = self
            .documents
            .list()
            .await
            .map_err(from_store)?
            .into_iter()
            .filter(|p| p.value.application == application)
            .map(|s| self.marked(s))
            .collect();
        found.sort_by(|a, b| {
            (a.config.index.unwrap_or(i64::MAX), &a.config.name)
                .cmp(&(b.config.index.unwrap_or(i64::MAX), &b.config.name))
        });
        Ok(found)
    }

    pub async fn get(&self, id: &str) -> Result<StoredPipeline, AppError> {
        if id_problem(id).is_some() {
            return Err(AppError::NotFound(format!("There is no pipeline {id:?}.")));
        }
        self.documents
            .get(id)
            .await
            .map(|s| self.marked(s))
            .map_err(from_store)
    }

    /// Finds a pipeline of `application` by id or, failing that, by name (a Pipeline stage
    /// may name either).
    pub async fn find(
        &self,
        application: &str,
        id_or_name: &str,
    ) -> Result<StoredPipeline, AppError> {
        if let Ok(found) = self.get(id_or_name).await {
            return Ok(found);
        }
        self.list(application)
            .await?
            .into_iter()
            .find(|p| p.config.name == id_or_name)
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "Application {application} has no pipeline with the id or name {id_or_name:?}."
                ))
            })
    }

    pub async fn create(
        &self,
        mut config: PipelineConfig,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        if config.id.is_empty() {
            config.id = uuid::Uuid::now_v7().to_string();
        } else if let Some(problem) = id_problem(&config.id) {
            return Err(AppError::invalid("id", problem));
        }
        let id = config.id.clone();
        self.check(&config, &id).await?;
        name_cron_triggers(&mut config);
        let created = self
            .documents
            .create(&id, config, who)
            .await
            .map_err(from_store)?;
        tracing::info!(pipeline.id = %id, app = %created.value.application, "created pipeline {}", created.value.name);
        Ok(stored(created))
    }

    /// Imports `pipelines` (Spinnaker's JSON made ready by [`import::prepare`]: what is missing
    /// filled, accounts renamed) into `options.application`: a taken id or name is replaced,
    /// and each pipeline is stored whole with what keeps it from running marked, never refused
    /// for it. Only what is not a pipeline at all (an `Err`) is left out, with the reason. With
    /// `options.dry_run` nothing is stored.
    pub async fn import(
        &self,
        pipelines: Vec<Result<Prepared, String>>,
        options: &ImportOptions,
        who: &str,
    ) -> Result<Imported, AppError> {
        let existing: Vec<PipelineConfig> = self
            .documents
            .list()
            .await
            .map_err(from_store)?
            .into_iter()
            .map(|p| p.value)
            .collect();
        let mut ids: BTreeSet<String> = existing.iter().map(|p| p.id.clone()).collect();
        let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for pipeline in &existing {
            names
                .entry(pipeline.application.clone())
                .or_default()
                .insert(pipeline.name.trim().to_string());
        }
        let known: Vec<String> = self
            .kubernetes
            .summaries()
            .into_iter()
            .map(|a| a.name)
            .collect();
        let mut report = ImportReport {
            known_accounts: known.clone(),
            ..ImportReport::default()
        };
        let mut unknown = BTreeSet::new();
        let mut created = Vec::new();
        for (index, prepared) in pipelines.into_iter().enumerate() {
            let Prepared {
                mut config,
                mut changes,
            } = match prepared {
                Ok(prepared) => prepared,
                Err(reason) => {
                    report.pipelines.push(ImportedPipeline {
                        index,
                        id: String::new(),
                        name: String::new(),
                        application: options.application.clone(),
                        changes: Vec::new(),
                        problems: Vec::new(),
                        stored: false,
                        refused: Some(reason),
                    });
                    continue;
                }
            };
            let new_id = || uuid::Uuid::now_v7().to_string();
            if config.id.is_empty() {
                config.id = new_id();
            } else if let Some(problem) = id_problem(&config.id) {
                changes.push(FieldError::new(
                    "id",
                    format!("{problem} It was given a new id."),
                ));
                config.id = new_id();
            } else if ids.contains(&config.id) {
                changes.push(FieldError::new(
                    "id",
                    format!(
                        "{} is another pipeline's here; imported with a new id.",
                        config.id
                    ),
                ));
                config.id = new_id();
            }
            let taken = names.entry(config.application.clone()).or_default();
            let name = import::free_name(config.name.trim(), taken);
            if name != config.name {
                changes.push(FieldError::new(
                    "name",
                    format!(
                        "{:?} is taken in {}; named {name:?}",
                        config.name, config.application
                    ),
                ));
                config.name = name;
            }
            taken.insert(config.name.clone());
            ids.insert(config.id.clone());
            unknown.extend(
                import::accounts_named(&config)
                    .into_iter()
                    .filter(|a| !known.contains(a)),
            );
            let mut problems = self.problems(&config);
            problems.extend(validate::blockers(&config));
            problems.extend(gennaker_core::pipelines::loops::self_starting_stages(
                &config, &existing,
            ));
            let id = config.id.clone();
            let (name, application) = (config.name.clone(), config.application.clone());
            if !options.dry_run {
                name_cron_triggers(&mut config);
                let made = self
                    .documents
                    .create(&id, config, who)
                    .await
                    .map_err(from_store)?;
                tracing::info!(pipeline.id = %id, app = %application, problems = problems.len(), "imported pipeline {name}");
                let mut made = stored(made);
                made.problems = problems.clone();
                created.push(made);
            }
            report.pipelines.push(ImportedPipeline {
                index,
                id,
                name,
                application,
                changes,
                problems,
                stored: !options.dry_run,
                refused: None,
            });
        }
        report.unknown_accounts = unknown.into_iter().collect();
        Ok(Imported { report, created })
    }

    pub async fn update(
        &self,
        id: &str,
        version: u64,
        mut config: PipelineConfig,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        let current = self.get(id).await?;
        if config.id != id {
            return Err(AppError::invalid(
                "id",
                format!("The body is pipeline {:?}, not {id:?}.", config.id),
            ));
        }
        if config.application != current.config.application {
            return Err(AppError::invalid(
                "application",
                format!(
                    "A pipeline cannot move to another application ({} to {}); export it and import it there.",
                    current.config.application, config.application
                ),
            ));
        }
        self.check(&config, id).await?;
        name_cron_triggers(&mut config);
        let updated = self
            .documents
            .update(id, version, config, who)
            .await
            .map_err(from_store)?;
        tracing::info!(pipeline.id = %id, version = updated.version, "saved pipeline {}", updated.value.name);
        Ok(stored(updated))
    }

    /// Deletes the pipeline; returns the application it belonged to.
    pub async fn delete(&self, id: &str, version: u64, who: &str) -> Result<String, AppError> {
        let application = self.get(id).await?.config.application;
        self.documents
            .delete(id, version, who)
            .await
            .map_err(from_store)?;
        tracing::info!(pipeline.id = %id, "deleted pipeline");
        Ok(application)
    }

    pub async fn history(&self, id: &str) -> Result<Vec<PipelineVersion>, AppError> {
        if id_problem(id).is_some() {
            return Err(AppError::NotFound(format!("There is no pipeline {id:?}.")));
        }
        let entries = self.documents.history(id).await.map_err(from_store)?;
        Ok(entries.into_iter().map(version).collect())
    }

    pub async fn restore(
        &self,
        id: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        let entry = self
            .documents
            .version(id, version)
            .await
            .map_err(from_store)?;
        // The restored content must still be valid now (an account may be gone).
        self.check(&entry.value, id).await?;
        let restored = self
            .documents
            .restore(id, version, expected_version, who)
            .await
            .map_err(from_store)?;
        Ok(stored(restored))
    }
}

/// Turns `expression` into a template: Deck writes `stageEnabled` and the evaluate box's
/// input with or without `${}`.
pub fn as_template(expression: &str) -> String {
    validate::as_template(expression)
}

/// Whether the expression has the syntax of one (for the evaluate box).
pub fn check_expression(expression: &str) -> Result<(), AppError> {
    expressions::check(&as_template(expression))
        .map_err(|e| AppError::invalid("expression", e.to_string()))
}

/// Execution windows must name time zones the server knows.
fn zone_problems(config: &PipelineConfig) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for (i, stage) in config.stages.iter().enumerate() {
        let path = format!("stages[{i}]");
        if let Some((window, _)) = windows::read(stage, &path, true, &mut Vec::new())
            && !window.time_zone.contains("${")
            && let Err(problem) = crate::tasks::windows::zone(&window.time_zone)
        {
            problems.push(FieldError::new(
                &format!("{path}.restrictedExecutionWindow.timeZone"),
                problem.to_string(),
            ));
        }
    }
    problems
}
