//! Reading artifacts from real servers on 127.0.0.1: a git repository served by git's own
//! `git http-backend` (at a branch, a tag and a commit, a sub-path, with and without an
//! account's token), GitHub's and GitLab's file APIs as documented (a token from an artifact
//! account, `?ref=` the version), and a plain HTTP file.

mod support;

use gennaker::artifacts::{ArtifactError, ArtifactReader};
use gennaker::config::ArtifactAccount;
use gennaker_core::pipelines::artifacts::Artifact;
use serde_json::{Value, json};
use support::artifact_servers::{FileServer, GitServer, TOKEN};

fn artifact(value: Value) -> Artifact {
    serde_json::from_value(value).expect("an artifact")
}

fn account(name: &str, kind: &str) -> ArtifactAccount {
    ArtifactAccount {
        name: name.into(),
        kind: kind.into(),
        username: None,
        token: Some(TOKEN.into()),
    }
}

#[tokio::test]
async fn git_repositories_are_read_at_a_branch_a_tag_or_a_commit_under_a_sub_path() {
    let server = GitServer::start(None).await;
    let ids = server.repository(
        "deploy",
        &[
            &[
                ("web/deployment.yaml", "kind: Deployment # one\n"),
                ("web/README.md", "notes"),
                ("other/x.yaml", "kind: Other\n"),
            ],
            &[
                ("web/deployment.yaml", "kind: Deployment # two\n"),
                ("web/service.yml", "kind: Service\n"),
            ],
        ],
    );
    let reader = ArtifactReader::new(&[]);
    let at = |version: &str| {
        artifact(
            json!({"type": "git/repo", "reference": server.url("deploy"), "version": version,
            "metadata": {"subPath": "web"}}),
        )
    };
    let newest = reader.manifests(&at("main")).await.expect("the branch");
    assert_eq!(
        newest, "kind: Deployment # two\n\n---\nkind: Service\n",
        "yaml files in path order, README left out"
    );
    let tagged = reader.manifests(&at("v1")).await.expect("the tag");
    assert_eq!(tagged, "kind: Deployment # one\n");
    let commit = reader.manifests(&at(&ids[0])).await.expect("the commit");
    assert_eq!(commit, tagged);
    let default = reader.manifests(&at("")).await.expect("the default branch");
    assert_eq!(default, newest);

    let files = reader
        .files(&artifact(json!({"type": "git/repo", "reference": server.url("deploy"), "location": "other/x.yaml"})))
        .await
        .expect("one file");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "other/x.yaml");

    let missing = reader
        .manifests(&at("no-such-branch"))
        .await
        .expect_err("refused");
    assert!(matches!(missing, ArtifactError::Refused(_)), "{missing}");
    assert!(missing.to_string().contains("version"), "{missing}");
    let nothing = reader
        .manifests(&artifact(json!({"type": "git/repo", "reference": server.url("deploy"), "metadata": {"subPath": "nowhere"}})))
        .await
        .expect_err("refused");
    assert!(
        nothing.to_string().contains("check the sub-path"),
        "{nothing}"
    );
}

#[tokio::test]
async fn a_private_repository_is_read_with_its_accounts_token() {
    let server = GitServer::start(Some(TOKEN)).await;
    server.repository("private", &[&[("m.yaml", "kind: ConfigMap\n")]]);
    let wanted = json!({"type": "git/repo", "reference": server.url("private"), "version": "main"});
    let anonymous = ArtifactReader::new(&[])
        .manifests(&artifact(wanted.clone()))
        .await
        .expect_err("refused");
    assert!(!anonymous.is_retryable(), "{anonymous}");
    let mut with_account = wanted;
    with_account["artifactAccount"] = json!("git");
    let read = ArtifactReader::new(&[account("git", "git/repo")])
        .manifests(&artifact(with_account))
        .await
        .expect("read with the token");
    assert_eq!(read, "kind: ConfigMap\n");
}

#[tokio::test]
async fn github_gitlab_and_http_files_are_read_through_their_apis() {
    let server = FileServer::start(&[
        ("deploy/web.yaml", "", "kind: Deployment # default\n"),
        ("deploy/web.yaml", "release", "kind: Deployment # release\n"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let reader = ArtifactReader::new(&[
        account("github", "github/file"),
        account("gitlab", "gitlab/file"),
    ]);

    let github = json!({"type": "github/file", "name": "deploy/web.yaml", "artifactAccount": "github",
        "reference": format!("{base}/repos/acme/web/contents/deploy/web.yaml"), "version": "release"});
    assert_eq!(
        reader
            .manifests(&artifact(github.clone()))
            .await
            .expect("GitHub"),
        "kind: Deployment # release\n"
    );
    let mut anonymous = github.clone();
    if let Some(fields) = anonymous.as_object_mut() {
        fields.remove("artifactAccount");
    }
    let refused = reader
        .manifests(&artifact(anonymous))
        .await
        .expect_err("no token");
    assert!(
        refused.to_string().contains("401") && refused.to_string().contains("artifact_accounts"),
        "{refused}"
    );

    let gitlab = json!({"type": "gitlab/file", "artifactAccount": "gitlab",
        "reference": format!("{base}/api/v4/projects/7/repository/files/deploy%2Fweb.yaml/raw")});
    assert_eq!(
        reader.manifests(&artifact(gitlab)).await.expect("GitLab"),
        "kind: Deployment # default\n"
    );

    let plain = json!({"type": "http/file", "reference": format!("{base}/files/deploy/web.yaml")});
    assert_eq!(
        reader.manifests(&artifact(plain)).await.expect("HTTP"),
        "kind: Deployment # default\n"
    );
    let gone = json!({"type": "http/file", "reference": format!("{base}/files/none.yaml")});
    let error = reader.manifests(&artifact(gone)).await.expect_err("404");
    assert!(
        error.to_string().contains("404") && !error.is_retryable(),
        "{error}"
    );
    let closed = json!({"type": "http/file", "reference": "http://127.0.0.1:9/m.yaml"});
    let error = reader
        .manifests(&artifact(closed))
        .await
        .expect_err("nothing listens");
    assert!(error.is_retryable(), "{error}");
}
