//! Typed configuration, layered: built-in defaults, then the TOML file, then `GENNAKER_*`
//! environment variables, then command-line flags (each layer overrides the one before).
//! Loading validates everything up front, so a bad value stops the server at start with an
//! error that names the key, the value and what would be accepted.
//!
//! One module per area of the file, each with its settings as written (`Raw…`), as validated,
//! and the checks between: [`auth`] (`[auth]`), [`engine`] (`[pipelines]`, `[tasks]`,
//! `[triggers]`), [`notifications`], [`secrets`] (`[[secrets]]`), [`store`], [`kubernetes`],
//! [`registries`] (`[[docker_registries]]`), [`jenkins`] (`[[jenkins_masters]]`), [`artifacts`]
//! (`[[artifact_accounts]]`); [`values`]
//! reads durations, secrets given inline or as files, and CA certificates.

mod artifacts;
mod auth;
mod bake;
mod engine;
mod error;
mod jenkins;
mod kubernetes;
mod notifications;
mod registries;
mod secrets;
mod store;
mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

pub use artifacts::{ACCOUNT_TYPES as ARTIFACT_ACCOUNT_TYPES, ArtifactAccount};
pub use auth::{AuthConfig, OidcConfig};
pub use bake::BakeConfig;
pub use engine::{PipelinesConfig, TasksConfig, TriggersConfig};
pub use error::ConfigError;
pub use jenkins::JenkinsMaster;
pub use kubernetes::{KubernetesAccount, KubernetesConfig, LoadedKubeconfig};
pub use notifications::{NotificationsConfig, SmtpSettings, SmtpTls};
pub use registries::DockerRegistryAccount;
pub use secrets::Secrets;
pub use store::StoreConfig;

use artifacts::{RawArtifactAccount, resolve_artifact_accounts};
use auth::{RawAuth, resolve_auth};
use engine::{
    RawPipelines, RawTasks, RawTriggers, resolve_pipelines, resolve_tasks, resolve_triggers,
};
use jenkins::{RawJenkinsMaster, resolve_jenkins};
use kubernetes::{RawKubernetes, load_kubeconfig, resolve_accounts};
use notifications::{RawNotifications, resolve_notifications};
use registries::{RawDockerRegistry, resolve_registries};
use secrets::{RawSecret, resolve_secrets};
use store::{RawStore, resolve_store};

/// The file read when no `--config` / `GENNAKER_CONFIG` is given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "gennaker.toml";

/// The environment variables that map to configuration keys (`GENNAKER_LISTEN` → `listen`,
/// `GENNAKER_STORE__S3__BUCKET` → `store.s3.bucket`).
const ENV_KEYS: [&str; 19] = [
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
    "gate__path",
];

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
    artifact_accounts: Vec<RawArtifactAccount>,
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
    #[serde(default)]
    gate: RawGate,
    #[serde(default)]
    bake: bake::RawBake,
}

/// `[gate]`: where Spinnaker's Gate API is mounted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    #[serde(default = "default_gate_path")]
    path: String,
}

/// Where the Gate routes are mounted unless `[gate] path` says otherwise.
pub const DEFAULT_GATE_PATH: &str = "/gate";

fn default_gate_path() -> String {
    DEFAULT_GATE_PATH.to_string()
}

impl Default for RawGate {
    fn default() -> Self {
        RawGate {
            path: default_gate_path(),
        }
    }
}

/// The first path segments Gennaker's own pages and routes use, which Gate's cannot share.
const TAKEN_SEGMENTS: [&str; 14] = [
    "api",
    "applications",
    "auth",
    "audit",
    "executions",
    "healthz",
    "infrastructure",
    "login",
    "pkg",
    "pipelines",
    "readyz",
    "tasks",
    "tokens",
    "webhooks",
];

/// `[gate] path`: `/gate`, `/spinnaker/api`; not `/` (the UI's pages are there), and not under a
/// path of Gennaker's own.
fn resolve_gate_path(path: &str) -> Result<String, ConfigError> {
    let problem = |problem: &str| ConfigError::GatePath {
        value: path.to_string(),
        problem: problem.to_string(),
    };
    let trimmed = path.trim_end_matches('/');
    if !trimmed.starts_with('/') {
        return Err(problem(
            "write a path that starts with /, such as /gate (spin's endpoint is then http://HOST:PORT/gate)",
        ));
    }
    let segments: Vec<&str> = trimmed[1..].split('/').collect();
    if segments.iter().any(|s| {
        s.is_empty()
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    }) {
        return Err(problem(
            "path segments may hold letters, digits, '-', '_' and '.', and none may be empty",
        ));
    }
    if TAKEN_SEGMENTS.contains(&segments[0]) {
        return Err(problem(&format!(
            "/{} is Gennaker's own (its pages or API); mount Gate elsewhere, such as /gate",
            segments[0]
        )));
    }
    Ok(trimmed.to_string())
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
            artifact_accounts: Vec::new(),
            secrets: Vec::new(),
            triggers: RawTriggers::default(),
            notifications: RawNotifications::default(),
            store: RawStore::default(),
            tasks: RawTasks::default(),
            pipelines: RawPipelines::default(),
            auth: RawAuth::default(),
            gate: RawGate::default(),
            bake: bake::RawBake::default(),
        }
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
    /// `[[artifact_accounts]]`: what artifacts are read with.
    pub artifact_accounts: Vec<ArtifactAccount>,
    /// Named secrets (webhook keys, notification URLs, SMTP passwords), read at start.
    pub secrets: Secrets,
    /// How triggers look for changes.
    pub triggers: TriggersConfig,
    /// Where notification links point, and how e-mail is sent.
    pub notifications: NotificationsConfig,
    /// Where applications, pipelines, executions and tasks are stored.
    pub store: StoreConfig,
    /// How the task runner waits and how long it keeps finished tasks.
    pub tasks: TasksConfig,
    /// How long and how many finished pipeline executions are kept.
    pub pipelines: PipelinesConfig,
    /// How people sign in.
    pub auth: AuthConfig,
    /// Where Spinnaker's Gate API is mounted (`[gate] path`).
    pub gate_path: String,
    /// The tools Bake (Manifest) runs (`[bake]`).
    pub bake: BakeConfig,
}

impl Config {
    /// Who may do anything, who triggers may run as, and the accounts' permissions.
    pub fn policy(&self) -> gennaker_core::auth::permissions::Policy {
        gennaker_core::auth::permissions::Policy {
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
        let triggers = resolve_triggers(&raw.triggers)?;
        let artifact_accounts = resolve_artifact_accounts(raw.artifact_accounts, &secrets)?;
        let notifications = resolve_notifications(raw.notifications, &secrets)?;
        let store = resolve_store(raw.store, &raw.data_dir)?;
        let tasks = resolve_tasks(&raw.tasks)?;
        let pipelines = resolve_pipelines(&raw.pipelines)?;
        let auth = resolve_auth(raw.auth, &secrets)?;
        let gate_path = resolve_gate_path(&raw.gate.path)?;
        let bake = bake::resolve_bake(raw.bake);
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
            artifact_accounts,
            secrets,
            triggers,
            notifications,
            store,
            tasks,
            pipelines,
            auth,
            gate_path,
            bake,
        })
    }
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
    fn gate_is_mounted_where_gennaker_has_nothing() {
        assert_eq!(resolve_gate_path("/gate").ok().as_deref(), Some("/gate"));
        assert_eq!(
            resolve_gate_path("/spinnaker/gate/").ok().as_deref(),
            Some("/spinnaker/gate")
        );
        for (path, says) in [
            ("/", "starts with /"),
            ("gate", "starts with /"),
            ("/api/gate", "Gennaker's own"),
            ("/applications", "Gennaker's own"),
            ("/a//b", "none may be empty"),
            ("/a b", "letters, digits"),
        ] {
            let error = resolve_gate_path(path).map(|_| ()).unwrap_err().to_string();
            assert!(error.contains(says), "{path}: {error}");
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
