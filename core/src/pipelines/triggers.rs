//! A pipeline's automated triggers, read from Spinnaker's JSON (`triggers[]`) into typed
//! settings. Field names are Spinnaker's (Deck writes them); Gennaker adds a few of its own,
//! named here. What needs the server to check (regular expressions, CRON expressions, time
//! zones, accounts, secrets) is checked there; this module checks the shape, the same way in
//! the editor and on the server.

use serde::{Deserialize, Serialize};

use super::model::{PipelineConfig, Trigger};
use super::reader::Reader;
use crate::error::FieldError;

/// `pattern` as a regular expression that must match a whole text (a tag, a branch, a
/// webhook's value), as Spinnaker's triggers read it; the error says why it is not one. The
/// same engine in the editor's previews and on the server, so what the editor shows matching
/// is what starts the pipeline.
pub fn full_match(pattern: &str) -> Result<regex_lite::Regex, String> {
    crate::expressions::regex::compile(&format!("^(?:{pattern})$"))
        .map_err(|reason| format!("{pattern:?} is not a regular expression: {reason}"))
}

/// A Docker Registry trigger's tag pattern, compiled once for the tags it is matched against:
/// the pattern matches the whole tag; no pattern matches any tag but `latest`.
pub struct DockerTagPattern(Option<regex_lite::Regex>);

impl DockerTagPattern {
    /// `pattern` read as the trigger reads it; the error says why it is not a regular expression.
    pub fn new(pattern: &str) -> Result<DockerTagPattern, String> {
        if pattern.is_empty() {
            return Ok(DockerTagPattern(None));
        }
        full_match(pattern).map(|re| DockerTagPattern(Some(re)))
    }

    /// Whether `tag` starts the trigger.
    pub fn matches(&self, tag: &str) -> bool {
        match &self.0 {
            None => tag != "latest",
            Some(re) => re.is_match(tag),
        }
    }
}

/// Whether `tag` starts a Docker Registry trigger whose tag pattern is `pattern` (see
/// [`DockerTagPattern`]). An invalid pattern matches nothing (saving refuses one).
pub fn docker_tag_matches(pattern: &str, tag: &str) -> bool {
    DockerTagPattern::new(pattern).is_ok_and(|p| p.matches(tag))
}

/// The trigger types Gennaker starts pipelines with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerType {
    Docker,
    Cron,
    Webhook,
    Git,
    Pipeline,
    Jenkins,
}

impl TriggerType {
    pub const ALL: [TriggerType; 6] = [
        TriggerType::Docker,
        TriggerType::Cron,
        TriggerType::Webhook,
        TriggerType::Git,
        TriggerType::Pipeline,
        TriggerType::Jenkins,
    ];

    pub fn parse(kind: &str) -> Option<TriggerType> {
        TriggerType::ALL.into_iter().find(|t| t.as_str() == kind)
    }

    /// Spinnaker's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerType::Docker => "docker",
            TriggerType::Cron => "cron",
            TriggerType::Webhook => "webhook",
            TriggerType::Git => "git",
            TriggerType::Pipeline => "pipeline",
            TriggerType::Jenkins => "jenkins",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TriggerType::Docker => "Docker Registry",
            TriggerType::Cron => "CRON",
            TriggerType::Webhook => "Webhook",
            TriggerType::Git => "Git",
            TriggerType::Pipeline => "Pipeline",
            TriggerType::Jenkins => "Jenkins",
        }
    }
}

/// A new tag (or a tag whose digest changed) in a repository of a registry account.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DockerTrigger {
    /// The registry account's name (`account`).
    pub account: String,
    /// `repository`, such as `team/web`.
    pub repository: String,
    /// A regular expression the whole tag must match (`tag`); empty: any tag but `latest`.
    pub tag: String,
}

/// What a CRON trigger does with a run missed while the server was down (Gennaker's
/// `missedRuns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MissedRuns {
    #[default]
    Skip,
    RunOnce,
}

impl MissedRuns {
    pub fn as_str(self) -> &'static str {
        match self {
            MissedRuns::Skip => "skip",
            MissedRuns::RunOnce => "runOnce",
        }
    }
}

/// The default zone of a CRON trigger without `timeZone`.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CronTrigger {
    /// Spinnaker's trigger `id`; keeps the trigger's schedule across edits of others.
    pub id: String,
    /// 5 fields (minute first), or Quartz's 6 or 7 (second first, optional year).
    pub expression: String,
    /// Gennaker's `timeZone`, an IANA name (Spinnaker has one per server).
    pub time_zone: String,
    pub missed_runs: MissedRuns,
}

/// `POST /webhooks/webhook/{source}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebhookTrigger {
    pub source: String,
    /// `payloadConstraints`: a field of the payload and a regular expression its value must
    /// match whole.
    pub constraints: Vec<(String, String)>,
    /// Gennaker's `secretName`: a secret of the server's configuration the caller must send.
    pub secret_name: String,
}

/// The Git hosts whose push webhooks Gennaker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GitSource {
    Github,
    Gitlab,
    Bitbucket,
}

impl GitSource {
    pub const ALL: [GitSource; 3] = [GitSource::Github, GitSource::Gitlab, GitSource::Bitbucket];

    pub fn parse(text: &str) -> Option<GitSource> {
        match text {
            "github" => Some(GitSource::Github),
            "gitlab" => Some(GitSource::Gitlab),
            "bitbucket" | "stash" => Some(GitSource::Bitbucket),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GitSource::Github => "github",
            GitSource::Gitlab => "gitlab",
            GitSource::Bitbucket => "bitbucket",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GitSource::Github => "GitHub",
            GitSource::Gitlab => "GitLab",
            GitSource::Bitbucket => "Bitbucket",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GitTrigger {
    pub source: GitSource,
    /// The organisation, user or group (`project`).
    pub project: String,
    /// The repository's name (`slug`).
    pub slug: String,
    /// A regular expression the whole branch name must match (`branch`); empty: any branch.
    pub branch: String,
    /// Gennaker's `secretName`: the webhook's secret (GitHub/Bitbucket HMAC key, GitLab token).
    pub secret_name: String,
}

/// Spinnaker's statuses of a Pipeline trigger.
pub const PIPELINE_STATUSES: [&str; 3] = ["successful", "failed", "canceled"];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PipelineTrigger {
    /// The watched pipeline's application (`application`).
    pub application: String,
    /// The watched pipeline's id (`pipeline`).
    pub pipeline: String,
    /// Which ends start this pipeline (`status`): successful, failed, canceled.
    pub statuses: Vec<String>,
}

/// A completed build of a Jenkins job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JenkinsTrigger {
    pub master: String,
    pub job: String,
    /// Gennaker's `buildResults`: the results that start the pipeline (default SUCCESS).
    pub results: Vec<String>,
    /// Read into `trigger.properties` (`propertyFile`), as Spinnaker does.
    pub property_file: String,
}

/// How the last look at a repository a Docker Registry trigger watches went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchedRepository {
    pub account: String,
    pub repository: String,
    pub checked_at: crate::time::Timestamp,
    /// How many tags it has been seen with.
    pub tags: usize,
    pub error: Option<String>,
}

/// One coming run of a CRON trigger: when, and that time on the trigger's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronRun {
    pub at: crate::time::Timestamp,
    /// Such as "Mon 2026-11-30 09:30:00 (Asia/Tokyo)".
    pub local: String,
}

/// Jenkins' build results.
pub const JENKINS_RESULTS: [&str; 4] = ["SUCCESS", "UNSTABLE", "FAILURE", "ABORTED"];

#[derive(Debug, Clone, PartialEq)]
pub enum TriggerSettings {
    Docker(DockerTrigger),
    Cron(CronTrigger),
    Webhook(WebhookTrigger),
    Git(GitTrigger),
    Pipeline(PipelineTrigger),
    Jenkins(JenkinsTrigger),
}

impl TriggerSettings {
    pub fn kind(&self) -> TriggerType {
        match self {
            TriggerSettings::Docker(_) => TriggerType::Docker,
            TriggerSettings::Cron(_) => TriggerType::Cron,
            TriggerSettings::Webhook(_) => TriggerType::Webhook,
            TriggerSettings::Git(_) => TriggerType::Git,
            TriggerSettings::Pipeline(_) => TriggerType::Pipeline,
            TriggerSettings::Jenkins(_) => TriggerType::Jenkins,
        }
    }
}

/// Whether `trigger` starts pipelines (Spinnaker: `enabled`, true when absent in Deck's newer
/// writes; a missing flag counts as enabled).
pub fn is_enabled(trigger: &Trigger) -> bool {
    trigger.enabled.unwrap_or(true)
}

/// Reads `trigger` (at `path`, such as `triggers[0]`); `None` for a type Gennaker does not run
/// (kept as it is) or when its settings have problems (in `errors`).
pub fn read(
    trigger: &Trigger,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<TriggerSettings> {
    let kind = TriggerType::parse(&trigger.kind)?;
    let before = errors.len();
    let mut r = Reader::new(&trigger.extra, path, false, errors);
    let settings = match kind {
        TriggerType::Docker => TriggerSettings::Docker(DockerTrigger {
            account: r
                .required_text("account", "the registry account")
                .unwrap_or_default(),
            repository: r
                .required_text("repository", "the repository, such as team/web")
                .unwrap_or_default(),
            tag: r.text("tag").unwrap_or_default().trim().to_string(),
        }),
        TriggerType::Cron => {
            let missed = r.text("missedRuns").unwrap_or_default();
            let missed_runs = match missed.as_str() {
                "" | "skip" => MissedRuns::Skip,
                "runOnce" => MissedRuns::RunOnce,
                other => {
                    r.fail(
                        "missedRuns",
                        format!("{other:?} is not a choice: use skip or runOnce."),
                    );
                    MissedRuns::Skip
                }
            };
            TriggerSettings::Cron(CronTrigger {
                id: r.text("id").unwrap_or_default(),
                expression: r
                    .required_text("cronExpression", "a CRON expression, such as 0 3 * * *")
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                time_zone: r
                    .text("timeZone")
                    .filter(|z| !z.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_string()),
                missed_runs,
            })
        }
        TriggerType::Webhook => {
            let source = r
                .required_text("source", "the source, the last part of the webhook's URL")
                .unwrap_or_default();
            if !source.is_empty()
                && !source
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            {
                r.fail(
                    "source",
                    "A source is letters, digits, '-', '_' or '.': it is part of the URL.",
                );
            }
            TriggerSettings::Webhook(WebhookTrigger {
                source,
                constraints: r.text_map("payloadConstraints"),
                secret_name: secret_name(&mut r),
            })
        }
        TriggerType::Git => {
            let text = r.text("source").unwrap_or_default();
            let source = GitSource::parse(&text);
            if source.is_none() {
                r.fail(
                    "source",
                    format!("{text:?} is not a Git host Gennaker reads: use github, gitlab or bitbucket."),
                );
            }
            let git = GitTrigger {
                source: source.unwrap_or(GitSource::Github),
                project: r
                    .required_text("project", "the organisation, user or group")
                    .unwrap_or_default(),
                slug: r
                    .required_text("slug", "the repository's name")
                    .unwrap_or_default(),
                branch: r.text("branch").unwrap_or_default().trim().to_string(),
                secret_name: secret_name(&mut r),
            };
            if git.secret_name.is_empty() {
                r.fail(
                    "secretName",
                    "Name the secret the Git host signs its webhooks with (a secret of the server's configuration).",
                );
            }
            TriggerSettings::Git(git)
        }
        TriggerType::Pipeline => {
            let statuses = r.texts("status");
            for status in &statuses {
                if !PIPELINE_STATUSES.contains(&status.as_str()) {
                    r.fail(
                        "status",
                        format!("{status:?} is not a status: use successful, failed or canceled."),
                    );
                }
            }
            if statuses.is_empty() {
                r.fail(
                    "status",
                    "Choose when it starts: successful, failed and/or canceled.",
                );
            }
            TriggerSettings::Pipeline(PipelineTrigger {
                application: r
                    .required_text("application", "the application of the pipeline to watch")
                    .unwrap_or_default(),
                pipeline: r
                    .required_text("pipeline", "the pipeline to watch")
                    .unwrap_or_default(),
                statuses,
            })
        }
        TriggerType::Jenkins => {
            let mut results = r.texts("buildResults");
            for result in &results {
                if !JENKINS_RESULTS.contains(&result.as_str()) {
                    r.fail(
                        "buildResults",
                        format!("{result:?} is not a Jenkins result: use SUCCESS, UNSTABLE, FAILURE or ABORTED."),
                    );
                }
            }
            if results.is_empty() {
                results.push("SUCCESS".into());
            }
            TriggerSettings::Jenkins(JenkinsTrigger {
                master: r
                    .required_text("master", "the Jenkins master")
                    .unwrap_or_default(),
                job: r.required_text("job", "the job").unwrap_or_default(),
                results,
                property_file: r.text("propertyFile").unwrap_or_default(),
            })
        }
    };
    (errors.len() == before).then_some(settings)
}

/// Gennaker's `secretName`; a secret written into the pipeline itself (Spinnaker's `secret`)
/// is refused, since the pipeline's JSON is shown to everyone who may read it.
fn secret_name(r: &mut Reader<'_>) -> String {
    if r.raw("secret").is_some_and(|s| s.as_str() != Some("")) {
        r.fail(
            "secret",
            "A secret is not kept in the pipeline, where anyone who can read it would see it: put it in a file or an environment variable, add it to the server's configuration as [[secrets]], and give its name in secretName.",
        );
    }
    r.text("secretName").unwrap_or_default().trim().to_string()
}

/// Every problem with the triggers of `config`.
pub fn problems(config: &PipelineConfig) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, trigger) in config.triggers.iter().flatten().enumerate() {
        read(trigger, &format!("triggers[{i}]"), &mut errors);
    }
    errors
}

/// The enabled triggers of `config` Gennaker can read, with their index (none when the
/// pipeline is disabled).
pub fn enabled(config: &PipelineConfig) -> Vec<(usize, TriggerSettings)> {
    if config.is_disabled() {
        return Vec::new();
    }
    config
        .triggers
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, t)| is_enabled(t))
        .filter_map(|(i, t)| read(t, &format!("triggers[{i}]"), &mut Vec::new()).map(|s| (i, s)))
        .collect()
}

/// Spinnaker's Java `String.hashCode`, which its CRON `H` token is derived from.
pub fn java_hash(text: &str) -> i32 {
    text.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// One line about what started an execution, for its page (`trigger` in Spinnaker's JSON).
pub fn describe(trigger: &super::execution::ExecutionTrigger) -> String {
    let field = |key: &str| {
        trigger
            .extra
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let extra = serde_json::Value::Object(trigger.extra.clone());
    match TriggerType::parse(&trigger.kind) {
        Some(TriggerType::Docker) => {
            let digest = field("digest");
            let short = digest.get(..19).unwrap_or(&digest);
            format!(
                "Docker Registry: {}:{} ({short}) in {}",
                field("repository"),
                field("tag"),
                field("account")
            )
        }
        Some(TriggerType::Cron) => format!(
            "CRON: {} ({})",
            field("cronExpression"),
            trigger
                .extra
                .get("timeZone")
                .and_then(|v| v.as_str())
                .unwrap_or(DEFAULT_TIME_ZONE)
        ),
        Some(TriggerType::Webhook) => format!("Webhook: {}", field("source")),
        Some(TriggerType::Git) => format!(
            "Git push: {}/{} {} at {}",
            field("project"),
            field("slug"),
            field("branch"),
            field("hash").get(..7).unwrap_or_default()
        ),
        Some(TriggerType::Pipeline) if extra.get("parentExecution").is_none() => {
            format!("a Pipeline stage, for {}", trigger.user)
        }
        Some(TriggerType::Pipeline) => format!(
            "Pipeline: {} ended {}",
            extra
                .pointer("/parentExecution/name")
                .and_then(|v| v.as_str())
                .unwrap_or_default(),
            extra
                .pointer("/parentExecution/status")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_lowercase()
        ),
        Some(TriggerType::Jenkins) => format!(
            "Jenkins: {} #{} ({})",
            field("job"),
            trigger
                .extra
                .get("buildNumber")
                .map(|v| v.to_string())
                .unwrap_or_default(),
            extra
                .pointer("/buildInfo/result")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
        ),
        None if trigger.kind == "manual" => "Manual start".to_string(),
        None => trigger.kind.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trigger(value: serde_json::Value) -> Trigger {
        serde_json::from_value(value).expect("a trigger")
    }

    #[test]
    fn a_docker_trigger_reads_spinnakers_fields() {
        let t = trigger(
            json!({"type": "docker", "enabled": true, "account": "company",
            "registry": "registry.example.com", "repository": "team/web", "tag": " ^v.* "}),
        );
        let settings = read(&t, "triggers[0]", &mut Vec::new());
        assert_eq!(
            settings,
            Some(TriggerSettings::Docker(DockerTrigger {
                account: "company".into(),
                repository: "team/web".into(),
                tag: "^v.*".into()
            }))
        );
    }

    #[test]
    fn missing_fields_are_named_with_their_path() {
        let config: PipelineConfig = serde_json::from_value(json!({
            "application": "shop", "name": "p",
            "triggers": [{"type": "docker"}, {"type": "cron", "missedRuns": "always"},
                         {"type": "pipeline", "application": "shop", "pipeline": "x", "status": ["done"]}]
        }))
        .expect("config");
        let fields: Vec<_> = problems(&config).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "triggers[0].account",
                "triggers[0].repository",
                "triggers[1].missedRuns",
                "triggers[1].cronExpression",
                "triggers[2].status"
            ]
        );
    }

    #[test]
    fn a_secret_in_the_pipeline_is_refused_and_its_name_is_taken() {
        let t = trigger(json!({"type": "git", "source": "github", "project": "acme",
            "slug": "web", "secret": "s3cret"}));
        let mut errors = Vec::new();
        assert_eq!(read(&t, "triggers[0]", &mut errors), None);
        assert_eq!(errors[0].field, "triggers[0].secret");
        let t = trigger(json!({"type": "git", "source": "stash", "project": "acme",
            "slug": "web", "secretName": "git"}));
        let Some(TriggerSettings::Git(git)) = read(&t, "triggers[0]", &mut Vec::new()) else {
            panic!("a git trigger");
        };
        assert_eq!(
            (git.source, git.secret_name.as_str()),
            (GitSource::Bitbucket, "git")
        );
    }

    #[test]
    fn disabled_triggers_and_pipelines_start_nothing() {
        let mut config: PipelineConfig = serde_json::from_value(json!({
            "application": "shop", "name": "p",
            "triggers": [{"type": "webhook", "source": "a"},
                         {"type": "webhook", "source": "b", "enabled": false},
                         {"type": "travis", "enabled": true}]
        }))
        .expect("config");
        let found: Vec<_> = enabled(&config).into_iter().map(|(i, _)| i).collect();
        assert_eq!(found, vec![0]);
        config.disabled = Some(true);
        assert!(enabled(&config).is_empty());
    }

    #[test]
    fn java_string_hash_codes() {
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("hello"), 99162322);
        // Java: "Gennaker".hashCode() and a string whose hash overflows.
        assert_eq!(java_hash("Gennaker"), 1_882_830_485);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
    }
}
