//! Typed configuration, layered: built-in defaults, then the TOML file, then `GENNAKER_*`
//! environment variables, then command-line flags (each layer overrides the one before).
//! Loading validates everything up front, so a bad value stops the server at start with an
//! error that names the key, the value and what would be accepted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use kube::config::{Kubeconfig, KubeconfigError};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

use crate::store::s3::S3Settings;
use gennaker_app::infrastructure::names::dns_label_problem;

/// The file read when no `--config` / `GENNAKER_CONFIG` is given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "gennaker.toml";

/// The environment variables that map to configuration keys (`GENNAKER_LISTEN` → `listen`,
/// `GENNAKER_STORE__S3__BUCKET` → `store.s3.bucket`).
const ENV_KEYS: [&str; 18] = [
    "listen",
    "data_dir",
    "site_root",
    "kubeconfig",
    "log",
    "store__backend",
    "store__s3__bucket",
    "store__s3__region",
    "store__s3__endpoint",
    "store__s3__prefix",
    "store__s3__path_style",
    "store__s3__access_key_id",
    "store__s3__secret_access_key",
    "tasks__wait_timeout",
    "tasks__retention",
    "pipelines__execution_retention",
    "pipelines__keep_executions",
    "auth__session_ttl",
];

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// Unknown keys, wrong types and unparsable TOML; figment's message names the key and
    /// the file or variable it came from.
    #[error("{0}")]
    Invalid(#[source] Box<figment::Error>),
    #[error("listen = {value:?} is not an address with a port, such as 127.0.0.1:8080")]
    Listen {
        value: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error(
        "log = {value:?} is not a log filter such as \"info\" or \"info,gennaker=debug\": {source}"
    )]
    Log {
        value: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("cannot read the kubeconfig {} (from {origin}): {source}", path.display())]
    Kubeconfig {
        path: PathBuf,
        origin: &'static str,
        #[source]
        source: KubeconfigError,
    },
    #[error("Kubernetes account {account:?}: {problem}")]
    Account { account: String, problem: String },
    #[error("store: {0}")]
    Store(String),
    #[error("docker registry {registry:?}: {problem}")]
    Registry { registry: String, problem: String },
    #[error("Jenkins master {master:?}: {problem}")]
    Jenkins { master: String, problem: String },
    #[error("secret {secret:?}: {problem}")]
    Secret { secret: String, problem: String },
    #[error("[notifications]: {0}")]
    Notifications(String),
    #[error("[auth]: {0}")]
    Auth(String),
    #[error("{key} = {value:?} is not a duration such as \"15m\", \"2h\" or \"30days\": {source}")]
    Duration {
        key: &'static str,
        value: String,
        #[source]
        source: humantime::DurationError,
    },
    #[error("{key} = {value:?} must be at least {minimum}")]
    TooShort {
        key: &'static str,
        value: String,
        minimum: &'static str,
    },
}

impl From<figment::Error> for ConfigError {
    fn from(error: figment::Error) -> Self {
        ConfigError::Invalid(Box::new(error))
    }
}

/// Values given on the command line; `None` leaves the key to the lower layers.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip)]
    pub config_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_root: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// The configuration as written, before validation. Unknown keys are refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: String,
    data_dir: PathBuf,
    site_root: PathBuf,
    log: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kubeconfig: Option<PathBuf>,
    #[serde(default)]
    kubernetes: RawKubernetes,
    #[serde(default)]
    docker_registries: Vec<RawDockerRegistry>,
    #[serde(default)]
    jenkins_masters: Vec<RawJenkinsMaster>,
    #[serde(default)]
    secrets: Vec<RawSecret>,
    #[serde(default)]
    triggers: RawTriggers,
    #[serde(default)]
    notifications: RawNotifications,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    tasks: RawTasks,
    #[serde(default)]
    pipelines: RawPipelines,
    #[serde(default)]
    auth: RawAuth,
}

/// `[auth]`: how long a sign-in lasts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    #[serde(default = "default_session_ttl")]
    session_ttl: String,
    #[serde(default)]
    admin_roles: Vec<String>,
    #[serde(default)]
    oidc: Option<RawOidc>,
    #[serde(default)]
    service_users: Vec<RawServiceUser>,
}

/// `[[auth.service_users]]`: a user triggers may run as (`runAsUser`), with its roles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceUser {
    name: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// `[auth.oidc]`: sign-in through an OpenID Connect provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOidc {
    issuer: String,
    client_id: String,
    /// The name of a `[[secrets]]` entry holding the client secret; none for a public client.
    #[serde(default)]
    client_secret_secret: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    roles_claim: Option<String>,
    #[serde(default)]
    name_claim: Option<String>,
}

fn default_session_ttl() -> String {
    "12h".into()
}

impl Default for RawAuth {
    fn default() -> Self {
        RawAuth {
            session_ttl: default_session_ttl(),
            admin_roles: Vec::new(),
            oidc: None,
            service_users: Vec::new(),
        }
    }
}

/// `[pipelines]`: how long and how many finished executions are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipelines {
    #[serde(default = "default_retention")]
    execution_retention: String,
    #[serde(default = "default_keep_executions")]
    keep_executions: usize,
}

/// `[triggers]`: how often registries and Jenkins jobs are looked at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriggers {
    #[serde(default = "default_docker_poll_interval")]
    docker_poll_interval: String,
    #[serde(default = "default_jenkins_poll_interval")]
    jenkins_poll_interval: String,
}

fn default_docker_poll_interval() -> String {
    "30s".into()
}

fn default_jenkins_poll_interval() -> String {
    "60s".into()
}

impl Default for RawTriggers {
    fn default() -> Self {
        RawTriggers {
            docker_poll_interval: default_docker_poll_interval(),
            jenkins_poll_interval: default_jenkins_poll_interval(),
        }
    }
}

/// `[notifications]`: the address links in messages start with, and the SMTP server e-mail
/// goes through.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotifications {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    smtp: Option<RawSmtp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (only for a server on this machine).
    #[serde(default)]
    tls: Option<String>,
    from: String,
    #[serde(default)]
    username: Option<String>,
    /// The name of a `[[secrets]]` entry holding the password.
    #[serde(default)]
    password_secret: Option<String>,
}

/// A secret triggers and notifications name (`[[secrets]]`): read from a file or an
/// environment variable, never written in the configuration or a pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecret {
    name: String,
    #[serde(default)]
    file: Option<PathBuf>,
    #[serde(default)]
    env: Option<String>,
}

fn default_keep_executions() -> usize {
    100
}

impl Default for RawPipelines {
    fn default() -> Self {
        RawPipelines {
            execution_retention: default_retention(),
            keep_executions: default_keep_executions(),
        }
    }
}

/// `[tasks]`: durations as people write them ("15m", "30days", "1h 30m").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTasks {
    #[serde(default = "default_wait_timeout")]
    wait_timeout: String,
    #[serde(default = "default_retention")]
    retention: String,
}

fn default_wait_timeout() -> String {
    "15m".into()
}

fn default_retention() -> String {
    "30days".into()
}

impl Default for RawTasks {
    fn default() -> Self {
        RawTasks {
            wait_timeout: default_wait_timeout(),
            retention: default_retention(),
        }
    }
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            listen: "127.0.0.1:8080".into(),
            data_dir: "gennaker-data".into(),
            site_root: "target/site".into(),
            log: "info".into(),
            kubeconfig: None,
            kubernetes: RawKubernetes::default(),
            docker_registries: Vec::new(),
            jenkins_masters: Vec::new(),
            secrets: Vec::new(),
            triggers: RawTriggers::default(),
            notifications: RawNotifications::default(),
            store: RawStore::default(),
            tasks: RawTasks::default(),
            pipelines: RawPipelines::default(),
            auth: RawAuth::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoreKind {
    #[default]
    Embedded,
    S3,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    #[serde(default)]
    backend: StoreKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s3: Option<RawS3>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawS3 {
    #[serde(default)]
    bucket: String,
    #[serde(default = "default_region")]
    region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    path_style: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<String>,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// Where the store keeps its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Files under this directory (`<data_dir>/store`).
    Embedded { dir: PathBuf },
    /// A bucket in S3 or an S3-compatible server.
    S3(S3Settings),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKubernetes {
    #[serde(default)]
    accounts: Vec<RawKubernetesAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKubernetesAccount {
    name: String,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    docker_registries: Vec<String>,
    #[serde(default)]
    permissions: gennaker_app::applications::model::Permissions,
}

/// A docker-registry account as written: `[[docker_registries]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDockerRegistry {
    name: String,
    address: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    repositories: Vec<String>,
}

/// A Jenkins master as written: `[[jenkins_masters]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJenkinsMaster {
    name: String,
    address: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default)]
    api_token_file: Option<PathBuf>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
}

/// A Jenkins master the Jenkins stage starts builds on.
#[derive(Clone, PartialEq, Eq)]
pub struct JenkinsMaster {
    pub name: String,
    /// The base URL, ending in `/` (`https://jenkins.example.com/`, or with a path prefix).
    pub address: String,
    /// User and API token for basic authentication, if any.
    pub credentials: Option<(String, String)>,
    /// PEM certificates of a private CA the master's certificate is signed by.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for JenkinsMaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsMaster")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

/// A container registry Gennaker lists images from.
#[derive(Clone, PartialEq, Eq)]
pub struct DockerRegistryAccount {
    pub name: String,
    /// `host[:port]`, reached over HTTPS (or plain HTTP when written as `http://host:port`).
    pub address: String,
    pub plain_http: bool,
    /// Username and password for basic authentication, if any.
    pub credentials: Option<(String, String)>,
    /// PEM certificates of a private CA the registry's certificate is signed by.
    pub ca_pem: Option<Vec<u8>>,
    /// Repositories listed by hand, for registries whose catalog is empty or disabled.
    pub repositories: Vec<String>,
}

impl std::fmt::Debug for DockerRegistryAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerRegistryAccount")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the UI and the API are served.
    pub listen: SocketAddr,
    /// Where Gennaker keeps its data.
    pub data_dir: PathBuf,
    /// The built UI (JS, WASM, CSS and public assets).
    pub site_root: PathBuf,
    /// The log filter directive.
    pub log: String,
    /// Kubernetes accounts and the kubeconfig they come from.
    pub kubernetes: KubernetesConfig,
    /// Container registries images are picked from.
    pub docker_registries: Vec<DockerRegistryAccount>,
    /// Jenkins masters the Jenkins stage runs jobs on.
    pub jenkins_masters: Vec<JenkinsMaster>,
    /// Named secrets (webhook keys, notification URLs, SMTP passwords), read at start.
    pub secrets: Secrets,
    /// How triggers look for changes.
    pub triggers: TriggersConfig,
    /// Where notification links point, and how e-mail is sent.
    pub notifications: NotificationsConfig,
    /// Where applications (and later pipelines and tasks) are stored.
    pub store: StoreConfig,
    /// How the task runner waits and how long it keeps finished tasks.
    pub tasks: TasksConfig,
    /// How long and how many finished pipeline executions are kept.
    pub pipelines: PipelinesConfig,
    /// How people sign in.
    pub auth: AuthConfig,
}

/// `[auth]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// How long a sign-in lasts without being used.
    pub session_ttl: std::time::Duration,
    /// Roles that may do anything, whatever an application's or account's permissions say.
    pub admin_roles: Vec<String>,
    /// Sign-in through an OpenID Connect provider, when configured.
    pub oidc: Option<OidcConfig>,
    /// The users triggers may run as (a trigger's `runAsUser`).
    pub service_users: Vec<gennaker_app::auth::permissions::ServiceUser>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: std::time::Duration::from_secs(12 * 3600),
            admin_roles: Vec::new(),
            oidc: None,
            service_users: Vec::new(),
        }
    }
}

impl Config {
    /// Who may do anything, who triggers may run as, and the accounts' permissions.
    pub fn policy(&self) -> gennaker_app::auth::permissions::Policy {
        gennaker_app::auth::permissions::Policy {
            admin_roles: self.auth.admin_roles.clone(),
            service_users: self.auth.service_users.clone(),
            accounts: self
                .kubernetes
                .accounts
                .iter()
                .map(|a| (a.name.clone(), a.permissions.clone()))
                .collect(),
        }
    }
}

/// `[auth.oidc]`, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its discovery document names it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The sign-in page's button: "Sign in with <label>".
    pub label: String,
    pub scopes: Vec<String>,
    /// The ID token claim listing the user's groups, taken as roles.
    pub roles_claim: String,
    /// The ID token claim naming the user (the subject when absent).
    pub name_claim: String,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

fn resolve_service_users(
    raw: Vec<RawServiceUser>,
) -> Result<Vec<gennaker_app::auth::permissions::ServiceUser>, ConfigError> {
    let mut users: Vec<gennaker_app::auth::permissions::ServiceUser> = Vec::new();
    for user in raw {
        if user.name.trim().is_empty() || user.name.starts_with('[') {
            return Err(ConfigError::Auth(format!(
                "auth.service_users: {:?} is not a name a trigger's runAsUser can give",
                user.name
            )));
        }
        if users.iter().any(|u| u.name == user.name) {
            return Err(ConfigError::Auth(format!(
                "auth.service_users: {:?} is configured twice",
                user.name
            )));
        }
        users.push(gennaker_app::auth::permissions::ServiceUser {
            name: user.name,
            roles: user.roles,
        });
    }
    Ok(users)
}

fn resolve_oidc(
    raw: Option<RawOidc>,
    secrets: &Secrets,
) -> Result<Option<OidcConfig>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let fail = |message: String| ConfigError::Auth(message);
    let plain_local = reqwest::Url::parse(&raw.issuer).is_ok_and(|url| {
        url.scheme() == "http"
            && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
    });
    if !(raw.issuer.starts_with("https://") || plain_local) {
        return Err(fail(format!(
            "auth.oidc.issuer {:?} must be an https:// URL (plain http only on this machine, for tests)",
            raw.issuer
        )));
    }
    if raw.client_id.trim().is_empty() {
        return Err(fail(
            "auth.oidc.client_id is empty: give the client id the provider registered for Gennaker"
                .into(),
        ));
    }
    let client_secret = match raw.client_secret_secret {
        None => None,
        Some(name) => Some(
            secrets
                .get(&name)
                .ok_or_else(|| fail(format!("auth.oidc.client_secret_secret names {name:?}, which is not a [[secrets]] entry")))?
                .to_string(),
        ),
    };
    let scopes = raw.scopes.unwrap_or_else(|| {
        ["openid", "profile", "email", "groups"]
            .map(str::to_string)
            .to_vec()
    });
    Ok(Some(OidcConfig {
        issuer: raw.issuer.trim_end_matches('/').to_string(),
        client_id: raw.client_id,
        client_secret,
        label: raw.label.unwrap_or_else(|| "OpenID Connect".into()),
        scopes,
        roles_claim: raw.roles_claim.unwrap_or_else(|| "groups".into()),
        name_claim: raw
            .name_claim
            .unwrap_or_else(|| "preferred_username".into()),
    }))
}

/// `[notifications]`, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationsConfig {
    /// The address people reach Gennaker at (links in messages); the listen address if unset.
    pub public_url: Option<String>,
    pub smtp: Option<SmtpSettings>,
}

/// How the SMTP server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The sender, such as `Gennaker <gennaker@example.com>`.
    pub from: String,
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

/// `[triggers]`, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggersConfig {
    /// How often each registry account's watched repositories are listed (default 30 s).
    pub docker_poll_interval: std::time::Duration,
    /// How often each watched Jenkins job's builds are listed (default 60 s).
    pub jenkins_poll_interval: std::time::Duration,
}

impl Default for TriggersConfig {
    fn default() -> Self {
        TriggersConfig {
            docker_poll_interval: std::time::Duration::from_secs(30),
            jenkins_poll_interval: std::time::Duration::from_secs(60),
        }
    }
}

/// The named secrets of `[[secrets]]`. Their values are never shown: `Debug` lists names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: std::collections::BTreeMap<String, String>,
}

impl Secrets {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// For tests and tools that build a configuration by hand.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Secrets {
        Secrets {
            values: pairs.into_iter().collect(),
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.values.keys()).finish()
    }
}

/// `[pipelines]`, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelinesConfig {
    /// Finished executions that ended longer ago are removed (default 30 days).
    pub execution_retention: std::time::Duration,
    /// Only the newest this many executions of each pipeline are kept (default 100).
    pub keep_executions: usize,
}

impl Default for PipelinesConfig {
    fn default() -> Self {
        PipelinesConfig {
            execution_retention: std::time::Duration::from_secs(30 * 86_400),
            keep_executions: 100,
        }
    }
}

/// `[tasks]`, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TasksConfig {
    /// How long a step that waits for the cluster may take (default 15 minutes).
    pub wait_timeout: std::time::Duration,
    /// Finished tasks older than this are removed (default 30 days).
    pub retention: std::time::Duration,
}

impl Default for TasksConfig {
    fn default() -> Self {
        TasksConfig {
            wait_timeout: std::time::Duration::from_secs(15 * 60),
            retention: std::time::Duration::from_secs(30 * 86_400),
        }
    }
}

/// Kubernetes accounts, resolved against the kubeconfig.
#[derive(Debug, Clone, Default)]
pub struct KubernetesConfig {
    /// The kubeconfig that was read, if any.
    pub kubeconfig: Option<LoadedKubeconfig>,
    /// The accounts, in configuration order; their names are unique.
    pub accounts: Vec<KubernetesAccount>,
}

impl KubernetesConfig {
    /// One account, `name`, for the current context of the kubeconfig at `path`, in every
    /// namespace: what a local cluster needs (the tests and benchmarks use it).
    pub fn single_account(name: &str, path: &Path) -> Result<KubernetesConfig, KubeconfigError> {
        let kubeconfig = Kubeconfig::read_from(path)?;
        let context = kubeconfig.current_context.clone();
        Ok(KubernetesConfig {
            kubeconfig: Some(LoadedKubeconfig {
                path: path.to_path_buf(),
                kubeconfig,
            }),
            accounts: vec![KubernetesAccount {
                name: name.to_string(),
                context,
                namespaces: Vec::new(),
                docker_registries: Vec::new(),
                permissions: Default::default(),
            }],
        })
    }
}

/// A kubeconfig and where it was read from.
#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    pub path: PathBuf,
    pub kubeconfig: Kubeconfig,
}

/// One Kubernetes account: a context Gennaker deploys to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesAccount {
    pub name: String,
    /// `None`: the kubeconfig's current context (Gennaker warns about this).
    pub context: Option<String>,
    /// Empty: all namespaces.
    pub namespaces: Vec<String>,
    /// Docker-registry accounts whose images it deploys.
    pub docker_registries: Vec<String>,
    /// Roles that may see (READ) and change (WRITE) what runs in it; none: everyone.
    pub permissions: gennaker_app::applications::model::Permissions,
}

impl KubernetesAccount {
    /// What the user should fix about this account, if anything.
    pub fn warnings(&self) -> Vec<String> {
        match self.context {
            Some(_) => Vec::new(),
            None => vec![
                "no kubeconfig context is set, so the kubeconfig's current context is used; \
                 set `context` so that switching contexts cannot redirect deployments"
                    .to_string(),
            ],
        }
    }
}

impl Config {
    /// Loads and validates the configuration: defaults, file, environment, then `overrides`.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        match &overrides.config_file {
            Some(path) if !path.is_file() => return Err(ConfigError::MissingFile(path.clone())),
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        let raw: RawConfig = figment
            .merge(Env::prefixed("GENNAKER_").only(&ENV_KEYS).split("__"))
            .merge(Serialized::globals(overrides))
            .extract()?;
        Config::validate(raw, std::env::var_os("KUBECONFIG"))
    }

    fn validate(
        raw: RawConfig,
        kubeconfig_env: Option<std::ffi::OsString>,
    ) -> Result<Config, ConfigError> {
        let listen = raw.listen.parse().map_err(|source| ConfigError::Listen {
            value: raw.listen.clone(),
            source,
        })?;
        EnvFilter::try_new(&raw.log).map_err(|source| ConfigError::Log {
            value: raw.log.clone(),
            source,
        })?;
        let kubeconfig = load_kubeconfig(raw.kubeconfig.as_deref(), kubeconfig_env)?;
        let accounts = resolve_accounts(raw.kubernetes.accounts, kubeconfig.as_ref())?;
        let docker_registries = resolve_registries(raw.docker_registries)?;
        for account in &accounts {
            if let Some(unknown) = account
                .docker_registries
                .iter()
                .find(|r| !docker_registries.iter().any(|d| &d.name == *r))
            {
                return Err(ConfigError::Account {
                    account: account.name.clone(),
                    problem: format!(
                        "docker_registries names {unknown:?}, which is not a [[docker_registries]] account"
                    ),
                });
            }
        }
        let jenkins_masters = resolve_jenkins(raw.jenkins_masters)?;
        let secrets = resolve_secrets(raw.secrets, |name| std::env::var(name).ok())?;
        let triggers = TriggersConfig {
            docker_poll_interval: duration(
                "triggers.docker_poll_interval",
                &raw.triggers.docker_poll_interval,
                (std::time::Duration::from_secs(1), "1s"),
            )?,
            jenkins_poll_interval: duration(
                "triggers.jenkins_poll_interval",
                &raw.triggers.jenkins_poll_interval,
                (std::time::Duration::from_secs(1), "1s"),
            )?,
        };
        let notifications = resolve_notifications(raw.notifications, &secrets)?;
        let store = resolve_store(raw.store, &raw.data_dir)?;
        let tasks = resolve_tasks(&raw.tasks)?;
        let pipelines = resolve_pipelines(&raw.pipelines)?;
        let auth = AuthConfig {
            session_ttl: duration(
                "auth.session_ttl",
                &raw.auth.session_ttl,
                (std::time::Duration::from_secs(60), "1m"),
            )?,
            admin_roles: raw.auth.admin_roles,
            oidc: resolve_oidc(raw.auth.oidc, &secrets)?,
            service_users: resolve_service_users(raw.auth.service_users)?,
        };
        Ok(Config {
            listen,
            data_dir: raw.data_dir,
            site_root: raw.site_root,
            log: raw.log,
            kubernetes: KubernetesConfig {
                kubeconfig,
                accounts,
            },
            docker_registries,
            jenkins_masters,
            secrets,
            triggers,
            notifications,
            store,
            tasks,
            pipelines,
            auth,
        })
    }
}

/// Reads a duration setting (`"15m"`, `"30days"`) of at least `minimum`.
fn duration(
    key: &'static str,
    value: &str,
    minimum: (std::time::Duration, &'static str),
) -> Result<std::time::Duration, ConfigError> {
    {
        let parsed =
            humantime::parse_duration(value.trim()).map_err(|source| ConfigError::Duration {
                key,
                value: value.to_string(),
                source,
            })?;
        if parsed < minimum.0 {
            return Err(ConfigError::TooShort {
                key,
                value: value.to_string(),
                minimum: minimum.1,
            });
        }
        Ok(parsed)
    }
}

fn resolve_pipelines(raw: &RawPipelines) -> Result<PipelinesConfig, ConfigError> {
    if raw.keep_executions == 0 {
        return Err(ConfigError::TooShort {
            key: "pipelines.keep_executions",
            value: "0".into(),
            minimum: "1",
        });
    }
    Ok(PipelinesConfig {
        execution_retention: duration(
            "pipelines.execution_retention",
            &raw.execution_retention,
            (std::time::Duration::from_secs(3600), "1h"),
        )?,
        keep_executions: raw.keep_executions,
    })
}

fn resolve_tasks(raw: &RawTasks) -> Result<TasksConfig, ConfigError> {
    Ok(TasksConfig {
        wait_timeout: duration(
            "tasks.wait_timeout",
            &raw.wait_timeout,
            (std::time::Duration::from_secs(1), "1s"),
        )?,
        retention: duration(
            "tasks.retention",
            &raw.retention,
            (std::time::Duration::from_secs(3600), "1h"),
        )?,
    })
}

fn resolve_store(raw: RawStore, data_dir: &Path) -> Result<StoreConfig, ConfigError> {
    let fail = |message: String| Err(ConfigError::Store(message));
    match (raw.backend, raw.s3) {
        (StoreKind::Embedded, _) => Ok(StoreConfig::Embedded {
            dir: data_dir.join("store"),
        }),
        (StoreKind::S3, None) => {
            fail("backend = \"s3\" needs a [store.s3] section with at least `bucket`".into())
        }
        (StoreKind::S3, Some(s3)) => {
            if let Some(problem) = bucket_problem(&s3.bucket) {
                return fail(format!("s3.bucket = {:?} {problem}", s3.bucket));
            }
            if let Some(endpoint) = &s3.endpoint
                && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
            {
                return fail(format!(
                    "s3.endpoint = {endpoint:?} must be a URL such as http://127.0.0.1:9000"
                ));
            }
            if !s3.prefix.is_empty() && !s3.prefix.ends_with('/') {
                return fail(format!("s3.prefix = {:?} must end with '/'", s3.prefix));
            }
            let credentials = match (s3.access_key_id, s3.secret_access_key) {
                (Some(id), Some(secret)) => Some((id, secret)),
                (None, None) => None,
                _ => return fail("set both s3.access_key_id and s3.secret_access_key, or neither (to use the AWS credential chain)".into()),
            };
            Ok(StoreConfig::S3(S3Settings {
                bucket: s3.bucket,
                region: s3.region,
                endpoint: s3.endpoint,
                prefix: s3.prefix,
                path_style: s3.path_style,
                credentials,
            }))
        }
    }
}

/// Why `bucket` is not an S3 bucket name, if it is not.
fn bucket_problem(bucket: &str) -> Option<&'static str> {
    if bucket.len() < 3 || bucket.len() > 63 {
        return Some("must be 3 to 63 characters long");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Some("may contain only lowercase letters, digits, '-' and '.'");
    }
    None
}

/// Finds and reads the kubeconfig: the configured path, else `$KUBECONFIG` (its first
/// entry), else `~/.kube/config` when it exists. A path the user named must be readable.
fn load_kubeconfig(
    configured: Option<&Path>,
    env: Option<std::ffi::OsString>,
) -> Result<Option<LoadedKubeconfig>, ConfigError> {
    let from_env =
        env.and_then(|value| std::env::split_paths(&value).find(|p| !p.as_os_str().is_empty()));
    let (path, origin) = match (configured, from_env) {
        (Some(path), _) => (path.to_path_buf(), "the `kubeconfig` setting"),
        (None, Some(path)) => (path, "$KUBECONFIG"),
        (None, None) => match std::env::var_os("HOME") {
            Some(home) => {
                let path = PathBuf::from(home).join(".kube").join("config");
                if !path.exists() {
                    return Ok(None);
                }
                (path, "the default location")
            }
            None => return Ok(None),
        },
    };
    let kubeconfig = Kubeconfig::read_from(&path).map_err(|source| ConfigError::Kubeconfig {
        path: path.clone(),
        origin,
        source,
    })?;
    Ok(Some(LoadedKubeconfig { path, kubeconfig }))
}

/// Turns the configured accounts into checked ones. Without any configured, each context of
/// the kubeconfig becomes an account of the same name.
fn resolve_accounts(
    raw: Vec<RawKubernetesAccount>,
    kubeconfig: Option<&LoadedKubeconfig>,
) -> Result<Vec<KubernetesAccount>, ConfigError> {
    let contexts: Vec<&str> = kubeconfig
        .map(|k| {
            k.kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect()
        })
        .unwrap_or_default();

    if raw.is_empty() {
        return Ok(contexts
            .iter()
            .map(|context| KubernetesAccount {
                name: (*context).to_string(),
                context: Some((*context).to_string()),
                namespaces: Vec::new(),
                docker_registries: Vec::new(),
                permissions: Default::default(),
            })
            .collect());
    }

    let mut accounts: Vec<KubernetesAccount> = Vec::with_capacity(raw.len());
    for account in raw {
        let fail = |problem: String| ConfigError::Account {
            account: account.name.clone(),
            problem,
        };
        if let Some(problem) = dns_label_problem("The name", &account.name) {
            return Err(fail(problem));
        }
        if accounts.iter().any(|a| a.name == account.name) {
            return Err(fail(
                "the name is used by an earlier account; names must be unique".into(),
            ));
        }
        let Some(loaded) = kubeconfig else {
            return Err(fail(
                "no kubeconfig was found; set `kubeconfig`, $KUBECONFIG or create ~/.kube/config"
                    .into(),
            ));
        };
        match &account.context {
            Some(context) if !contexts.contains(&context.as_str()) => {
                return Err(fail(format!(
                    "context {context:?} is not in {} (it has: {})",
                    loaded.path.display(),
                    if contexts.is_empty() {
                        "no contexts".to_string()
                    } else {
                        contexts.join(", ")
                    }
                )));
            }
            None if loaded.kubeconfig.current_context.is_none() => {
                return Err(fail(format!(
                    "no `context` is set and {} has no current-context; set `context`",
                    loaded.path.display()
                )));
            }
            _ => {}
        }
        for namespace in &account.namespaces {
            if let Some(problem) = dns_label_problem("Namespace", namespace) {
                return Err(fail(problem));
            }
        }
        accounts.push(KubernetesAccount {
            name: account.name,
            context: account.context,
            namespaces: account.namespaces,
            docker_registries: account.docker_registries,
            permissions: account.permissions,
        });
    }
    Ok(accounts)
}

/// Checks the docker-registry accounts and reads their password files and CA certificates.
fn resolve_registries(
    raw: Vec<RawDockerRegistry>,
) -> Result<Vec<DockerRegistryAccount>, ConfigError> {
    let mut registries: Vec<DockerRegistryAccount> = Vec::with_capacity(raw.len());
    for registry in raw {
        let fail = |problem: String| ConfigError::Registry {
            registry: registry.name.clone(),
            problem,
        };
        if let Some(problem) = dns_label_problem("The name", &registry.name) {
            return Err(fail(problem));
        }
        if registries.iter().any(|r| r.name == registry.name) {
            return Err(fail(
                "the name is used by an earlier registry; names must be unique".into(),
            ));
        }
        let (plain_http, address) = match registry.address.split_once("://") {
            Some(("http", rest)) => (true, rest),
            Some(("https", rest)) => (false, rest),
            Some((scheme, _)) => {
                return Err(fail(format!(
                    "address {:?} has the scheme {scheme:?}; write host:port (HTTPS) or http://host:port",
                    registry.address
                )));
            }
            None => (false, registry.address.as_str()),
        };
        let address = address.trim_end_matches('/');
        let host_ok = !address.is_empty()
            && !address.contains('/')
            && address
                .rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_ok_and(|p| p > 0));
        if !host_ok {
            return Err(fail(format!(
                "address {:?} is not host[:port], such as registry.example.com or 127.0.0.1:5000",
                registry.address
            )));
        }
        let credentials = credentials(
            registry.username,
            registry.password,
            registry.password_file.as_deref(),
            "password",
        )
        .map_err(fail)?;
        let ca_pem = ca_file(registry.ca_file.as_deref()).map_err(fail)?;
        registries.push(DockerRegistryAccount {
            name: registry.name,
            address: address.to_string(),
            plain_http,
            credentials,
            ca_pem,
            repositories: registry.repositories,
        });
    }
    Ok(registries)
}

/// A secret given in the file or beside it (`{what}` / `{what}_file`), never both; a file's
/// trailing newline is not part of it.
fn secret(
    value: Option<String>,
    file: Option<&Path>,
    what: &str,
) -> Result<Option<String>, String> {
    match (value, file) {
        (Some(_), Some(_)) => Err(format!("set {what} or {what}_file, not both")),
        (Some(value), None) => Ok(Some(value)),
        (None, file) => secret_file(file, &format!("{what}_file")),
    }
}

/// The text of a secret's file, without its trailing newline.
fn secret_file(file: Option<&Path>, what: &str) -> Result<Option<String>, String> {
    let Some(path) = file else { return Ok(None) };
    std::fs::read_to_string(path)
        .map(|text| Some(text.trim_end_matches(['\r', '\n']).to_string()))
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// A username with its secret (`{what}` or `{what}_file`): both or neither.
fn credentials(
    username: Option<String>,
    value: Option<String>,
    file: Option<&Path>,
    what: &str,
) -> Result<Option<(String, String)>, String> {
    match (username, secret(value, file, what)?) {
        (Some(user), Some(secret)) => Ok(Some((user, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(format!("username is set but no {what} or {what}_file")),
        (None, Some(_)) => Err(format!("a {what} is set but no username")),
    }
}

/// The PEM certificates of `ca_file`, if one is given.
fn ca_file(path: Option<&Path>) -> Result<Option<Vec<u8>>, String> {
    let Some(path) = path else {
        return Ok(None);
    };
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "ca_file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(Some(pem))
}

/// Checks `[notifications]`; the SMTP password comes from a named secret.
fn resolve_notifications(
    raw: RawNotifications,
    secrets: &Secrets,
) -> Result<NotificationsConfig, ConfigError> {
    let fail = |message: String| Err(ConfigError::Notifications(message));
    if let Some(url) = &raw.public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return fail(format!(
            "public_url {url:?} must be an http:// or https:// address, such as https://gennaker.example.com"
        ));
    }
    let smtp = match raw.smtp {
        None => None,
        Some(smtp) => {
            let tls = match smtp.tls.as_deref().unwrap_or("starttls") {
                "starttls" => SmtpTls::StartTls,
                "tls" => SmtpTls::Tls,
                "none" => SmtpTls::None,
                other => {
                    return fail(format!(
                        "smtp.tls {other:?} is not a choice: use starttls, tls or none"
                    ));
                }
            };
            if smtp.host.trim().is_empty() {
                return fail("smtp.host is empty: give the SMTP server's name".into());
            }
            if !smtp.from.contains('@') {
                return fail(format!(
                    "smtp.from {:?} is not an address, such as Gennaker <gennaker@example.com>",
                    smtp.from
                ));
            }
            let credentials = match (smtp.username, smtp.password_secret) {
                (None, None) => None,
                (Some(user), Some(name)) => match secrets.get(&name) {
                    Some(password) => Some((user, password.to_string())),
                    None => {
                        return fail(format!(
                            "smtp.password_secret names {name:?}, which is not a [[secrets]] entry"
                        ));
                    }
                },
                _ => {
                    return fail(
                        "smtp.username and smtp.password_secret go together: set both or neither"
                            .into(),
                    );
                }
            };
            let port = smtp.port.unwrap_or(match tls {
                SmtpTls::Tls => 465,
                SmtpTls::StartTls => 587,
                SmtpTls::None => 25,
            });
            Some(SmtpSettings {
                host: smtp.host,
                port,
                tls,
                from: smtp.from,
                credentials,
            })
        }
    };
    Ok(NotificationsConfig {
        public_url: raw.public_url.map(|u| u.trim_end_matches('/').to_string()),
        smtp,
    })
}

/// Reads every named secret from its file or environment variable.
fn resolve_secrets(
    raw: Vec<RawSecret>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Secrets, ConfigError> {
    let mut values = std::collections::BTreeMap::new();
    for secret in raw {
        let fail = |problem: String| ConfigError::Secret {
            secret: secret.name.clone(),
            problem,
        };
        let name_ok = !secret.name.is_empty()
            && secret
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok {
            return Err(fail(
                "the name must be letters, digits, '-', '_' or '.', such as github-webhook".into(),
            ));
        }
        if values.contains_key(&secret.name) {
            return Err(fail(
                "the name is used by an earlier secret; names must be unique".into(),
            ));
        }
        let value = match (&secret.file, &secret.env) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(fail(
                    "give exactly one of file (a path) or env (an environment variable's name)"
                        .into(),
                ));
            }
            (Some(path), None) => secret_file(Some(path), "file")
                .map_err(fail)?
                .unwrap_or_default(),
            (None, Some(var)) => env(var)
                .ok_or_else(|| fail(format!("the environment variable {var} is not set")))?,
        };
        if value.is_empty() {
            return Err(fail("it is empty".into()));
        }
        values.insert(secret.name, value);
    }
    Ok(Secrets { values })
}

/// Checks the Jenkins masters and reads their API token files and CA certificates.
fn resolve_jenkins(raw: Vec<RawJenkinsMaster>) -> Result<Vec<JenkinsMaster>, ConfigError> {
    let mut masters: Vec<JenkinsMaster> = Vec::with_capacity(raw.len());
    for master in raw {
        let fail = |problem: String| ConfigError::Jenkins {
            master: master.name.clone(),
            problem,
        };
        if master.name.trim().is_empty() || master.name.contains(char::is_whitespace) {
            return Err(fail(
                "the name must be a word without spaces, such as ci".into(),
            ));
        }
        if masters.iter().any(|m| m.name == master.name) {
            return Err(fail(
                "the name is used by an earlier master; names must be unique".into(),
            ));
        }
        let url = reqwest::Url::parse(&master.address)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let Some(mut url) = url else {
            return Err(fail(format!(
                "address {:?} is not an http:// or https:// URL, such as https://jenkins.example.com/",
                master.address
            )));
        };
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let credentials = credentials(
            master.username,
            master.api_token,
            master.api_token_file.as_deref(),
            "api_token",
        )
        .map_err(fail)?;
        let ca_pem = ca_file(master.ca_file.as_deref()).map_err(fail)?;
        masters.push(JenkinsMaster {
            name: master.name,
            address: url.to_string(),
            credentials,
            ca_pem,
        });
    }
    Ok(masters)
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail closures must return figment::Error"
)]
mod tests {
    use super::*;
    use figment::Jail;

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user:
    token: t
contexts:
- name: one
  context: {cluster: c, user: u}
- name: two
  context: {cluster: c, user: u}
"#;

    /// Runs with no inherited environment and a HOME without a kubeconfig.
    fn isolate(jail: &mut Jail) {
        jail.clear_env();
        let home = jail.directory().display().to_string();
        jail.set_env("HOME", home);
    }

    fn load_in(overrides: Overrides) -> Result<Config, ConfigError> {
        Config::load(&overrides)
    }

    fn error_text(result: Result<Config, ConfigError>) -> String {
        match result {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn defaults_apply_without_file_env_or_flags() {
        Jail::expect_with(|jail| {
            isolate(jail);
            let config = load_in(Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                config.listen,
                "127.0.0.1:8080"
                    .parse::<SocketAddr>()
                    .map_err(|e| e.to_string())?
            );
            assert_eq!(config.data_dir, PathBuf::from("gennaker-data"));
            assert!(config.kubernetes.kubeconfig.is_none());
            assert!(config.kubernetes.accounts.is_empty());
            Ok(())
        });
    }

    #[test]
    fn flags_override_environment_which_overrides_the_file() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file(
                "gennaker.toml",
                "listen = \"127.0.0.1:1111\"\ndata_dir = \"from-file\"\nlog = \"debug\"\n",
            )?;
            jail.set_env("GENNAKER_DATA_DIR", "from-env");
            jail.set_env("GENNAKER_LOG", "warn");
            let overrides = Overrides {
                log: Some("error".into()),
                ..Overrides::default()
            };
            let config = load_in(overrides).map_err(|e| e.to_string())?;
            assert_eq!(config.listen.port(), 1111, "file beats default");
            assert_eq!(config.data_dir, PathBuf::from("from-env"), "env beats file");
            assert_eq!(config.log, "error", "flag beats env");
            Ok(())
        });
    }

    #[test]
    fn other_gennaker_variables_are_not_configuration() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.set_env("GENNAKER_CACHE", "/somewhere");
            load_in(Overrides::default()).map_err(|e| e.to_string())?;
            Ok(())
        });
    }

    #[test]
    fn unknown_key_in_the_file_is_refused_by_name() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file(
                "gennaker.toml",
                "listen = \"127.0.0.1:1\"\nlisten_port = 9\n",
            )?;
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("listen_port"), "{text}");
            assert!(text.contains("gennaker.toml"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn bad_address_names_the_value() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.set_env("GENNAKER_LISTEN", "localhost");
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("listen = \"localhost\""), "{text}");
            Ok(())
        });
    }

    #[test]
    fn bad_log_filter_is_refused() {
        Jail::expect_with(|jail| {
            isolate(jail);
            let overrides = Overrides {
                log: Some("info,=[".into()),
                ..Overrides::default()
            };
            let text = error_text(load_in(overrides));
            assert!(text.contains("log = "), "{text}");
            Ok(())
        });
    }

    #[test]
    fn missing_config_file_named_by_flag_is_an_error() {
        Jail::expect_with(|jail| {
            isolate(jail);
            let overrides = Overrides {
                config_file: Some("nope.toml".into()),
                ..Overrides::default()
            };
            let text = error_text(load_in(overrides));
            assert!(text.contains("nope.toml"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn unreadable_kubeconfig_names_the_path() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file("broken.yaml", "this: [is not a kubeconfig")?;
            let overrides = Overrides {
                kubeconfig: Some("broken.yaml".into()),
                ..Overrides::default()
            };
            let text = error_text(load_in(overrides));
            assert!(text.contains("broken.yaml"), "{text}");
            let overrides = Overrides {
                kubeconfig: Some("absent.yaml".into()),
                ..Overrides::default()
            };
            let text = error_text(load_in(overrides));
            assert!(text.contains("absent.yaml"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn kubeconfig_env_is_used_and_each_context_becomes_an_account() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file("kc.yaml", KUBECONFIG)?;
            let kubeconfig = jail.directory().join("kc.yaml").display().to_string();
            jail.set_env("KUBECONFIG", kubeconfig);
            let config = load_in(Overrides::default()).map_err(|e| e.to_string())?;
            let names: Vec<_> = config
                .kubernetes
                .accounts
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            assert_eq!(names, ["one", "two"]);
            assert!(
                config
                    .kubernetes
                    .accounts
                    .iter()
                    .all(|a| a.warnings().is_empty())
            );
            Ok(())
        });
    }

    #[test]
    fn configured_accounts_are_checked_against_the_kubeconfig() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file("kc.yaml", KUBECONFIG)?;
            jail.create_file(
                "gennaker.toml",
                "kubeconfig = \"kc.yaml\"\n[[kubernetes.accounts]]\nname = \"prod\"\ncontext = \"three\"\n",
            )?;
            let text = error_text(load_in(Overrides::default()));
            assert!(
                text.contains("\"three\"") && text.contains("one, two"),
                "{text}"
            );

            jail.create_file(
                "gennaker.toml",
                "kubeconfig = \"kc.yaml\"\n[[kubernetes.accounts]]\nname = \"prod\"\nnamespaces = [\"web\"]\n",
            )?;
            let config = load_in(Overrides::default()).map_err(|e| e.to_string())?;
            let account = &config.kubernetes.accounts[0];
            assert_eq!(account.namespaces, ["web"]);
            assert_eq!(
                account.warnings().len(),
                1,
                "no context set explicitly must warn"
            );
            Ok(())
        });
    }

    #[test]
    fn the_store_is_embedded_unless_s3_is_chosen() {
        Jail::expect_with(|jail| {
            isolate(jail);
            let config = load_in(Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                config.store,
                StoreConfig::Embedded {
                    dir: PathBuf::from("gennaker-data/store")
                }
            );

            jail.set_env("GENNAKER_STORE__BACKEND", "s3");
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("[store.s3]"), "{text}");

            jail.set_env("GENNAKER_STORE__S3__BUCKET", "gennaker");
            jail.set_env("GENNAKER_STORE__S3__ENDPOINT", "http://127.0.0.1:9000");
            jail.set_env("GENNAKER_STORE__S3__PATH_STYLE", "true");
            let config = load_in(Overrides::default()).map_err(|e| e.to_string())?;
            let StoreConfig::S3(s3) = config.store else {
                return Err("expected the S3 store".into());
            };
            assert_eq!(
                (s3.bucket.as_str(), s3.region.as_str(), s3.path_style),
                ("gennaker", "us-east-1", true)
            );
            assert_eq!(s3.credentials, None);

            jail.set_env("GENNAKER_STORE__S3__ACCESS_KEY_ID", "id");
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("secret_access_key"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn bad_store_settings_are_named() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file(
                "gennaker.toml",
                "[store]\nbackend = \"s3\"\n[store.s3]\nbucket = \"Bad_Bucket\"\n",
            )?;
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("Bad_Bucket"), "{text}");
            jail.create_file("gennaker.toml", "[store]\nbackend = \"dynamo\"\n")?;
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("dynamo"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn task_durations_are_read_and_checked() {
        Jail::expect_with(|jail| {
            isolate(jail);
            let config = load_in(Overrides::default()).expect("defaults");
            assert_eq!(config.tasks, TasksConfig::default());
            jail.create_file(
                "gennaker.toml",
                "[tasks]\nwait_timeout = \"90s\"\nretention = \"7days\"\n",
            )?;
            let config = load_in(Overrides::default()).expect("valid durations");
            assert_eq!(config.tasks.wait_timeout.as_secs(), 90);
            assert_eq!(config.tasks.retention.as_secs(), 7 * 86_400);
            jail.set_env("GENNAKER_TASKS__RETENTION", "2h");
            let config = load_in(Overrides::default()).expect("from the environment");
            assert_eq!(config.tasks.retention.as_secs(), 7200);
            jail.create_file("gennaker.toml", "[tasks]\nwait_timeout = \"soon\"\n")?;
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("tasks.wait_timeout = \"soon\""), "{text}");
            jail.create_file("gennaker.toml", "[tasks]\nretention = \"1m\"\n")?;
            jail.set_env("GENNAKER_TASKS__RETENTION", "1m");
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("must be at least 1h"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn account_names_must_be_labels_and_unique() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file("kc.yaml", KUBECONFIG)?;
            jail.create_file(
                "gennaker.toml",
                "kubeconfig = \"kc.yaml\"\n[[kubernetes.accounts]]\nname = \"Prod\"\ncontext = \"one\"\n",
            )?;
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("lowercase"), "{text}");
            jail.create_file(
                "gennaker.toml",
                "kubeconfig = \"kc.yaml\"\n[[kubernetes.accounts]]\nname = \"a\"\ncontext = \"one\"\n[[kubernetes.accounts]]\nname = \"a\"\ncontext = \"two\"\n",
            )?;
            let text = error_text(load_in(Overrides::default()));
            assert!(text.contains("unique"), "{text}");
            Ok(())
        });
    }

    /// Writes `toml` as the configuration and checks that loading it fails saying `expected`.
    fn refused(jail: &mut Jail, toml: &str, expected: &str) -> figment::error::Result<()> {
        jail.create_file("gennaker.toml", toml)?;
        let text = error_text(load_in(Overrides::default()));
        assert!(text.contains(expected), "{text} should contain {expected}");
        Ok(())
    }

    #[test]
    fn docker_registries_are_read_and_checked() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file("kc.yaml", KUBECONFIG)?;
            jail.create_file("password", "s3cret\n")?;
            jail.create_file(
                "ca.crt",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            )?;
            jail.create_file(
                "gennaker.toml",
                "kubeconfig = \"kc.yaml\"\n[[kubernetes.accounts]]\nname = \"a\"\ncontext = \"one\"\ndocker_registries = [\"hub\"]\n\
                 [[docker_registries]]\nname = \"hub\"\naddress = \"127.0.0.1:5000\"\nusername = \"u\"\npassword_file = \"password\"\nca_file = \"ca.crt\"\nrepositories = [\"team/web\"]\n",
            )?;
            let config =
                load_in(Overrides::default()).map_err(|e| figment::Error::from(e.to_string()))?;
            let registry = &config.docker_registries[0];
            assert_eq!(
                registry.credentials,
                Some(("u".to_string(), "s3cret".to_string()))
            );
            assert!(!registry.plain_http);
            assert!(registry.ca_pem.is_some());
            assert_eq!(config.kubernetes.accounts[0].docker_registries, ["hub"]);
            assert!(
                !format!("{registry:?}").contains("s3cret"),
                "the password is never logged"
            );

            refused(
                jail,
                "[[docker_registries]]\nname = \"hub\"\naddress = \"ftp://x\"\n",
                "scheme",
            )?;
            refused(
                jail,
                "[[docker_registries]]\nname = \"hub\"\naddress = \"host:99999\"\n",
                "host[:port]",
            )?;
            refused(
                jail,
                "[[docker_registries]]\nname = \"hub\"\naddress = \"h\"\nusername = \"u\"\npassword = \"p\"\npassword_file = \"password\"\n",
                "not both",
            )?;
            refused(
                jail,
                "[[docker_registries]]\nname = \"hub\"\naddress = \"h\"\nusername = \"u\"\npassword_file = \"missing\"\n",
                "missing",
            )?;
            refused(
                jail,
                "[[docker_registries]]\nname = \"hub\"\naddress = \"h\"\nca_file = \"password\"\n",
                "no PEM certificate",
            )?;
            refused(
                jail,
                "kubeconfig = \"kc.yaml\"\n[[kubernetes.accounts]]\nname = \"a\"\ncontext = \"one\"\ndocker_registries = [\"nope\"]\n",
                "not a [[docker_registries]] account",
            )?;
            Ok(())
        });
    }

    #[test]
    fn jenkins_masters_are_read_and_checked() {
        Jail::expect_with(|jail| {
            isolate(jail);
            jail.create_file("token", "11d5f2c7\n")?;
            jail.create_file(
                "gennaker.toml",
                "[[jenkins_masters]]\nname = \"ci\"\naddress = \"http://127.0.0.1:8081/jenkins\"\nusername = \"bot\"\napi_token_file = \"token\"\n",
            )?;
            let config =
                load_in(Overrides::default()).map_err(|e| figment::Error::from(e.to_string()))?;
            let master = &config.jenkins_masters[0];
            assert_eq!(master.address, "http://127.0.0.1:8081/jenkins/");
            assert_eq!(
                master.credentials,
                Some(("bot".to_string(), "11d5f2c7".to_string()))
            );
            assert!(
                !format!("{master:?}").contains("11d5f2c7"),
                "the token is never logged"
            );
            refused(
                jail,
                "[[jenkins_masters]]\nname = \"ci\"\naddress = \"jenkins:8080\"\n",
                "not an http:// or https:// URL",
            )?;
            refused(
                jail,
                "[[jenkins_masters]]\nname = \"ci\"\naddress = \"http://j/\"\nusername = \"bot\"\n",
                "no api_token",
            )?;
            refused(
                jail,
                "[[jenkins_masters]]\nname = \"ci\"\naddress = \"http://j/\"\n[[jenkins_masters]]\nname = \"ci\"\naddress = \"http://k/\"\n",
                "names must be unique",
            )?;
            Ok(())
        });
    }
}
