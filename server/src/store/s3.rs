//! The S3 backend: objects in a bucket of AWS S3 or any S3-compatible server (MinIO,
//! versitygw, ...). Preconditions are S3's conditional writes (`If-None-Match: *`,
//! `If-Match: <etag>`), so two Gennaker servers sharing a bucket cannot overwrite each
//! other's changes; within one server writes are also serialised.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use super::{KeyLocks, Object, Precondition, Result, Revision, StoreError, check_key};

/// Where the bucket is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// For S3-compatible servers, such as `http://127.0.0.1:9000`; `None` for AWS.
    pub endpoint: Option<String>,
    /// Prepended to every key, so several installations can share a bucket.
    pub prefix: String,
    /// `bucket` in the path instead of the host name (MinIO and most self-hosted servers).
    pub path_style: bool,
    /// Static credentials; without them the standard AWS chain is used (environment,
    /// profile, instance role).
    pub credentials: Option<(String, String)>,
}

pub struct S3Backend {
    client: aws_sdk_s3::Client,
    settings: S3Settings,
    /// Writes of one key go one at a time (S3 checks the condition; this keeps one server's
    /// writers of a key in order); writes of different keys go side by side.
    write_locks: KeyLocks,
}

fn failure<E: std::error::Error + 'static>(
    key: &str,
    action: &str,
    error: &SdkError<E>,
) -> StoreError {
    StoreError::Backend {
        key: key.to_string(),
        message: format!("cannot {action}: {}", DisplayErrorContext(error)),
    }
}

impl S3Backend {
    /// Connects, and creates the bucket when it does not exist.
    pub async fn connect(settings: S3Settings) -> Result<S3Backend> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()));
        if let Some((id, secret)) = &settings.credentials {
            loader = loader.credentials_provider(Credentials::new(
                id,
                secret,
                None,
                None,
                "gennaker-configuration",
            ));
        }
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(settings.path_style)
            .build();
        let backend = S3Backend {
            client: aws_sdk_s3::Client::from_conf(config),
            settings,
            write_locks: KeyLocks::default(),
        };
        backend.ensure_bucket().await?;
        Ok(backend)
    }

    /// `s3://bucket/prefix` (at the endpoint, if one is set), for messages.
    pub fn location(&self) -> String {
        let at = self
            .settings
            .endpoint
            .as_deref()
            .map(|e| format!(" at {e}"))
            .unwrap_or_default();
        format!("s3://{}/{}{at}", self.settings.bucket, self.settings.prefix)
    }

    async fn ensure_bucket(&self) -> Result<()> {
        let bucket = &self.settings.bucket;
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 404) =>
            {
                tracing::info!(bucket = %bucket, "creating bucket {bucket}");
                match self.client.create_bucket().bucket(bucket).send().await {
                    Ok(_) => Ok(()),
                    // Another server created it in the meantime.
                    Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou")) => Ok(()),
                    Err(e) => Err(failure(bucket, "create the bucket", &e)),
                }
            }
            Err(error) => Err(failure(bucket, "reach the bucket", &error)),
        }
    }

    fn full_key(&self, key: &str) -> Result<String> {
        check_key(key)?;
        Ok(format!("{}{key}", self.settings.prefix))
    }

    pub async fn get(&self, key: &str) -> Result<Option<Object>> {
        let full = self.full_key(key)?;
        let output = match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(failure(key, "read", &e)),
        };
        let revision = Revision(output.e_tag.clone().unwrap_or_default());
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Backend {
                key: key.to_string(),
                message: format!("cannot read the body: {e}"),
            })?
            .into_bytes()
            .to_vec();
        Ok(Some(Object { bytes, revision }))
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        precondition: Precondition,
    ) -> Result<Revision> {
        let full = self.full_key(key)?;
        let _guard = self.write_locks.lock(&key).await;
        let request = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(&full)
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        let request = match precondition {
            Precondition::None => request,
            Precondition::Absent => request.if_none_match("*"),
            Precondition::Matches(revision) => request.if_match(revision.0),
        };
        match request.send().await {
            Ok(output) => Ok(Revision(output.e_tag.unwrap_or_default())),
            // 412: the condition did not hold; 409: a concurrent conditional write won.
            Err(e)
                if e.raw_response()
                    .is_some_and(|r| matches!(r.status().as_u16(), 409 | 412)) =>
            {
                Err(StoreError::PreconditionFailed {
                    key: key.to_string(),
                })
            }
            Err(e) => Err(failure(key, "write", &e)),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        let full = self.full_key(key)?;
        let _guard = self.write_locks.lock(&key).await;
        self.client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(&full)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failure(key, "delete", &e))
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let full_prefix = format!("{}{prefix}", self.settings.prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.settings.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failure(prefix, "list", &e))?;
            for object in page.contents() {
                if let Some(key) = object
                    .key()
                    .and_then(|k| k.strip_prefix(&self.settings.prefix))
                {
                    keys.push(key.to_string());
                }
            }
        }
        Ok(keys)
    }
}
