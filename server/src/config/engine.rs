//! How the engine runs: `[pipelines]` (how long and how many finished executions are kept),
//! `[tasks]` (the runner's waits and retention), `[triggers]` (how often registries and Jenkins
//! jobs are looked at).

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::values::duration;

/// `[pipelines]`: how long and how many finished executions are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPipelines {
    #[serde(default = "default_retention")]
    pub(super) execution_retention: String,
    #[serde(default = "default_keep_executions")]
    pub(super) keep_executions: usize,
}

/// `[triggers]`: how often registries and Jenkins jobs are looked at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTriggers {
    #[serde(default = "default_docker_poll_interval")]
    pub(super) docker_poll_interval: String,
    #[serde(default = "default_jenkins_poll_interval")]
    pub(super) jenkins_poll_interval: String,
}

pub(super) fn default_docker_poll_interval() -> String {
    "30s".into()
}

pub(super) fn default_jenkins_poll_interval() -> String {
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

pub(super) fn default_keep_executions() -> usize {
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
pub(super) struct RawTasks {
    #[serde(default = "default_wait_timeout")]
    pub(super) wait_timeout: String,
    #[serde(default = "default_retention")]
    pub(super) retention: String,
}

pub(super) fn default_wait_timeout() -> String {
    "15m".into()
}

pub(super) fn default_retention() -> String {
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

pub(super) fn resolve_pipelines(raw: &RawPipelines) -> Result<PipelinesConfig, ConfigError> {
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

pub(super) fn resolve_tasks(raw: &RawTasks) -> Result<TasksConfig, ConfigError> {
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

/// `[triggers]`, validated: each interval at least a second.
pub(super) fn resolve_triggers(raw: &RawTriggers) -> Result<TriggersConfig, ConfigError> {
    Ok(TriggersConfig {
        docker_poll_interval: duration(
            "triggers.docker_poll_interval",
            &raw.docker_poll_interval,
            (std::time::Duration::from_secs(1), "1s"),
        )?,
        jenkins_poll_interval: duration(
            "triggers.jenkins_poll_interval",
            &raw.jenkins_poll_interval,
            (std::time::Duration::from_secs(1), "1s"),
        )?,
    })
}
