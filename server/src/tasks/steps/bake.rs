//! Bake (Manifest)'s step: renders (see `artifacts::bake`) and records the result as an
//! `embedded/base64` artifact named `outputName`, bound to each of the stage's expected
//! artifacts, as Orca records a bake: outputs `artifacts` and `resolvedExpectedArtifacts`,
//! which a later stage's `manifestArtifactId` finds.

use base64::Engine;
use gennaker_core::pipelines::artifacts::{Artifact, ExpectedArtifact};
use gennaker_core::tasks::model::{Bake, Outputs};
use serde_json::json;

use super::executor::{Executor, StepResult};
use crate::kubernetes::manifests;
use crate::tasks::outcome::{Outcome, StepError};

impl Executor<'_> {
    pub(in crate::tasks) async fn bake_manifest(&self, bake: &Bake) -> StepResult {
        let rendered = self.artifacts.bake(bake).await?;
        let documents = manifests::parse_documents(&rendered).map_err(|e| {
            StepError::refused(format!(
                "{} rendered something that is not Kubernetes manifests: {e}",
                bake.renderer.label()
            ))
        })?;
        let artifact = Artifact {
            kind: Some("embedded/base64".into()),
            name: Some(bake.output_name.clone()),
            reference: Some(base64::engine::general_purpose::STANDARD.encode(&rendered)),
            ..Artifact::default()
        };
        let mut resolved = Vec::new();
        for value in &bake.expected {
            let mut expected: ExpectedArtifact =
                serde_json::from_value(value.clone()).map_err(|e| {
                    StepError::refused(format!(
                        "one of the stage's expectedArtifacts is not an expected artifact: {e}"
                    ))
                })?;
            if !expected.matches(&artifact) {
                return Err(StepError::refused(format!(
                    "the baked artifact (embedded/base64 {}) does not match the stage's expected artifact {}; match type embedded/base64 and name {}",
                    bake.output_name,
                    expected.describe(),
                    bake.output_name
                )));
            }
            expected.bound_artifact = Some(artifact.clone());
            resolved.push(expected);
        }
        let mut outputs = Outputs::new();
        outputs.insert("artifacts".into(), json!([artifact]));
        outputs.insert("resolvedExpectedArtifacts".into(), json!(resolved));
        Ok(Outcome::Done {
            message: format!(
                "{} rendered {} object(s) into {}",
                bake.renderer.label(),
                documents.len(),
                bake.output_name
            ),
            outputs,
        })
    }
}
