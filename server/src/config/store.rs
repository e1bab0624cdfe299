//! `[store]`: where Gennaker keeps its objects, on local disk or in an S3 bucket.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use crate::store::s3::S3Settings;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum StoreKind {
    #[default]
    Embedded,
    S3,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    #[serde(default)]
    pub(super) backend: StoreKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) s3: Option<RawS3>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawS3 {
    #[serde(default)]
    pub(super) bucket: String,
    #[serde(default = "default_region")]
    pub(super) region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) endpoint: Option<String>,
    #[serde(default)]
    pub(super) prefix: String,
    #[serde(default)]
    pub(super) path_style: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) secret_access_key: Option<String>,
}

pub(super) fn default_region() -> String {
    "us-east-1".into()
}

/// Where the store keeps its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Files under this directory (`<data_dir>/store`).
    Embedded { dir: PathBuf },
    /// A bucket in S3 or an S3-compatible server.
    S3(S3Settings),
}

pub(super) fn resolve_store(raw: RawStore, data_dir: &Path) -> Result<StoreConfig, ConfigError> {
    let fail = |message: String| Err(ConfigError::Store(message));
    match (raw.backend, raw.s3) {
        (StoreKind::Embedded, _) => Ok(StoreConfig::Embedded {
            dir: data_dir.join("store"),
        }),
        (StoreKind::S3, None) => {
            fail("backend = \"s3\" needs a [store.s3] section with at least `bucket`".into())
        }
        (StoreKind::S3, Some(s3)) => {
            if let Some(problem) = bucket_problem(&s3.bucket) {
                return fail(format!("s3.bucket = {:?} {problem}", s3.bucket));
            }
            if let Some(endpoint) = &s3.endpoint
                && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
            {
                return fail(format!(
                    "s3.endpoint = {endpoint:?} must be a URL such as http://127.0.0.1:9000"
                ));
            }
            if !s3.prefix.is_empty() && !s3.prefix.ends_with('/') {
                return fail(format!("s3.prefix = {:?} must end with '/'", s3.prefix));
            }
            let credentials = match (s3.access_key_id, s3.secret_access_key) {
                (Some(id), Some(secret)) => Some((id, secret)),
                (None, None) => None,
                _ => return fail("set both s3.access_key_id and s3.secret_access_key, or neither (to use the AWS credential chain)".into()),
            };
            Ok(StoreConfig::S3(S3Settings {
                bucket: s3.bucket,
                region: s3.region,
                endpoint: s3.endpoint,
                prefix: s3.prefix,
                path_style: s3.path_style,
                credentials,
            }))
        }
    }
}

/// Why `bucket` is not an S3 bucket name, if it is not.
pub(super) fn bucket_problem(bucket: &str) -> Option<&'static str> {
    if bucket.len() < 3 || bucket.len() > 63 {
        return Some("must be 3 to 63 characters long");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Some("may contain only lowercase letters, digits, '-' and '.'");
    }
    None
}
