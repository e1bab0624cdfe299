//! Steps of the Rolling Red/Black and Custom strategies: the server group whose traffic moves
//! (recorded before the new one exists, so a restart moves traffic from the same one), moving
//! a share of it at each step, and what a strategy's pipeline is told of the Deploy.

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::{Deployed, Outputs, ROLLING_SOURCE_OUTPUT};
use serde_json::{Map, Value, json};

use super::executor::{Executor, StepResult};
use crate::tasks::outcome::{Outcome, StepError};

fn server_group(target: &ObjectRef) -> Value {
    json!({
        "account": target.account, "credentials": target.account,
        "region": target.namespace, "namespace": target.namespace,
        "serverGroupName": target.name, "cloudProvider": "kubernetes",
    })
}

impl Executor<'_> {
    /// The source recorded by [`Executor::record_rolling_source`], if the cluster had one.
    fn rolling_source(&self, account: &str, namespace: &str) -> Option<ObjectRef> {
        let name = self.task.outputs.get(ROLLING_SOURCE_OUTPUT)?["name"].as_str()?;
        Some(ObjectRef {
            account: account.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    pub(in crate::tasks) fn record_rolling_source(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let members = self.members_except(account, namespace, cluster, None)?;
        let source = members.iter().find(|m| !m.disabled);
        let mut outputs = Outputs::new();
        outputs.insert(
            ROLLING_SOURCE_OUTPUT.into(),
            source.map_or(
                Value::Null,
                |m| json!({"name": m.target.name, "desired": m.desired}),
            ),
        );
        Ok(Outcome::Done {
            message: match source {
                Some(m) => format!("traffic moves from {}", m.target.name),
                None => {
                    format!("{cluster} has no enabled server group: nothing to move traffic from")
                }
            },
            outputs,
        })
    }

    pub(in crate::tasks) async fn disable_source_share(
        &self,
        account: &str,
        namespace: &str,
        percentage: u64,
    ) -> StepResult {
        let Some(source) = self.rolling_source(account, namespace) else {
            return Ok(Outcome::done(
                "no previous server group to take traffic from",
            ));
        };
        let cache = &self.connection(account, namespace)?.cache;
        if cache.replica_sets.get(namespace, &source.name).is_none() {
            return Err(StepError::refused(format!(
                "{} is gone; traffic cannot move from it",
                source.name
            )));
        }
        self.set_traffic_share(&source, false, percentage).await?;
        if percentage < 100 {
            return Ok(Outcome::done(format!(
                "{percentage}% of {}'s Pods are out of its load balancers",
                source.name
            )));
        }
        match self.wait_for_traffic(&source, false)? {
            Outcome::Done { message, .. } => Ok(Outcome::done(format!(
                "{} is disabled ({message})",
                source.name
            ))),
            other => Ok(other),
        }
    }

    /// `parameters` and what a strategy's pipeline is told of the Deploy: Spinnaker's
    /// `deployedServerGroup` (and `serverGroupName`), with Rolling Red/Black's
    /// `sourceServerGroup` and `percentageComplete`.
    pub(in crate::tasks) fn with_deployed(
        &self,
        parameters: &Map<String, Value>,
        deployed: &Deployed,
    ) -> Result<Map<String, Value>, StepError> {
        let created = self.resolve(&deployed.target)?;
        let mut all = parameters.clone();
        all.insert("deployedServerGroup".into(), server_group(&created));
        all.insert("serverGroupName".into(), json!(created.name));
        if let Some(percentage) = deployed.percentage {
            all.insert("percentageComplete".into(), json!(percentage));
            if let Some(source) = self.rolling_source(&created.account, &created.namespace) {
                all.insert("sourceServerGroup".into(), server_group(&source));
            }
        }
        Ok(all)
    }
}
