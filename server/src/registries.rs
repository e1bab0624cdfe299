//! Docker-registry accounts: repositories from the catalog (`/v2/_catalog`, plus those listed
//! by hand in the configuration) and tags through `oci-client`. A background check of `/v2/`
//! every 15 s keeps each registry's health current, so an unreachable registry shows as such
//! and recovers by itself.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gennaker_app::error::AppError;
use gennaker_core::accounts::{AccountHealth, HealthStatus};
use gennaker_core::infrastructure::image::ImageReference;
use gennaker_core::registries::{DockerRegistrySummary, RepositoryList, sort_tags};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client as OciClient, Reference};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::config::DockerRegistryAccount;
use crate::events::{Change, EventBus};

/// How often each registry's `/v2/` is checked.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(15);
const TIMEOUT: Duration = Duration::from_secs(10);

struct Registry {
    settings: DockerRegistryAccount,
    oci: OciClient,
    http: reqwest::Client,
    health: Mutex<AccountHealth>,
}

pub struct DockerRegistries {
    registries: BTreeMap<String, Registry>,
    order: Vec<String>,
    events: EventBus,
}

/// What went wrong talking to a registry, or setting up the client for one.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "docker registry {registry:?}: the CA certificate cannot be read: {}",
        describe(source)
    )]
    CaCertificate {
        registry: String,
        source: reqwest::Error,
    },
    #[error(
        "docker registry {registry:?}: cannot build an HTTP client: {}",
        describe(source)
    )]
    HttpClient {
        registry: String,
        source: reqwest::Error,
    },
    /// The request failed on the way (refused connection, unknown certificate authority, ...).
    #[error("{}", describe(.0))]
    Request(reqwest::Error),
    #[error("the registry's token challenge names no realm")]
    NoRealm,
    #[error("the token service answered without a token")]
    NoToken,
    #[error("the registry answered {status}: {body}")]
    Status { status: StatusCode, body: String },
    #[error("the registry's answer is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("there is no docker registry account {0:?}")]
    NoAccount(String),
    #[error("docker registry {0:?} has no credentials")]
    NoCredentials(String),
}

fn unavailable(registry: &str, what: &str, error: impl std::fmt::Display) -> AppError {
    AppError::Unavailable(format!("Docker registry {registry:?}: {what}: {error}"))
}

impl Registry {
    fn new(settings: DockerRegistryAccount) -> Result<Registry, RegistryError> {
        let mut http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT);
        let mut extra = Vec::new();
        if let Some(pem) = &settings.ca_pem {
            for certificate in reqwest::Certificate::from_pem_bundle(pem).map_err(|source| {
                RegistryError::CaCertificate {
                    registry: settings.name.clone(),
                    source,
                }
            })? {
                http = http.add_root_certificate(certificate);
            }
            extra.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data: pem.clone(),
            });
        }
        let http = http.build().map_err(|source| RegistryError::HttpClient {
            registry: settings.name.clone(),
            source,
        })?;
        let oci = OciClient::new(ClientConfig {
            protocol: if settings.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            extra_root_certificates: extra,
            read_timeout: Some(TIMEOUT),
            connect_timeout: Some(TIMEOUT),
            ..ClientConfig::default()
        });
        Ok(Registry {
            settings,
            oci,
            http,
            health: Mutex::new(AccountHealth {
                status: HealthStatus::Connecting,
                message: None,
            }),
        })
    }

    fn base(&self) -> String {
        let scheme = if self.settings.plain_http {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", self.settings.address)
    }

    fn auth(&self) -> RegistryAuth {
        match &self.settings.credentials {
            Some((user, password)) => RegistryAuth::Basic(user.clone(), password.clone()),
            None => RegistryAuth::Anonymous,
        }
    }

    /// GET `path` with the account's credentials, following a bearer-token challenge.
    async fn get(&self, path: &str, scope: &str) -> Result<reqwest::Response, RegistryError> {
        let url = format!("{}{path}", self.base());
        let with_basic = |request: reqwest::RequestBuilder| match &self.settings.credentials {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        };
        let response = with_basic(self.http.get(&url))
            .send()
            .await
            .map_err(RegistryError::Request)?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let Some(params) = challenge.strip_prefix("Bearer ") else {
            return Ok(response); // basic auth refused: the caller reports the 401
        };
        let param = |name: &str| {
            params.split(',').find_map(|p| {
                p.trim()
                    .strip_prefix(&format!("{name}="))
                    .map(|v| v.trim_matches('"').to_string())
            })
        };
        let realm = param("realm").ok_or(RegistryError::NoRealm)?;
        let mut query = vec![("scope", scope.to_string())];
        if let Some(service) = param("service") {
            query.push(("service", service));
        }
        let token: serde_json::Value = with_basic(self.http.get(&realm).query(&query))
            .send()
            .await
            .map_err(RegistryError::Request)?
            .json_value()
            .await?;
        let token = token
            .get("token")
            .or_else(|| token.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or(RegistryError::NoToken)?;
        self.http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(RegistryError::Request)
    }

    async fn check(&self) -> AccountHealth {
        match self.get("/v2/", "").await {
            Ok(response) if response.status().is_success() => AccountHealth {
                status: HealthStatus::Healthy,
                message: None,
            },
            Ok(response) if response.status() == StatusCode::UNAUTHORIZED => AccountHealth {
                status: HealthStatus::Unreachable,
                message: Some("the registry refused the username and password (401)".into()),
            },
            Ok(response) => AccountHealth {
                status: HealthStatus::Unreachable,
                message: Some(format!("/v2/ answered {}", response.status())),
            },
            Err(error) => AccountHealth {
                status: HealthStatus::Unreachable,
                message: Some(error.to_string()),
            },
        }
    }
}

/// The reqwest error with its causes, which say what actually failed (a refused connection,
/// an unknown certificate authority).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

trait JsonValue {
    async fn json_value(self) -> Result<serde_json::Value, RegistryError>;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Result<serde_json::Value, RegistryError> {
        let status = self.status();
        let bytes = self.bytes().await.map_err(RegistryError::Request)?;
        if !status.is_success() {
            return Err(RegistryError::Status {
                status,
                body: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            });
        }
        serde_json::from_slice(&bytes).map_err(RegistryError::NotJson)
    }
}

/// The OCI client's reference to `repository:tag` in the registry at `address`, checked by the
/// one image reference parser (`gennaker_core`'s, which the UI and validation use too) and
/// handed to the client in parts, so it never parses a reference itself.
fn oci_reference(address: &str, repository: &str, tag: &str) -> Result<Reference, AppError> {
    ImageReference::parse(&format!("{address}/{repository}:{tag}"))
        .map_err(|problem| AppError::invalid("repository", problem))?;
    Ok(Reference::with_tag(
        address.to_string(),
        repository.to_string(),
        tag.to_string(),
    ))
}

/// The name of the Secret holding a registry account's credentials in a namespace.
pub fn pull_secret_name(registry: &str) -> String {
    format!("gennaker-registry-{registry}")
}

impl DockerRegistries {
    /// The registry account with credentials that serves `image`, if the Kubernetes account may
    /// use it: it is among `linked`, or the account links none.
    pub fn for_image(&self, image: &str, linked: &[String]) -> Option<&str> {
        let host = ImageReference::parse(image).ok()?.registry?;
        self.order.iter().map(String::as_str).find(|name| {
            self.registries.get(*name).is_some_and(|r| {
                r.settings.address == host
                    && r.settings.credentials.is_some()
                    && (linked.is_empty() || linked.iter().any(|l| l == name))
            })
        })
    }

    /// A `kubernetes.io/dockerconfigjson` Secret for `registry` in `namespace`.
    pub fn pull_secret(
        &self,
        registry: &str,
        namespace: &str,
    ) -> Result<serde_json::Value, RegistryError> {
        let account = self
            .registries
            .get(registry)
            .ok_or_else(|| RegistryError::NoAccount(registry.to_string()))?;
        let (username, password) = account
            .settings
            .credentials
            .as_ref()
            .ok_or_else(|| RegistryError::NoCredentials(registry.to_string()))?;
        let config = serde_json::json!({"auths": {account.settings.address.clone(): {"username": username, "password": password}}});
        Ok(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/dockerconfigjson",
            "metadata": {
                "name": pull_secret_name(registry),
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "gennaker"},
            },
            "stringData": {".dockerconfigjson": config.to_string()},
        }))
    }

    pub fn new(
        accounts: &[DockerRegistryAccount],
        events: EventBus,
    ) -> Result<DockerRegistries, RegistryError> {
        let mut registries = BTreeMap::new();
        let mut order = Vec::new();
        for account in accounts {
            let registry = Registry::new(account.clone())?;
            order.push(account.name.clone());
            registries.insert(account.name.clone(), registry);
        }
        Ok(DockerRegistries {
            registries,
            order,
            events,
        })
    }

    fn registry(&self, name: &str) -> Result<&Registry, AppError> {
        self.registries.get(name).ok_or_else(|| {
            AppError::invalid(
                "registry",
                if self.order.is_empty() {
                    format!(
                        "There is no docker registry account {name:?}; no docker registries are configured: add one to [[docker_registries]]."
                    )
                } else {
                    format!(
                        "There is no docker registry account {name:?}; the accounts are: {}.",
                        self.order.join(", ")
                    )
                },
            )
        })
    }

    /// The address (`host[:port]`) of account `name`, as image references name it.
    pub fn address(&self, name: &str) -> Option<&str> {
        self.registries
            .get(name)
            .map(|r| r.settings.address.as_str())
    }

    /// The digest of the manifest `repository:tag` names now (a HEAD request); `None` when
    /// the tag is gone.
    pub async fn digest(
        &self,
        name: &str,
        repository: &str,
        tag: &str,
    ) -> Result<Option<String>, AppError> {
        let registry = self.registry(name)?;
        let reference = oci_reference(&registry.settings.address, repository, tag)?;
        match registry
            .oci
            .fetch_manifest_digest(&reference, &registry.auth())
            .await
        {
            Ok(digest) => Ok(Some(digest)),
            Err(oci_client::errors::OciDistributionError::ImageManifestNotFoundError(_)) => {
                Ok(None)
            }
            Err(oci_client::errors::OciDistributionError::RegistryError { envelope, .. })
                if envelope.errors.iter().any(|e| {
                    matches!(
                        e.code,
                        oci_client::errors::OciErrorCode::ManifestUnknown
                            | oci_client::errors::OciErrorCode::NameUnknown
                    )
                }) =>
            {
                Ok(None)
            }
            Err(oci_client::errors::OciDistributionError::ServerError { code: 404, .. }) => {
                Ok(None)
            }
            Err(error) => Err(unavailable(
                name,
                &format!("the digest of {repository}:{tag} cannot be read"),
                error,
            )),
        }
    }

    /// Checks every registry now and then every [`HEALTH_INTERVAL`].
    pub fn watch_health(self: &Arc<Self>) {
        if self.registries.is_empty() {
            return;
        }
        let registries = self.clone();
        tokio::spawn(
            async move {
                loop {
                    registries.check_all().await;
                    tokio::time::sleep(HEALTH_INTERVAL).await;
                }
            }
            .instrument(tracing::info_span!("registry-health")),
        );
    }

    /// Checks every registry once, publishing a change when a health changed.
    pub async fn check_all(&self) {
        for (name, registry) in &self.registries {
            let health = registry.check().await;
            let changed = match registry.health.lock() {
                Ok(mut current) if *current != health => {
                    *current = health.clone();
                    true
                }
                _ => false,
            };
            if changed {
                match &health.message {
                    Some(error) => {
                        tracing::warn!(registry = %name, "docker registry unreachable: {error}")
                    }
                    None => tracing::info!(registry = %name, "docker registry healthy"),
                }
                self.events.publish(Change::Accounts);
            }
        }
    }
}

#[async_trait::async_trait]
impl gennaker_app::services::Registries for DockerRegistries {
    fn registries(&self) -> Vec<DockerRegistrySummary> {
        self.order
            .iter()
            .filter_map(|name| self.registries.get(name))
            .map(|r| DockerRegistrySummary {
                name: r.settings.name.clone(),
                address: r.settings.address.clone(),
                username: r.settings.credentials.as_ref().map(|(u, _)| u.clone()),
                health: r.health.lock().map(|h| h.clone()).unwrap_or(AccountHealth {
                    status: HealthStatus::Connecting,
                    message: None,
                }),
            })
            .collect()
    }

    async fn repositories(&self, name: &str) -> Result<RepositoryList, AppError> {
        let registry = self.registry(name)?;
        let catalog = registry
            .get("/v2/_catalog?n=1000", "registry:catalog:*")
            .await
            .map_err(|e| unavailable(name, "the catalog cannot be read", e))?;
        let (mut repositories, problem) = if catalog.status() == StatusCode::UNAUTHORIZED {
            (
                Vec::new(),
                Some("the registry refused the credentials for its catalog (401)".to_string()),
            )
        } else if catalog.status() == StatusCode::NOT_FOUND {
            (
                Vec::new(),
                Some("the registry has no catalog endpoint".to_string()),
            )
        } else {
            let body = catalog
                .json_value()
                .await
                .map_err(|e| unavailable(name, "the catalog cannot be read", e))?;
            let listed = body
                .get("repositories")
                .and_then(|r| r.as_array())
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (listed, None)
        };
        let from_catalog = repositories.len();
        for repository in &registry.settings.repositories {
            if !repositories.contains(repository) {
                repositories.push(repository.clone());
            }
        }
        repositories.sort();
        let warning = match (problem, from_catalog) {
            (Some(problem), _) => Some(format!("{problem}; type the repository's name, or list repositories by hand in the account's configuration (repositories = [...]).")),
            (None, 0) => Some("The registry's catalog is empty; type the repository's name, or list repositories by hand in the account's configuration (repositories = [...]).".to_string()),
            (None, _) => None,
        };
        Ok(RepositoryList {
            repositories,
            warning,
        })
    }

    async fn tags(&self, name: &str, repository: &str) -> Result<Vec<String>, AppError> {
        let registry = self.registry(name)?;
        let reference = oci_reference(&registry.settings.address, repository, "latest")?;
        let mut tags = registry
            .oci
            .list_tags(&reference, &registry.auth(), None, None)
            .await
            .map_err(|e| {
                use oci_client::errors::{OciDistributionError, OciErrorCode};
                let unknown = match &e {
                    OciDistributionError::ImageManifestNotFoundError(_) => true,
                    OciDistributionError::RegistryError { envelope, .. } => envelope
                        .errors
                        .iter()
                        .any(|e| e.code == OciErrorCode::NameUnknown),
                    _ => false,
                };
                if unknown {
                    AppError::NotFound(format!(
                        "Docker registry {name:?} has no repository {repository:?}."
                    ))
                } else {
                    unavailable(name, &format!("the tags of {repository} cannot be read"), e)
                }
            })?
            .tags;
        sort_tags(&mut tags);
        Ok(tags)
    }
}
