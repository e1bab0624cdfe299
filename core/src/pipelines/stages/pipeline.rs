//! Pipeline: run `pipeline` of `application` with `pipelineParameters`, and wait for it unless
//! `waitForCompletion` is false.

use crate::pipelines::reader::Reader;

#[derive(Debug, Clone, PartialEq)]
pub struct RunPipeline {
    pub application: Option<String>,
    pub pipeline: String,
    pub parameters: Vec<(String, String)>,
    pub wait_for_completion: bool,
}

pub(super) fn read(r: &mut Reader<'_>) -> RunPipeline {
    RunPipeline {
        application: r.text("application"),
        pipeline: r
            .required_text("pipeline", "the pipeline to run")
            .unwrap_or_default(),
        parameters: r.text_map("pipelineParameters"),
        wait_for_completion: r.flag("waitForCompletion").unwrap_or(true),
    }
}
