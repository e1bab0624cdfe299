//! The applications service: validation, then the store. Server functions and the JSON API
//! both call it (through `ApplicationCatalog`), so the rules live in one place.

use std::sync::Arc;

use gennaker_app::error::AppError;
use gennaker_app::services::ApplicationCatalog;
use gennaker_core::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion,
};
use gennaker_core::time::Timestamp;

use crate::store::{Backend, Documents, HistoryEntry, StoreError, Stored};

pub struct ApplicationService {
    documents: Documents<ApplicationSpec>,
}

/// A store timestamp as the one timestamp type of the API and the UI.
fn timestamp(t: jiff::Timestamp) -> Timestamp {
    Timestamp::from_millis(t.as_millisecond())
}

fn application(stored: Stored<ApplicationSpec>) -> Application {
    Application {
        spec: stored.value,
        version: stored.version,
        created_at: timestamp(stored.created_at),
        created_by: stored.created_by,
        updated_at: timestamp(stored.updated_at),
        updated_by: stored.updated_by,
    }
}

fn version(entry: HistoryEntry<ApplicationSpec>) -> ApplicationVersion {
    ApplicationVersion {
        version: entry.version,
        updated_at: timestamp(entry.updated_at),
        updated_by: entry.updated_by,
        deleted: entry.deleted,
        spec: entry.value,
    }
}

/// Maps store failures to what the user sees. A backend failure is logged here, once.
fn from_store(error: StoreError) -> AppError {
    match error {
        StoreError::NotFound { .. } | StoreError::NoSuchVersion { .. } => {
            AppError::NotFound(capitalise(&error.to_string()))
        }
        StoreError::AlreadyExists { id, .. } => AppError::invalid(
            "name",
            format!("An application named {id} already exists; choose another name."),
        ),
        StoreError::Conflict { .. } | StoreError::PreconditionFailed { .. } => {
            AppError::Conflict(capitalise(&error.to_string()))
        }
        StoreError::Corrupt { .. } | StoreError::Backend { .. } => {
            tracing::error!(error = %error, "store failure: {error}");
            AppError::Unavailable(format!("The store failed: {error}"))
        }
    }
}

fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl ApplicationService {
    pub fn new(backend: Arc<Backend>) -> ApplicationService {
        ApplicationService {
            documents: Documents::new(backend, "application", "applications"),
        }
    }

    /// Refuses a name that could not be stored, before it reaches the store.
    fn check_name(name: &str) -> Result<(), AppError> {
        match gennaker_core::applications::model::name_problem(name) {
            None => Ok(()),
            Some(_) => Err(AppError::NotFound(format!(
                "Application {name:?} does not exist"
            ))),
        }
    }
}

#[async_trait::async_trait]
impl ApplicationCatalog for ApplicationService {
    #[tracing::instrument(skip(self), fields(query = %query, sort = sort.as_str()))]
    async fn list(&self, query: &str, sort: ApplicationSort) -> Result<Vec<Application>, AppError> {
        let needle = query.trim().to_lowercase();
        let mut found: Vec<Stored<ApplicationSpec>> = self
            .documents
            .list()
            .await
            .map_err(from_store)?
            .into_iter()
            .filter(|a| {
                needle.is_empty()
                    || a.value.name.contains(&needle)
                    || a.value.owner_email.to_lowercase().contains(&needle)
                    || a.value.description.to_lowercase().contains(&needle)
            })
            .collect();
        match sort {
            ApplicationSort::Name => found.sort_by(|a, b| a.id.cmp(&b.id)),
            ApplicationSort::Created => {
                found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)))
            }
            ApplicationSort::Updated => {
                found.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)))
            }
        }
        Ok(found.into_iter().map(application).collect())
    }

    #[tracing::instrument(skip(self))]
    async fn get(&self, name: &str) -> Result<Application, AppError> {
        Self::check_name(name)?;
        self.documents
            .get(name)
            .await
            .map(application)
            .map_err(from_store)
    }

    #[tracing::instrument(skip(self, spec), fields(app = %spec.name))]
    async fn create(&self, spec: ApplicationSpec, who: &str) -> Result<Application, AppError> {
        AppError::from_fields(spec.validate())?;
        let name = spec.name.clone();
        let created = self
            .documents
            .create(&name, spec, who)
            .await
            .map_err(from_store)?;
        tracing::info!(app.name = %name, "created application {name}");
        Ok(application(created))
    }

    #[tracing::instrument(skip(self, spec))]
    async fn update(
        &self,
        name: &str,
        version: u64,
        spec: ApplicationSpec,
        who: &str,
    ) -> Result<Application, AppError> {
        Self::check_name(name)?;
        if spec.name != name {
            return Err(AppError::invalid(
                "name",
                format!(
                    "An application cannot be renamed ({name} to {}); create a new one instead.",
                    spec.name
                ),
            ));
        }
        AppError::from_fields(spec.validate())?;
        let updated = self
            .documents
            .update(name, version, spec, who)
            .await
            .map_err(from_store)?;
        tracing::info!(app.name = %name, version = updated.version, "updated application {name}");
        Ok(application(updated))
    }

    #[tracing::instrument(skip(self))]
    async fn delete(
        &self,
        name: &str,
        version: u64,
        confirm: &str,
        who: &str,
    ) -> Result<(), AppError> {
        Self::check_name(name)?;
        if confirm != name {
            return Err(AppError::invalid(
                "confirm",
                format!("Type the application's name, {name}, to confirm the deletion."),
            ));
        }
        self.documents
            .delete(name, version, who)
            .await
            .map_err(from_store)?;
        tracing::info!(app.name = %name, "deleted application {name}");
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn history(&self, name: &str) -> Result<Vec<ApplicationVersion>, AppError> {
        Self::check_name(name)?;
        let entries = self.documents.history(name).await.map_err(from_store)?;
        Ok(entries.into_iter().map(version).collect())
    }

    #[tracing::instrument(skip(self))]
    async fn version(&self, name: &str, number: u64) -> Result<ApplicationVersion, AppError> {
        Self::check_name(name)?;
        let entry = self
            .documents
            .version(name, number)
            .await
            .map_err(from_store)?;
        Ok(version(entry))
    }

    #[tracing::instrument(skip(self))]
    async fn restore(
        &self,
        name: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<Application, AppError> {
        Self::check_name(name)?;
        let restored = self
            .documents
            .restore(name, version, expected_version, who)
            .await
            .map_err(from_store)?;
        tracing::info!(app.name = %name, from_version = version, version = restored.version, "restored application {name}");
        Ok(application(restored))
    }
}
