//! The audit log's entries: who changed what and when, with the configuration before and
//! after for changes to applications and pipelines. Shared by the server, which records them,
//! the JSON API, which exports them as JSON lines, and the Audit page.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::AuditId;
use crate::time::Timestamp;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuditAction {
    ApplicationCreated,
    ApplicationUpdated,
    ApplicationDeleted,
    ApplicationRestored,
    PipelineCreated,
    PipelineUpdated,
    PipelineDeleted,
    PipelineRestored,
    ExecutionStarted,
    ExecutionCanceled,
    ExecutionPaused,
    ExecutionResumed,
    StageRestarted,
    JudgmentDecided,
    WindowSkipped,
    OperationSubmitted,
    TaskCanceled,
    SignedIn,
    SignInFailed,
    SignedOut,
    TokenCreated,
    TokenRevoked,
}

impl AuditAction {
    pub const ALL: [AuditAction; 22] = [
        AuditAction::ApplicationCreated,
        AuditAction::ApplicationUpdated,
        AuditAction::ApplicationDeleted,
        AuditAction::ApplicationRestored,
        AuditAction::PipelineCreated,
        AuditAction::PipelineUpdated,
        AuditAction::PipelineDeleted,
        AuditAction::PipelineRestored,
        AuditAction::ExecutionStarted,
        AuditAction::ExecutionCanceled,
        AuditAction::ExecutionPaused,
        AuditAction::ExecutionResumed,
        AuditAction::StageRestarted,
        AuditAction::JudgmentDecided,
        AuditAction::WindowSkipped,
        AuditAction::OperationSubmitted,
        AuditAction::TaskCanceled,
        AuditAction::SignedIn,
        AuditAction::SignInFailed,
        AuditAction::SignedOut,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
    ];

    /// As the JSON and the filter's query write it: `pipelineUpdated`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ApplicationCreated => "applicationCreated",
            AuditAction::ApplicationUpdated => "applicationUpdated",
            AuditAction::ApplicationDeleted => "applicationDeleted",
            AuditAction::ApplicationRestored => "applicationRestored",
            AuditAction::PipelineCreated => "pipelineCreated",
            AuditAction::PipelineUpdated => "pipelineUpdated",
            AuditAction::PipelineDeleted => "pipelineDeleted",
            AuditAction::PipelineRestored => "pipelineRestored",
            AuditAction::ExecutionStarted => "executionStarted",
            AuditAction::ExecutionCanceled => "executionCanceled",
            AuditAction::ExecutionPaused => "executionPaused",
            AuditAction::ExecutionResumed => "executionResumed",
            AuditAction::StageRestarted => "stageRestarted",
            AuditAction::JudgmentDecided => "judgmentDecided",
            AuditAction::WindowSkipped => "windowSkipped",
            AuditAction::OperationSubmitted => "operationSubmitted",
            AuditAction::TaskCanceled => "taskCanceled",
            AuditAction::SignedIn => "signedIn",
            AuditAction::SignInFailed => "signInFailed",
            AuditAction::SignedOut => "signedOut",
            AuditAction::TokenCreated => "tokenCreated",
            AuditAction::TokenRevoked => "tokenRevoked",
        }
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// What the page calls it: "Pipeline updated".
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::ApplicationCreated => "Application created",
            AuditAction::ApplicationUpdated => "Application updated",
            AuditAction::ApplicationDeleted => "Application deleted",
            AuditAction::ApplicationRestored => "Application restored",
            AuditAction::PipelineCreated => "Pipeline created",
            AuditAction::PipelineUpdated => "Pipeline updated",
            AuditAction::PipelineDeleted => "Pipeline deleted",
            AuditAction::PipelineRestored => "Pipeline restored",
            AuditAction::ExecutionStarted => "Execution started",
            AuditAction::ExecutionCanceled => "Execution canceled",
            AuditAction::ExecutionPaused => "Execution paused",
            AuditAction::ExecutionResumed => "Execution resumed",
            AuditAction::StageRestarted => "Stage restarted",
            AuditAction::JudgmentDecided => "Judgment decided",
            AuditAction::WindowSkipped => "Execution window skipped",
            AuditAction::OperationSubmitted => "Operation submitted",
            AuditAction::TaskCanceled => "Task canceled",
            AuditAction::SignedIn => "Signed in",
            AuditAction::SignInFailed => "Sign-in refused",
            AuditAction::SignedOut => "Signed out",
            AuditAction::TokenCreated => "API token made",
            AuditAction::TokenRevoked => "API token revoked",
        }
    }
}

/// One change, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: Timestamp,
    /// Who did it: a user's name, "anonymous" when Gennaker runs open.
    pub user: String,
    pub action: AuditAction,
    /// The application it concerns, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// What was acted on, in words: "pipeline Deploy (9f1c…)", "execution 0193…".
    pub target: String,
    /// More about it: "Resize web-v001 to 3", "continue", the address a sign-in came from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The configuration before the change (applications and pipelines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The configuration after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

#[cfg(feature = "server")]
impl AuditEntry {
    /// An entry made now.
    pub fn now(user: &str, action: AuditAction, target: impl Into<String>) -> AuditEntry {
        AuditEntry {
            id: AuditId::new(),
            at: Timestamp::now(),
            user: user.to_string(),
            action,
            application: None,
            target: target.into(),
            detail: String::new(),
            before: None,
            after: None,
        }
    }

    pub fn of(mut self, application: &str) -> AuditEntry {
        self.application = Some(application.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> AuditEntry {
        self.detail = detail.into();
        self
    }

    /// The configuration before and after, as JSON.
    pub fn change<T: Serialize>(mut self, before: Option<&T>, after: Option<&T>) -> AuditEntry {
        self.before = before.and_then(|b| serde_json::to_value(b).ok());
        self.after = after.and_then(|a| serde_json::to_value(a).ok());
        self
    }
}

/// Which entries to show: every given field must match (user and application exactly, any
/// case); newest first, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub user: String,
    pub application: String,
    /// An [`AuditAction`] as text, or empty for all.
    pub action: String,
    pub limit: Option<usize>,
}

/// How many entries a page or an export shows unless asked for fewer.
pub const AUDIT_LIMIT: usize = 500;

impl AuditFilter {
    /// Why the filter cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        (!self.action.is_empty() && AuditAction::parse(&self.action).is_none()).then(|| {
            format!(
                "action must be one of {}, not {:?}",
                AuditAction::ALL.map(AuditAction::as_str).join(", "),
                self.action
            )
        })
    }

    pub fn matches(&self, entry: &AuditEntry) -> bool {
        let same = |wanted: &str, value: Option<&str>| {
            wanted.is_empty() || value.is_some_and(|v| v.eq_ignore_ascii_case(wanted.trim()))
        };
        same(&self.user, Some(&entry.user))
            && same(&self.application, entry.application.as_deref())
            && same(&self.action, Some(entry.action.as_str()))
    }

    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(AUDIT_LIMIT).clamp(1, AUDIT_LIMIT * 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_as_written() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            let json = serde_json::to_value(action).expect("json");
            assert_eq!(json, action.as_str());
        }
        assert_eq!(AuditAction::parse("deleted"), None);
    }

    #[test]
    fn a_filter_matches_every_field_given() {
        let entry = AuditEntry {
            id: "0193a8a0-0000-7000-8000-000000000000"
                .parse()
                .expect("an id"),
            at: Timestamp::from_millis(0),
            user: "maria".into(),
            action: AuditAction::PipelineUpdated,
            application: Some("web".into()),
            target: "pipeline Deploy".into(),
            detail: String::new(),
            before: None,
            after: None,
        };
        assert!(AuditFilter::default().matches(&entry));
        let by = |user: &str, application: &str, action: &str| AuditFilter {
            user: user.into(),
            application: application.into(),
            action: action.into(),
            limit: None,
        };
        assert!(by("Maria", "web", "pipelineUpdated").matches(&entry));
        assert!(!by("rick", "", "").matches(&entry));
        assert!(!by("", "shop", "").matches(&entry));
        assert!(!by("", "", "pipelineCreated").matches(&entry));
        assert!(
            by("", "", "nope")
                .problem()
                .is_some_and(|p| p.contains("pipelineUpdated"))
        );
    }
}
