//! Jenkins masters, configured like docker registries (`[[jenkins_masters]]`: name, address,
//! user and API token): starting a job with parameters, following its queue item to the build,
//! reading the build and fetching one of its artifacts, through Jenkins' documented
//! remote-access API (`/job/<name>/buildWithParameters`, `/queue/item/<id>/api/json`,
//! `/job/<name>/<n>/api/json`, `/job/<name>/<n>/artifact/<path>`). A job in a folder is named
//! with slashes (`team/nightly`).

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;

use crate::config::JenkinsMaster;

const TIMEOUT: Duration = Duration::from_secs(15);

/// Why a call to a Jenkins master failed; [`JenkinsError::is_retryable`] says whether trying
/// again in a moment may help.
#[derive(Debug, thiserror::Error)]
pub enum JenkinsError {
    #[error("there is no Jenkins master {name:?}; configured: {known}")]
    UnknownMaster { name: String, known: String },
    #[error("Jenkins master {master:?} cannot be reached ({what}): {source}")]
    Unreachable {
        master: String,
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Jenkins master {master:?} answered {status} to {what}{}", detail(.body))]
    Status {
        master: String,
        what: String,
        status: u16,
        body: String,
    },
    #[error("Jenkins master {master:?} gave an answer Gennaker cannot read ({what}): {problem}")]
    Invalid {
        master: String,
        what: String,
        problem: String,
    },
    #[error("Jenkins master {master:?}: the CA certificate cannot be read: {source}")]
    CaCertificate {
        master: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Jenkins master {master:?}: the address {address:?} is not a URL: {source}")]
    Address {
        master: String,
        address: String,
        #[source]
        source: url::ParseError,
    },
    #[error("Jenkins master {master:?}: cannot build an HTTP client: {source}")]
    HttpClient {
        master: String,
        #[source]
        source: reqwest::Error,
    },
}

fn detail(body: &str) -> String {
    let text = body.trim();
    if text.is_empty() || text.starts_with('<') {
        String::new()
    } else {
        format!(": {}", text.chars().take(300).collect::<String>())
    }
}

impl JenkinsError {
    pub fn is_retryable(&self) -> bool {
        match self {
            JenkinsError::Unreachable { .. } => true,
            JenkinsError::Status { status, .. } => *status >= 500 || *status == 429,
            JenkinsError::UnknownMaster { .. }
            | JenkinsError::Invalid { .. }
            | JenkinsError::CaCertificate { .. }
            | JenkinsError::Address { .. }
            | JenkinsError::HttpClient { .. } => false,
        }
    }
}

/// Where a queued build stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    /// Still in the queue, with Jenkins' reason ("In the quiet period.").
    Waiting(Option<String>),
    Started {
        number: u64,
        url: String,
    },
    /// Taken out of the queue by someone.
    Cancelled,
}

/// An archived file of a build.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub file_name: String,
    pub relative_path: String,
}

/// A build, as `/job/<name>/<n>/api/json` gives it (`raw` is the whole answer).
#[derive(Debug, Clone)]
pub struct Build {
    pub number: u64,
    pub url: String,
    pub building: bool,
    /// `SUCCESS`, `UNSTABLE`, `FAILURE`, `ABORTED`, `NOT_BUILT`; none while it builds.
    pub result: Option<String>,
    pub artifacts: Vec<Artifact>,
    pub raw: Value,
}

struct Master {
    settings: JenkinsMaster,
    base: Url,
    http: reqwest::Client,
}

pub struct JenkinsMasters {
    masters: Vec<Master>,
}

/// `team/nightly` as a URL path under the master: `job/team/job/nightly/`.
fn job_path(job: &str) -> String {
    job.split('/')
        .filter(|part| !part.is_empty())
        .map(|part| format!("job/{}/", urlencoding::encode(part)))
        .collect()
}

impl JenkinsMasters {
    pub fn new(masters: &[JenkinsMaster]) -> Result<JenkinsMasters, JenkinsError> {
        let mut built = Vec::with_capacity(masters.len());
        for settings in masters {
            let mut http = reqwest::Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(TIMEOUT)
                // The queue item is named by the Location header of a 201; never follow it.
                .redirect(reqwest::redirect::Policy::none());
            if let Some(pem) = &settings.ca_pem {
                for certificate in reqwest::Certificate::from_pem_bundle(pem).map_err(|source| {
                    JenkinsError::CaCertificate {
                        master: settings.name.clone(),
                        source,
                    }
                })? {
                    http = http.add_root_certificate(certificate);
                }
            }
            let base = Url::parse(&settings.address).map_err(|source| JenkinsError::Address {
                master: settings.name.clone(),
                address: settings.address.clone(),
                source,
            })?;
            built.push(Master {
                settings: settings.clone(),
                base,
                http: http.build().map_err(|source| JenkinsError::HttpClient {
                    master: settings.name.clone(),
                    source,
                })?,
            });
        }
        Ok(JenkinsMasters { masters: built })
    }

    /// The configured masters' names, in configuration order.
    pub fn names(&self) -> Vec<String> {
        self.masters
            .iter()
            .map(|m| m.settings.name.clone())
            .collect()
    }

    fn master(&self, name: &str) -> Result<&Master, JenkinsError> {
        self.masters
            .iter()
            .find(|m| m.settings.name == name)
            .ok_or_else(|| JenkinsError::UnknownMaster {
                name: name.to_string(),
                known: if self.masters.is_empty() {
                    "none (add a [[jenkins_masters]] entry to the configuration)".to_string()
                } else {
                    self.names().join(", ")
                },
            })
    }

    /// Checks that `name` is a configured master.
    pub fn check(&self, name: &str) -> Result<(), JenkinsError> {
        self.master(name).map(|_| ())
    }

    /// Starts `job` (with `parameters`, `buildWithParameters`; without, `build`) and gives the
    /// id of its queue item.
    pub async fn start(
        &self,
        master: &str,
        job: &str,
        parameters: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<u64, JenkinsError> {
        let m = self.master(master)?;
        let what = format!("starting job {job}");
        let endpoint = if parameters.is_empty() {
            "build"
        } else {
            "buildWithParameters"
        };
        let url = m.url(&format!("{}{endpoint}", job_path(job)), &what)?;
        let request = m
            .http
            .post(url)
            .header(crate::idempotency::HEADER, idempotency_key)
            .form(parameters);
        let response = m.send(request, &what).await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_string();
        location
            .trim_end_matches('/')
            .rsplit_once("/queue/item/")
            .and_then(|(_, id)| id.parse().ok())
            .ok_or_else(|| m.invalid(&what, format!("no queue item in Location {location:?}")))
    }

    /// Where queue item `id` stands.
    pub async fn queued(&self, master: &str, id: u64) -> Result<Queued, JenkinsError> {
        let m = self.master(master)?;
        let what = format!("reading queue item {id}");
        let item: Value = m.json(&format!("queue/item/{id}/api/json"), &what).await?;
        if item["cancelled"].as_bool() == Some(true) {
            return Ok(Queued::Cancelled);
        }
        match item["executable"]["number"].as_u64() {
            Some(number) => Ok(Queued::Started {
                number,
                url: item["executable"]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            }),
            None => Ok(Queued::Waiting(item["why"].as_str().map(str::to_string))),
        }
    }

    /// Build `number` of `job`.
    pub async fn build(&self, master: &str, job: &str, number: u64) -> Result<Build, JenkinsError> {
        let m = self.master(master)?;
        let what = format!("reading build #{number} of {job}");
        let raw: Value = m
            .json(&format!("{}{number}/api/json", job_path(job)), &what)
            .await?;
        let artifacts = serde_json::from_value(raw["artifacts"].clone()).unwrap_or_default();
        Ok(Build {
            number,
            url: raw["url"].as_str().unwrap_or_default().to_string(),
            building: raw["building"].as_bool().unwrap_or(false),
            result: raw["result"].as_str().map(str::to_string),
            artifacts,
            raw,
        })
    }

    /// The text of an archived file of a build.
    pub async fn artifact(
        &self,
        master: &str,
        job: &str,
        number: u64,
        relative_path: &str,
    ) -> Result<String, JenkinsError> {
        let m = self.master(master)?;
        let what = format!("reading {relative_path} of build #{number} of {job}");
        let path = format!("{}{number}/artifact/{relative_path}", job_path(job));
        let url = m.url(&path, &what)?;
        let response = m.send(m.http.get(url), &what).await?;
        response
            .text()
            .await
            .map_err(|source| JenkinsError::Unreachable {
                master: master.to_string(),
                what,
                source,
            })
    }

    /// The newest builds of `job` (at most 25), newest first.
    pub async fn recent_builds(&self, master: &str, job: &str) -> Result<Vec<Build>, JenkinsError> {
        let m = self.master(master)?;
        let what = format!("listing the builds of {job}");
        let listed: Value = m
            .json(
                &format!(
                    "{}api/json?tree=builds[number,url,building,result,timestamp,duration,displayName,artifacts[fileName,relativePath]]{{0,25}}",
                    job_path(job)
                ),
                &what,
            )
            .await?;
        Ok(listed["builds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|raw| {
                Some(Build {
                    number: raw["number"].as_u64()?,
                    url: raw["url"].as_str().unwrap_or_default().to_string(),
                    building: raw["building"].as_bool().unwrap_or(false),
                    result: raw["result"].as_str().map(str::to_string),
                    artifacts: serde_json::from_value(raw["artifacts"].clone()).unwrap_or_default(),
                    raw: raw.clone(),
                })
            })
            .collect())
    }

    /// The jobs at the top of the master (folders as their name).
    pub async fn jobs(&self, master: &str) -> Result<Vec<String>, JenkinsError> {
        let m = self.master(master)?;
        let listed: Value = m
            .json("api/json?tree=jobs[name]", "listing its jobs")
            .await?;
        Ok(listed["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|j| j["name"].as_str().map(str::to_string))
            .collect())
    }
}

impl Master {
    fn url(&self, path: &str, what: &str) -> Result<Url, JenkinsError> {
        self.base
            .join(path)
            .map_err(|e| self.invalid(what, format!("the URL {path:?} cannot be made: {e}")))
    }

    fn invalid(&self, what: &str, problem: String) -> JenkinsError {
        JenkinsError::Invalid {
            master: self.settings.name.clone(),
            what: what.to_string(),
            problem,
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, JenkinsError> {
        let request = match &self.settings.credentials {
            Some((user, token)) => request.basic_auth(user, Some(token)),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|source| JenkinsError::Unreachable {
                master: self.settings.name.clone(),
                what: what.to_string(),
                source,
            })?;
        let status = response.status();
        if status.is_success() || status == StatusCode::CREATED {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        Err(JenkinsError::Status {
            master: self.settings.name.clone(),
            what: what.to_string(),
            status: status.as_u16(),
            body,
        })
    }

    async fn json(&self, path: &str, what: &str) -> Result<Value, JenkinsError> {
        let url = self.url(path, what)?;
        let response = self.send(self.http.get(url), what).await?;
        response
            .json()
            .await
            .map_err(|e| self.invalid(what, format!("not JSON: {e}")))
    }
}

#[async_trait::async_trait]
impl gennaker_app::services::Jenkins for JenkinsMasters {
    fn masters(&self) -> Vec<String> {
        self.names()
    }

    async fn jobs(&self, master: &str) -> Result<Vec<String>, gennaker_app::error::AppError> {
        use gennaker_app::error::AppError;
        JenkinsMasters::jobs(self, master)
            .await
            .map_err(|e| match e {
                JenkinsError::UnknownMaster { .. } => AppError::NotFound(e.to_string()),
                other => AppError::Unavailable(other.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_in_a_folder_is_a_path_of_job_segments() {
        assert_eq!(job_path("build-web"), "job/build-web/");
        assert_eq!(job_path("team/nightly"), "job/team/job/nightly/");
        assert_eq!(job_path("a b"), "job/a%20b/");
    }

    #[test]
    fn only_unreachable_and_server_errors_are_retried() {
        let status = |status| JenkinsError::Status {
            master: "ci".into(),
            what: "x".into(),
            status,
            body: String::new(),
        };
        assert!(status(503).is_retryable());
        assert!(!status(404).is_retryable());
        assert!(!status(401).is_retryable());
    }
}
