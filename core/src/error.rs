//! One problem with one field of an input: what validation everywhere reports. The UI's and the
//! API's error type (`gennaker_app::error::AppError`) carries a list of them.

use serde::{Deserialize, Serialize};

/// One problem with one field of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name as in the JSON input, such as `ownerEmail`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}
