//! Bake (Manifest): one step that renders the chart or kustomization with its input artifacts,
//! bound now, and records the result (see `artifacts::bake`).

use gennaker_core::pipelines::stages::BakeManifest;
use gennaker_core::tasks::model::{Bake, Step, StepAction};

use super::{PlanError, Planning, artifacts};

pub fn plan(p: &Planning, bake: BakeManifest) -> Result<Vec<Step>, PlanError> {
    let Planning {
        execution, stage, ..
    } = *p;
    let inputs = bake
        .inputs
        .iter()
        .map(|choice| artifacts::resolve(execution, stage, choice))
        .collect::<Result<Vec<_>, _>>()?;
    let label = format!(
        "Render {} with {} into {}",
        inputs
            .first()
            .map_or_else(|| "nothing".to_string(), |a| a.describe()),
        bake.renderer.label(),
        bake.output_name
    );
    Ok(vec![Step::new(
        label,
        StepAction::BakeManifest {
            bake: Box::new(Bake {
                renderer: bake.renderer,
                inputs,
                path: bake.path,
                output_name: bake.output_name,
                namespace: bake.namespace,
                overrides: bake.overrides,
                raw_overrides: bake.raw_overrides,
                include_crds: bake.include_crds,
                expected: bake.expected,
            }),
        },
    )])
}
