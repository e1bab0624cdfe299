//! What a principal may do, as Spinnaker's Fiat decides it: an application's `permissions`
//! give roles READ (see it), WRITE (change it and its pipelines) and EXECUTE (run its
//! pipelines and operations); an account's give READ (see what runs in it) and WRITE (change
//! what runs in it). Lists that are all empty restrict nothing. Admin roles may do anything,
//! and so may everyone when Gennaker runs open.

use serde::{Deserialize, Serialize};

use super::model::{Principal, SignedInWith};
use crate::applications::model::Permissions;

/// One of Fiat's authorizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Authorization {
    Read,
    Write,
    Execute,
}

impl Authorization {
    /// What it lets one do, for messages: "Only releasers may change application web".
    fn verb(self) -> &'static str {
        match self {
            Authorization::Read => "see",
            Authorization::Write => "change",
            Authorization::Execute => "run pipelines and operations of",
        }
    }
}

/// What is being acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    Application(&'a str),
    Account(&'a str),
}

impl std::fmt::Display for Resource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Application(name) => write!(f, "application {name}"),
            Resource::Account(name) => write!(f, "account {name}"),
        }
    }
}

/// The roles that hold `what` under `permissions`, or `None` when nothing is restricted.
/// READ is held by every role listed at all (who may change or run may also see); an
/// application's EXECUTE falls back to its READ roles when none are listed (Fiat's
/// `executeFallback`); accounts have no EXECUTE of their own, WRITE stands for it.
fn holders(
    permissions: &Permissions,
    resource: Resource,
    what: Authorization,
) -> Option<Vec<String>> {
    let lists = [&permissions.read, &permissions.write, &permissions.execute];
    if lists.iter().all(|list| list.is_empty()) {
        return None;
    }
    let roles: Vec<String> = match (what, resource) {
        (Authorization::Read, _) => lists.iter().flat_map(|list| list.iter()).cloned().collect(),
        (Authorization::Write, _) | (Authorization::Execute, Resource::Account(_)) => {
            permissions.write.clone()
        }
        (Authorization::Execute, Resource::Application(_)) if permissions.execute.is_empty() => {
            permissions.read.clone()
        }
        (Authorization::Execute, Resource::Application(_)) => permissions.execute.clone(),
    };
    let mut unique: Vec<String> = Vec::new();
    for role in roles {
        if !unique.iter().any(|r| r.eq_ignore_ascii_case(&role)) {
            unique.push(role);
        }
    }
    Some(unique)
}

/// "the roles dev, qa" or "no roles", for messages.
pub fn roles_phrase(roles: &[String]) -> String {
    if roles.is_empty() {
        "no roles".to_string()
    } else {
        format!("the roles {}", roles.join(", "))
    }
}

/// A user triggers run as (`[[auth.service_users]]`), named by a trigger's `runAsUser`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUser {
    pub name: String,
    pub roles: Vec<String>,
}

/// Who may do anything (the roles configured as admins, `[auth] admin_roles`), and the
/// service users triggers may run as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub admin_roles: Vec<String>,
    pub service_users: Vec<ServiceUser>,
    /// Each Kubernetes account's permissions (READ and WRITE), by name.
    pub accounts: Vec<(String, Permissions)>,
}

impl Policy {
    /// Why `who` may not do `what` in `account`, if they may not. Accounts not configured
    /// restrict nothing here: using one fails on its own.
    pub fn account_refusal(
        &self,
        who: &Principal,
        account: &str,
        what: Authorization,
    ) -> Option<String> {
        let none = Permissions::default();
        let permissions = self
            .accounts
            .iter()
            .find(|(name, _)| name == account)
            .map_or(&none, |(_, p)| p);
        self.refusal(who, (Resource::Account(account), permissions), what)
    }

    /// The principal a trigger acts as: its service user, or nobody in particular (no roles).
    pub fn trigger_principal(&self, run_as: Option<&str>) -> Result<Principal, String> {
        let Some(name) = run_as.filter(|n| !n.is_empty()) else {
            return Ok(Principal {
                name: super::model::ANONYMOUS.into(),
                roles: Vec::new(),
                with: SignedInWith::Service,
            });
        };
        self.service_users
            .iter()
            .find(|u| u.name == name)
            .map(|u| Principal {
                name: u.name.clone(),
                roles: u.roles.clone(),
                with: SignedInWith::Service,
            })
            .ok_or_else(|| self.unknown_service_user(name))
    }

    fn unknown_service_user(&self, name: &str) -> String {
        let known: Vec<&str> = self.service_users.iter().map(|u| u.name.as_str()).collect();
        format!(
            "runAsUser {name:?} is not a service user: configure it under [[auth.service_users]]{}",
            if known.is_empty() {
                String::new()
            } else {
                format!(" (configured: {})", known.join(", "))
            }
        )
    }

    /// Why `who` may not let a trigger run as service user `name`, if they may not: it must be
    /// configured, and `who` must hold one of its roles (or be an admin), so nobody lends
    /// themselves roles they do not have.
    pub fn run_as_refusal(&self, who: &Principal, name: &str) -> Option<String> {
        let Some(user) = self.service_users.iter().find(|u| u.name == name) else {
            return Some(self.unknown_service_user(name));
        };
        let shares = who
            .roles
            .iter()
            .any(|mine| user.roles.iter().any(|r| r.eq_ignore_ascii_case(mine)));
        (!shares && !self.is_admin(who)).then(|| {
            format!(
                "Only people with one of {}'s roles ({}) may let triggers run as it; {} has {}.",
                user.name,
                user.roles.join(", "),
                who.name,
                roles_phrase(&who.roles)
            )
        })
    }

    /// Whether `who` is an admin: holds an admin role, or Gennaker runs open.
    pub fn is_admin(&self, who: &Principal) -> bool {
        who.with == SignedInWith::Open
            || who.roles.iter().any(|mine| {
                self.admin_roles
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(mine))
            })
    }

    /// Why `who` may not do `what` with `resource` under `permissions`, if they may not.
    pub fn refusal(
        &self,
        who: &Principal,
        (resource, permissions): (Resource, &Permissions),
        what: Authorization,
    ) -> Option<String> {
        if self.is_admin(who) {
            return None;
        }
        let holders = holders(permissions, resource, what)?;
        if who
            .roles
            .iter()
            .any(|mine| holders.iter().any(|r| r.eq_ignore_ascii_case(mine)))
        {
            return None;
        }
        if what == Authorization::Read {
            // Who may see it is not told to those who may not.
            return Some(format!(
                "{} may not see {resource}: it is limited to roles {} does not have.",
                who.name, who.name
            ));
        }
        let only = if holders.is_empty() {
            "admins".to_string()
        } else {
            holders.join(" or ")
        };
        Some(format!(
            "Only {only} may {} {resource}; {} has {}.",
            what.verb(),
            who.name,
            roles_phrase(&who.roles)
        ))
    }

    /// What `who` may do with one application, for the page to disable what they may not.
    pub fn access(&self, who: &Principal, application: &str, permissions: &Permissions) -> Access {
        let resource = (Resource::Application(application), permissions);
        if let Some(unseen) = self.refusal(who, resource, Authorization::Read) {
            return Access {
                read: Some(unseen.clone()),
                write: Some(unseen.clone()),
                execute: Some(unseen),
            };
        }
        Access {
            read: self.refusal(who, resource, Authorization::Read),
            write: self.refusal(who, resource, Authorization::Write),
            execute: self.refusal(who, resource, Authorization::Execute),
        }
    }
}

/// What the signed-in user may do with an application: for each authorization, `None` when
/// they may, else why not (the page shows it beside the disabled action).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub read: Option<String>,
    pub write: Option<String>,
    pub execute: Option<String>,
}

impl Access {
    /// Why not, for `what`, if not.
    pub fn refusal(&self, what: Authorization) -> Option<&str> {
        match what {
            Authorization::Read => self.read.as_deref(),
            Authorization::Write => self.write.as_deref(),
            Authorization::Execute => self.execute.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, roles: &[&str]) -> Principal {
        Principal {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            with: SignedInWith::Password,
        }
    }

    fn permissions(read: &[&str], write: &[&str], execute: &[&str]) -> Permissions {
        let list = |roles: &[&str]| roles.iter().map(|r| r.to_string()).collect();
        Permissions {
            read: list(read),
            write: list(write),
            execute: list(execute),
        }
    }

    #[test]
    fn roles_hold_what_the_application_gives_them() {
        let policy = Policy::default();
        let web = Resource::Application("web");
        let given = permissions(&["dev"], &["releasers"], &["ops"]);
        let rick = user("rick", &["dev"]);
        assert_eq!(
            policy.refusal(&rick, (web, &given), Authorization::Read),
            None
        );
        assert_eq!(
            policy
                .refusal(&rick, (web, &given), Authorization::Write)
                .as_deref(),
            Some("Only releasers may change application web; rick has the roles dev.")
        );
        assert!(
            policy
                .refusal(&rick, (web, &given), Authorization::Execute)
                .is_some()
        );
        let rel = user("rel", &["Releasers"]);
        assert_eq!(
            policy.refusal(&rel, (web, &given), Authorization::Write),
            None,
            "any case"
        );
        assert_eq!(
            policy.refusal(&rel, (web, &given), Authorization::Read),
            None,
            "who may change may see"
        );
        let nobody = user("n", &[]);
        assert_eq!(
            policy
                .refusal(&nobody, (web, &given), Authorization::Read)
                .as_deref(),
            Some("n may not see application web: it is limited to roles n does not have.")
        );
        let unseen = policy.access(&nobody, "web", &given);
        assert!(
            unseen
                .write
                .as_deref()
                .is_some_and(|w| w.contains("may not see")),
            "{unseen:?}"
        );
    }

    #[test]
    fn nothing_listed_restricts_nothing_and_admins_pass() {
        let policy = Policy {
            admin_roles: vec!["admins".into()],
            ..Policy::default()
        };
        let web = Resource::Application("web");
        let nobody = user("n", &[]);
        for what in [
            Authorization::Read,
            Authorization::Write,
            Authorization::Execute,
        ] {
            assert_eq!(
                policy.refusal(&nobody, (web, &Permissions::default()), what),
                None
            );
        }
        let locked = permissions(&["dev"], &[], &[]);
        assert_eq!(
            policy
                .refusal(&nobody, (web, &locked), Authorization::Write)
                .as_deref(),
            Some("Only admins may change application web; n has no roles."),
            "listed lists restrict the others"
        );
        let ada = user("ada", &["admins"]);
        assert_eq!(
            policy.refusal(&ada, (web, &locked), Authorization::Write),
            None
        );
        assert_eq!(
            policy.refusal(&Principal::open(), (web, &locked), Authorization::Write),
            None
        );
    }

    #[test]
    fn triggers_run_as_configured_service_users_only() {
        let policy = Policy {
            admin_roles: vec!["admins".into()],
            service_users: vec![ServiceUser {
                name: "deploy-bot".into(),
                roles: vec!["ops".into()],
            }],
            ..Policy::default()
        };
        let bot = policy.trigger_principal(Some("deploy-bot")).expect("known");
        assert_eq!(
            (bot.name.as_str(), bot.roles.as_slice()),
            ("deploy-bot", &["ops".to_string()][..])
        );
        assert_eq!(bot.with, SignedInWith::Service);
        assert!(
            policy
                .trigger_principal(None)
                .is_ok_and(|p| p.roles.is_empty())
        );
        assert!(
            policy
                .trigger_principal(Some("ghost"))
                .is_err_and(|e| e.contains("(configured: deploy-bot)"))
        );
        assert_eq!(
            policy.run_as_refusal(&user("o", &["ops"]), "deploy-bot"),
            None
        );
        assert_eq!(
            policy.run_as_refusal(&user("a", &["admins"]), "deploy-bot"),
            None
        );
        assert_eq!(
            policy
                .run_as_refusal(&user("rick", &["dev"]), "deploy-bot")
                .as_deref(),
            Some(
                "Only people with one of deploy-bot's roles (ops) may let triggers run as it; rick has the roles dev."
            )
        );
    }

    #[test]
    fn execute_falls_back_to_read_and_accounts_write_for_it() {
        let policy = Policy::default();
        let reader = user("r", &["dev"]);
        let read_only = permissions(&["dev"], &["releasers"], &[]);
        let web = Resource::Application("web");
        assert_eq!(
            policy.refusal(&reader, (web, &read_only), Authorization::Execute),
            None,
            "no EXECUTE roles: READ's run"
        );
        let prod = Resource::Account("prod");
        assert!(
            policy
                .refusal(&reader, (prod, &read_only), Authorization::Execute)
                .is_some()
        );
        assert_eq!(
            policy.refusal(&reader, (prod, &read_only), Authorization::Read),
            None
        );
        let access = policy.access(&reader, "web", &read_only);
        assert_eq!(access.refusal(Authorization::Read), None);
        assert!(access.refusal(Authorization::Write).is_some());
    }
}
