//! Jenkins: `job` run on `master` with `parameters`, the `propertyFile` read afterwards, and how the
//! build's result counts.

use crate::pipelines::reader::Reader;

/// Jenkins: `job` run on `master` with `parameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct JenkinsBuild {
    pub master: String,
    pub job: String,
    pub parameters: Vec<(String, String)>,
    /// An archived file whose values become outputs (Spinnaker's `propertyFile`).
    pub property_file: Option<String>,
    /// `markUnstableAsSuccessful`.
    pub unstable_is_success: bool,
    pub wait_for_completion: bool,
}

pub(super) fn read(r: &mut Reader<'_>) -> JenkinsBuild {
    JenkinsBuild {
        master: r
            .required_text("master", "the Jenkins master")
            .unwrap_or_default(),
        job: r
            .required_text("job", "the Jenkins job (a job in a folder as folder/job)")
            .unwrap_or_default(),
        parameters: r.text_map("parameters"),
        property_file: r.text("propertyFile").filter(|f| !f.trim().is_empty()),
        unstable_is_success: r.flag("markUnstableAsSuccessful").unwrap_or(false),
        wait_for_completion: r.flag("waitForCompletion").unwrap_or(true),
    }
}
