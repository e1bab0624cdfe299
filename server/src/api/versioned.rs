//! Answers for versioned documents (applications, pipelines): the version travels as an
//! `ETag`, so a client can send it back in `If-Match` with its next change.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use gennaker_core::applications::model::Application;
use gennaker_core::pipelines::requests::StoredPipeline;
use serde::Serialize;

/// A stored document and the version it is.
pub(super) trait Versioned: Serialize {
    fn version(&self) -> u64;
}

impl Versioned for Application {
    fn version(&self) -> u64 {
        self.version
    }
}

impl Versioned for StoredPipeline {
    fn version(&self) -> u64 {
        self.version
    }
}

/// The document with `ETag: "3"` for version 3.
pub(super) fn with_etag(document: impl Versioned) -> impl IntoResponse {
    let etag = format!("\"{}\"", document.version());
    ([(header::ETAG, etag)], Json(document))
}

/// 201 Created: where the new document lives, and the document with its `ETag`.
pub(super) fn created(location: String, document: impl Versioned) -> impl IntoResponse {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        with_etag(document),
    )
}
