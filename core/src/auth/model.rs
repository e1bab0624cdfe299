//! The types of signing in, shared by the UI and the server: who a request acts as, what the
//! page header shows, API tokens as listed, and why a sign-in was refused.

use serde::{Deserialize, Serialize};

/// How a principal proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SignedInWith {
    /// Nobody signs in: Gennaker listens on loopback only and has no users.
    Open,
    /// A local user's password.
    Password,
    /// The configured OpenID Connect provider.
    Oidc,
    /// An API token.
    Token,
    /// A trigger, acting as the configured service user.
    Service,
}

/// The user a request acts as. Changes record `name` as made by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub name: String,
    /// Roles, sorted, as local configuration or the OIDC provider's groups give them.
    pub roles: Vec<String>,
    pub with: SignedInWith,
}

/// The one name of nobody in particular: everyone when Gennaker runs open, an execution a
/// trigger starts without a service user (`runAsUser`), and records made before sign-in existed.
pub const ANONYMOUS: &str = "anonymous";

impl Principal {
    /// Everyone, when Gennaker runs open.
    pub fn open() -> Principal {
        Principal {
            name: ANONYMOUS.to_string(),
            roles: Vec::new(),
            with: SignedInWith::Open,
        }
    }
}

impl Principal {
    /// Why this principal may not decide a Manual Judgment limited to `roles`, if they may not.
    /// Everyone may when Gennaker runs open (nobody has roles then) or the list is empty.
    pub fn judgment_refusal(&self, roles: &[String]) -> Option<String> {
        if roles.is_empty()
            || self.with == SignedInWith::Open
            || self
                .roles
                .iter()
                .any(|mine| roles.iter().any(|r| r.eq_ignore_ascii_case(mine)))
        {
            return None;
        }
        let mine = if self.roles.is_empty() {
            "no roles".to_string()
        } else {
            format!("the roles {}", self.roles.join(", "))
        };
        Some(format!(
            "Only {} may decide this judgment; {} has {mine}.",
            roles.join(" or "),
            self.name
        ))
    }
}

/// What the page header shows about who is using Gennaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Viewer {
    /// No sign-in is configured: anyone who can reach the address may change anything.
    Open { address: String },
    /// Signed in.
    SignedIn(Principal),
    /// Sign-in is required and nobody is signed in; `single_sign_on` names the OpenID Connect
    /// provider's button, when one is configured.
    SignedOut { single_sign_on: Option<String> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judgment_limited_to_roles_is_for_those_roles() {
        let maria = Principal {
            name: "maria".into(),
            roles: vec!["managers".into()],
            with: SignedInWith::Password,
        };
        let reader = Principal {
            name: "rick".into(),
            roles: vec!["dev".into()],
            with: SignedInWith::Password,
        };
        let managers = vec!["Managers".to_string(), "sre".to_string()];
        assert_eq!(maria.judgment_refusal(&managers), None);
        assert_eq!(
            reader.judgment_refusal(&managers).as_deref(),
            Some("Only Managers or sre may decide this judgment; rick has the roles dev.")
        );
        assert_eq!(reader.judgment_refusal(&[]), None, "no roles named: anyone");
        assert_eq!(
            Principal::open().judgment_refusal(&managers),
            None,
            "open: anyone"
        );
    }
}

/// An API token as listed: its secret is never shown again after it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The user the token acts as.
    pub user: String,
    pub created_at: crate::time::Timestamp,
    pub expires_at: crate::time::Timestamp,
}

/// A token just made, with its secret: shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub token: ApiToken,
    /// What a script sends: `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// How long a token may live, in days.
pub const TOKEN_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

/// Why a sign-in was refused, as the sign-in page's address carries it (`?error=wrong`). The
/// page shows its own words for each, so a link cannot put someone else's on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    /// The user name or the password is wrong (which one is not said).
    Wrong,
    /// Too many attempts: wait `wait` seconds.
    Limited,
    /// Gennaker runs open: nobody signs in.
    Open,
    /// The store could not be read.
    Unavailable,
    /// The form's fields were not sent.
    Form,
    /// Signing in through the OpenID Connect provider failed or was refused there.
    SingleSignOn,
}

impl SignInRefusal {
    const ALL: [SignInRefusal; 6] = [
        SignInRefusal::Wrong,
        SignInRefusal::Limited,
        SignInRefusal::Open,
        SignInRefusal::Unavailable,
        SignInRefusal::Form,
        SignInRefusal::SingleSignOn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SignInRefusal::Wrong => "wrong",
            SignInRefusal::Limited => "limited",
            SignInRefusal::Open => "open",
            SignInRefusal::Unavailable => "unavailable",
            SignInRefusal::Form => "form",
            SignInRefusal::SingleSignOn => "sso",
        }
    }

    pub fn from_code(code: &str) -> Option<SignInRefusal> {
        SignInRefusal::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the user reads; `wait` is the seconds to wait after too many attempts.
    pub fn message(self, wait: Option<u64>) -> String {
        match self {
            SignInRefusal::Wrong => "Wrong user name or password.".into(),
            SignInRefusal::Limited => format!(
                "Too many sign-in attempts: wait {} s and try again.",
                wait.unwrap_or(12)
            ),
            SignInRefusal::Open => "Gennaker runs open (no users, loopback only): nobody signs \
                in. Add a user with `gennaker user add` and restart it to require sign-in."
                .into(),
            SignInRefusal::Unavailable => {
                "Cannot check the password now: the store cannot be read. Try again shortly.".into()
            }
            SignInRefusal::Form => "Send the form's fields: user, password and next.".into(),
            SignInRefusal::SingleSignOn => "Signing in through the identity provider did not \
                work (it refused, or could not be reached). Try again; if it keeps failing, an \
                admin finds the reason in Gennaker's log and audit log."
                .into(),
        }
    }
}
