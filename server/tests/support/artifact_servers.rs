//! Servers artifacts are read from in tests, all on 127.0.0.1: a git repository served over
//! HTTP by git's own `git http-backend` (run as CGI, as a web server runs it), and one server
//! speaking GitHub's contents API, GitLab's repository files API and plain HTTP files.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

/// The token the servers want, when they want one.
pub const TOKEN: &str = "s3cr3t-token";

fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A repository served at `http://{addr}/{name}.git`.
pub struct GitServer {
    pub addr: SocketAddr,
    root: tempfile::TempDir,
}

#[derive(Clone)]
struct GitState {
    root: PathBuf,
    /// Basic authentication the server wants (`git:TOKEN`), when set.
    token: Option<String>,
}

impl GitServer {
    /// Serves the repositories under a new directory; `token` makes it want
    /// `Authorization: Basic` with user `git` and that token.
    pub async fn start(token: Option<&str>) -> GitServer {
        let root = tempfile::tempdir().expect("a directory");
        let state = GitState {
            root: root.path().to_path_buf(),
            token: token.map(str::to_string),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let app = axum::Router::new().fallback(cgi).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        GitServer { addr, root }
    }

    /// Makes repository `name` with one commit per entry of `commits` (each a list of
    /// (path, contents)) on branch `main`, and gives the commits' ids.
    pub fn repository(&self, name: &str, commits: &[&[(&str, &str)]]) -> Vec<String> {
        let work = self.root.path().join(format!("{name}-work"));
        std::fs::create_dir_all(&work).expect("a work tree");
        git(&work, &["init", "-q", "-b", "main"]);
        let mut ids = Vec::new();
        for files in commits {
            for (path, contents) in *files {
                let file = work.join(path);
                std::fs::create_dir_all(file.parent().expect("a parent")).expect("directories");
                std::fs::write(file, contents).expect("a file");
            }
            git(&work, &["add", "-A"]);
            git(&work, &["commit", "-q", "-m", "change"]);
            ids.push(git(&work, &["rev-parse", "HEAD"]));
        }
        git(&work, &["tag", "v1", &ids[0]]);
        let bare = self.root.path().join(format!("{name}.git"));
        git(
            self.root.path(),
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().expect("a path"),
                bare.to_str().expect("a path"),
            ],
        );
        ids
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}.git", self.addr)
    }
}

/// A request header as text, empty when missing or not text.
fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Runs `git http-backend` for one request, as CGI.
async fn cgi(
    State(state): State<GitState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| header_text(&headers, name);
    if let Some(token) = &state.token {
        use base64::Engine;
        let wanted = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("git:{token}"))
        );
        if header("authorization") != wanted {
            return (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Basic realm=\"git\"")],
                "sign in",
            )
                .into_response();
        }
    }
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &state.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PATH_INFO", uri.path())
        .env("QUERY_STRING", uri.query().unwrap_or(""))
        .env("REQUEST_METHOD", method.as_str())
        .env("CONTENT_TYPE", header("content-type"))
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git http-backend starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let writing = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let output = child
        .wait_with_output()
        .await
        .expect("git http-backend ran");
    let _ = writing.await;
    let out = output.stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, gap)) = split else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no CGI headers").into_response();
    };
    let mut response = Response::builder();
    let mut status = StatusCode::OK;
    for line in String::from_utf8_lossy(&out[..end]).lines() {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("status") {
                status = value
                    .split(' ')
                    .next()
                    .and_then(|c| c.parse().ok())
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .unwrap_or(StatusCode::OK);
            } else {
                response = response.header(name.trim(), value);
            }
        }
    }
    response
        .status(status)
        .body(axum::body::Body::from(out[end + gap..].to_vec()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Files served as GitHub's contents API, GitLab's files API and plain HTTP, by version.
#[derive(Clone)]
struct FileState {
    /// (path, version, contents); version "" is the default branch.
    files: Vec<(String, String, String)>,
}

pub struct FileServer {
    pub addr: SocketAddr,
}

impl FileServer {
    /// Serves `files` ((path, version, contents)):
    /// - GitHub: `GET /repos/acme/web/contents/{path}?ref=` with `Accept:
    ///   application/vnd.github.raw+json` and `Authorization: Bearer TOKEN`;
    /// - GitLab: `GET /api/v4/projects/7/repository/files/{url-encoded path}/raw?ref=` with
    ///   `PRIVATE-TOKEN: TOKEN`;
    /// - plain: `GET /files/{path}`, no credentials.
    pub async fn start(files: &[(&str, &str, &str)]) -> FileServer {
        let state = FileState {
            files: files
                .iter()
                .map(|(p, v, c)| (p.to_string(), v.to_string(), c.to_string()))
                .collect(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let app = axum::Router::new().fallback(serve_file).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FileServer { addr }
    }
}

async fn serve_file(
    State(state): State<FileState>,
    uri: Uri,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let header = |name: &str| header_text(&headers, name);
    let version = query.get("ref").cloned().unwrap_or_default();
    let path = uri.path();
    let (wanted, authorized) = if let Some(rest) = path.strip_prefix("/repos/acme/web/contents/") {
        if header("accept") != "application/vnd.github.raw+json" {
            return (
                StatusCode::NOT_ACCEPTABLE,
                "ask for application/vnd.github.raw+json",
            )
                .into_response();
        }
        (
            rest.to_string(),
            header("authorization") == format!("Bearer {TOKEN}"),
        )
    } else if let Some(rest) = path
        .strip_prefix("/api/v4/projects/7/repository/files/")
        .and_then(|r| r.strip_suffix("/raw"))
    {
        let decoded = urlencoding::decode(rest)
            .map(|d| d.into_owned())
            .unwrap_or_default();
        (decoded, header("private-token") == TOKEN)
    } else if let Some(rest) = path.strip_prefix("/files/") {
        (rest.to_string(), true)
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            "{\"message\": \"Bad credentials\"}",
        )
            .into_response();
    }
    match state
        .files
        .iter()
        .find(|(p, v, _)| *p == wanted && *v == version)
    {
        Some((_, _, contents)) => contents.clone().into_response(),
        None => (StatusCode::NOT_FOUND, "{\"message\": \"Not Found\"}").into_response(),
    }
}
