//! Sign-in: every route the router has, walked with no session and with one; signing in and
//! out; the session cookie; limits on guessing; changes from other sites; open mode; and the
//! refusal to serve an unprotected non-loopback address.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use gennaker::api::Route;
use gennaker::auth::guard::{Access, Surface, access};
use gennaker::config::StoreConfig;
use support::{TestServer, request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "correct horse 42";

/// A server whose store has these local users (name, roles), all with [`PASSWORD`].
async fn start_with_users(users: &[(&str, &[&str])]) -> TestServer {
    let data = tempfile::tempdir().expect("a temporary directory");
    let backend = gennaker::store::open(&StoreConfig::Embedded {
        dir: data.path().join("data/store"),
    })
    .await
    .expect("the store");
    let store = gennaker::auth::users::Users::new(backend);
    for (name, roles) in users {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        store
            .add(name, PASSWORD, &roles, "test")
            .await
            .expect("the user is added");
    }
    support::start_setup(support::Setup::default(), Some(data)).await
}

async fn start_with_user(name: &str) -> TestServer {
    start_with_users(&[(name, &["dev"])]).await
}

/// Signs in with the form, as a script would; the session cookie (`name=value`).
async fn sign_in(
    addr: SocketAddr,
    user: &str,
    password: &str,
) -> Result<String, support::Response> {
    let form = format!(
        "user={}&password={}",
        urlencoding::encode(user),
        urlencoding::encode(password)
    );
    let response = send_form(addr, "/auth/login", &[], &form).await;
    match response.header("set-cookie") {
        Some(cookie) if response.status == 200 => {
            Ok(cookie.split(';').next().unwrap_or_default().to_string())
        }
        _ => Err(response),
    }
}

async fn send_form(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    form: &str,
) -> support::Response {
    let mut all = headers.to_vec();
    all.push(("Content-Type", "application/x-www-form-urlencoded"));
    request(addr, "POST", path, &all, Some(form)).await
}

/// The status line and headers of a request; the body is not waited for (the live-update
/// stream never ends).
async fn head_of(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" {
        text.push_str("Content-Length: 0\r\n");
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = async {
        while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).await.expect("read");
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buffer[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within 30 s"));
    let head = String::from_utf8_lossy(&raw).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: not an HTTP answer: {head}"));
    (status, head)
}

/// A concrete path for a route's pattern: each parameter becomes "x".
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|part| {
            if part.starts_with('{') || part.starts_with(':') || part.starts_with('*') {
                "x"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn location(head: &str) -> Option<&str> {
    head.lines().find_map(|line| {
        line.strip_prefix("location: ")
            .or_else(|| line.strip_prefix("Location: "))
    })
}

#[tokio::test]
async fn every_route_needs_a_session_but_the_public_ones() {
    let server = start_with_user("alice").await;
    let addr = server.addr;
    let routes = gennaker::router::route_list();
    let has = |method: &str, path: &str| {
        routes
            .iter()
            .any(|r| r.method.as_str() == method && r.path == path)
    };
    // The list is the router's: the API, the webhooks, the pages and the server functions.
    assert!(has("POST", "/api/v1/applications"), "{routes:?}");
    assert!(has("POST", "/webhooks/git/{source}"), "{routes:?}");
    assert!(
        has("GET", "/applications/{name}/executions/{id}/judgment"),
        "{routes:?}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r.path.starts_with("/api/judge_stage")),
        "{routes:?}"
    );
    assert!(routes.len() > 100, "only {} routes listed", routes.len());

    let mut walked = 0;
    for Route { method, path } in &routes {
        let target = concrete(path);
        let rule = access(path, true);
        let method = method.as_str();
        let page = [("Accept", "text/html")];
        let (status, head) = head_of(addr, method, &target, &page).await;
        match rule {
            Access::Public | Access::Webhook => assert!(
                status != 401 && !location(&head).is_some_and(|l| l.starts_with("/login?next=")),
                "{method} {path} is public but answered {head}"
            ),
            Access::SignedIn(Surface::Page) => {
                assert_eq!(status, 303, "{method} {path}: {head}");
                let to = location(&head).unwrap_or_default();
                assert!(
                    to.starts_with("/login?next=") && to.contains("%2F"),
                    "{method} {path} sends to {to}"
                );
                // The UI's router takes `/x/` for `/x`: no route matches it on the server, and
                // it must not render the page either.
                let (status, head) = head_of(addr, method, &format!("{target}/"), &page).await;
                assert_eq!(status, 303, "{method} {path}/ without a session: {head}");
            }
            Access::SignedIn(_) => {
                let (status, head) = head_of(addr, method, &target, &[]).await;
                assert_eq!(status, 401, "{method} {path} without a session: {head}");
            }
        }
        walked += 1;
    }
    assert_eq!(walked, routes.len());

    // Signed in, no route refuses for want of a session.
    let cookie = sign_in(addr, "alice", PASSWORD).await.expect("signed in");
    for Route { method, path } in &routes {
        if path == "/auth/logout" {
            continue;
        }
        let target = concrete(path);
        let (status, head) = head_of(addr, method.as_str(), &target, &[("Cookie", &cookie)]).await;
        // Made-up arguments get other refusals (400, 404; a server function whose arguments
        // do not decode answers 500), never one for want of a session.
        assert!(
            status != 401 && status != 403,
            "{method} {path} signed in: {head}"
        );
        assert!(
            !location(&head).is_some_and(|l| l.starts_with("/login")),
            "{method} {path} signed in sends to sign in: {head}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn signing_in_and_out() {
    let server = start_with_user("alice").await;
    let addr = server.addr;

    let wrong = sign_in(addr, "alice", "not the password")
        .await
        .expect_err("refused");
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.json()["message"], "Wrong user name or password.");
    let unknown = sign_in(addr, "mallory", PASSWORD)
        .await
        .expect_err("refused");
    assert_eq!(
        unknown.body, wrong.body,
        "an unknown user reads like a wrong password"
    );

    // The cookie: HttpOnly, SameSite, the whole site; not Secure on plain loopback HTTP.
    let form = format!("user=alice&password={}", urlencoding::encode(PASSWORD));
    let page = send_form(
        addr,
        "/auth/login",
        &[("Accept", "text/html")],
        &(form + "&next=%2Ftasks"),
    )
    .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.header("location"),
        Some("/tasks"),
        "back to the page that asked"
    );
    let set = page.header("set-cookie").expect("a cookie");
    for part in ["gennaker_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(part), "{part} in {set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    assert!(
        !set.contains("Max-Age"),
        "a browser-session cookie; the server ends the session: {set}"
    );
    let elsewhere = send_form(
        addr,
        "/auth/login",
        &[("Accept", "text/html")],
        &format!(
            "user=alice&password={}&next=https%3A%2F%2Fevil.example%2F",
            urlencoding::encode(PASSWORD)
        ),
    )
    .await;
    assert_eq!(
        elsewhere.header("location"),
        Some("/"),
        "never sent to another site"
    );

    // Changes record who made them.
    let cookie = sign_in(addr, "alice", PASSWORD).await.expect("signed in");
    let created = request(
        addr,
        "POST",
        "/api/v1/applications",
        &[("Cookie", &cookie)],
        Some(r#"{"name":"signed","ownerEmail":"alice@example.com"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["createdBy"], "alice", "{}", created.body);

    // The page header shows who is signed in.
    let page = request(addr, "GET", "/applications", &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Sign out"),
        "the header offers to sign out"
    );

    // Signing out ends the session on the server, not only in the browser.
    let out = request(addr, "POST", "/auth/logout", &[("Cookie", &cookie)], None).await;
    assert_eq!(out.status, 204);
    assert!(
        out.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let after = request(
        addr,
        "GET",
        "/api/v1/applications",
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(after.status, 401);
    assert_eq!(after.json()["code"], "signed_out");
    assert!(
        after.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("session has ended"))
    );
    server.stop().await;
}

#[tokio::test]
async fn guessing_passwords_is_slowed_down() {
    let server = start_with_user("alice").await;
    let addr = server.addr;
    for _ in 0..5 {
        let refused = sign_in(addr, "alice", "guess guess guess")
            .await
            .expect_err("wrong");
        assert_eq!(refused.status, 401);
    }
    let limited = sign_in(addr, "alice", PASSWORD).await.expect_err("held up");
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(
        limited.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("Too many sign-in attempts") && m.contains("wait")),
        "{}",
        limited.body
    );
    server.stop().await;
}

#[tokio::test]
async fn changes_from_another_site_are_refused() {
    let server = start_with_user("alice").await;
    let addr = server.addr;
    let cookie = sign_in(addr, "alice", PASSWORD).await.expect("signed in");
    let body = Some(r#"{"name":"forged","ownerEmail":"alice@example.com"}"#);
    let forged = request(
        addr,
        "POST",
        "/api/v1/applications",
        &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        body,
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        forged.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("another site"))
    );
    let ours = format!("http://{addr}");
    let own = request(
        addr,
        "POST",
        "/api/v1/applications",
        &[("Cookie", &cookie), ("Origin", &ours)],
        body,
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.body);
    let absent = request(
        addr,
        "GET",
        "/api/v1/applications/forged",
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(
        absent.status, 200,
        "the own page's change was made: {}",
        absent.body
    );
    server.stop().await;
}

#[tokio::test]
async fn without_users_on_loopback_it_runs_open_and_says_so() {
    let server = support::start().await;
    let addr = server.addr;
    let listed = request(addr, "GET", "/api/v1/applications", &[], None).await;
    assert_eq!(listed.status, 200);
    let page = request(addr, "GET", "/applications", &[], None).await;
    assert!(
        page.body.contains("Open access: no sign-in"),
        "the header says it runs open"
    );
    let refused = sign_in(addr, "alice", PASSWORD)
        .await
        .expect_err("nobody signs in");
    assert!(refused.body.contains("runs open"), "{}", refused.body);
    server.stop().await;
}

/// `gennaker user add` from the command line, and the start-up check: the binary refuses to
/// serve a non-loopback address without users before it binds it (192.0.2.1 is a
/// documentation address: no traffic is ever sent).
#[test]
fn the_binary_adds_users_and_refuses_an_unprotected_address() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gennaker"))
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .env_remove("KUBECONFIG")
            .env("HOME", data.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run gennaker");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("write stdin");
        }
        let output = child.wait_with_output().expect("gennaker ends");
        // Logs go to standard output, messages of the command line to standard error: the
        // last element has both.
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        (output.status.code(), stdout.clone(), stdout + &stderr)
    };
    let unprotected = ["--listen", "192.0.2.1:8080"];
    let (code, _, stderr) = run(&unprotected, "");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("no sign-in configured") && stderr.contains("gennaker user add"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["user", "add", "bob", "--password-stdin"], "short\n");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("at least 10 characters"), "{stderr}");
    let (code, stdout, stderr) = run(
        &[
            "user",
            "add",
            "bob",
            "--role",
            "admin",
            "--role",
            "dev",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("added user \"bob\""), "{stdout}");
    let (_, listed, _) = run(&["user", "list"], "");
    assert_eq!(listed.trim(), "bob\tadmin,dev");
    let (code, _, stderr) = run(
        &["user", "add", "bob", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("exists already"), "{stderr}");
    assert!(
        !std::fs::read_to_string(data.path().join("store/users/bob/current.json"))
            .expect("the stored user")
            .contains(PASSWORD),
        "only the hash is stored"
    );

    // With a user, the check passes and the server goes on to bind, which fails here (the
    // address is not this machine's): the refusal above was the check, not the bind.
    let (code, _, stderr) = run(&unprotected, "");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("cannot listen on 192.0.2.1:8080"),
        "{stderr}"
    );
}

#[tokio::test]
async fn api_tokens_act_as_their_user_until_revoked() {
    let server = start_with_user("alice").await;
    let addr = server.addr;
    let cookie = sign_in(addr, "alice", PASSWORD).await.expect("signed in");

    let too_long = request(
        addr,
        "POST",
        "/api/v1/tokens",
        &[("Cookie", &cookie)],
        Some(r#"{"name":"ci","days":400}"#),
    )
    .await;
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert_eq!(too_long.json()["fields"][0]["field"], "days");

    let made = request(
        addr,
        "POST",
        "/api/v1/tokens",
        &[("Cookie", &cookie)],
        Some(r#"{"name":"release script","days":30}"#),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let made = made.json();
    let secret = made["secret"].as_str().expect("the secret").to_string();
    let id = made["token"]["id"].as_str().expect("an id").to_string();
    assert!(secret.starts_with(&format!("gnk_{id}_")), "{secret}");
    assert_eq!(made["token"]["user"], "alice");
    let bearer = format!("Bearer {secret}");

    // The token acts as alice, with no cookie and no sign-in.
    let created = request(
        addr,
        "POST",
        "/api/v1/applications",
        &[("Authorization", &bearer)],
        Some(r#"{"name":"scripted","ownerEmail":"alice@example.com"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["createdBy"], "alice");

    // Listed without its secret; a token cannot make tokens.
    let listed = request(
        addr,
        "GET",
        "/api/v1/tokens",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()[0]["name"], "release script");
    let secret_part = secret.rsplit('_').next().unwrap_or_default();
    assert!(
        !listed.body.contains(secret_part),
        "the secret is shown once only"
    );
    let stored = std::fs::read_to_string(
        server
            .data
            .path()
            .join(format!("data/store/tokens/{id}/current.json")),
    )
    .expect("the stored token");
    assert!(
        !stored.contains(secret_part),
        "only the secret's hash is stored"
    );
    let more = request(
        addr,
        "POST",
        "/api/v1/tokens",
        &[("Authorization", &bearer)],
        Some(r#"{"name":"x"}"#),
    )
    .await;
    assert_eq!(more.status, 403, "{}", more.body);

    // A wrong secret for a real id opens nothing.
    let forged = format!("Bearer gnk_{id}_{}", "0".repeat(64));
    let refused = request(
        addr,
        "GET",
        "/api/v1/applications",
        &[("Authorization", &forged)],
        None,
    )
    .await;
    assert_eq!(refused.status, 401);

    let revoked = request(
        addr,
        "DELETE",
        &format!("/api/v1/tokens/{id}"),
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let after = request(
        addr,
        "GET",
        "/api/v1/applications",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(after.status, 401);
    assert!(
        after.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked")),
        "{}",
        after.body
    );
    server.stop().await;
}

#[tokio::test]
async fn only_the_judgment_roles_may_decide_and_the_decider_is_recorded() {
    let server = start_with_users(&[("maria", &["managers"]), ("rick", &["dev"])]).await;
    let addr = server.addr;
    let maria = sign_in(addr, "maria", PASSWORD)
        .await
        .expect("maria signs in");
    let rick = sign_in(addr, "rick", PASSWORD)
        .await
        .expect("rick signs in");
    let as_rick = [("Cookie", rick.as_str())];
    let created = request(
        addr,
        "POST",
        "/api/v1/applications",
        &as_rick,
        Some(r#"{"name":"gated","ownerEmail":"rick@example.com"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let pipeline = request(
        addr,
        "POST",
        "/api/v1/pipelines",
        &as_rick,
        Some(
            &serde_json::json!({
                "application": "gated", "name": "Release",
                "stages": [{"refId": "1", "type": "manualJudgment", "name": "Approve",
                            "selectedStageRoles": ["managers"]}],
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(pipeline.status, 201, "{}", pipeline.body);
    let pipeline = pipeline.json()["config"]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let started = request(
        addr,
        "POST",
        &format!("/api/v1/pipelines/{pipeline}/executions"),
        &as_rick,
        Some("{}"),
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.body);
    let id = started.json()["id"]
        .as_str()
        .expect("an execution id")
        .to_string();
    assert_eq!(
        started.json()["trigger"]["user"],
        "rick",
        "started by who asked"
    );

    let judge = |cookie: String| {
        let path = format!("/api/v1/executions/{id}/stages/1/judgment");
        async move {
            request(
                addr,
                "POST",
                &path,
                &[("Cookie", &cookie)],
                Some(r#"{"judgmentStatus":"continue"}"#),
            )
            .await
        }
    };
    // Wait until the judgment is waiting, then rick (dev) is refused and it stays waiting.
    let mut refused = judge(rick.clone()).await;
    for _ in 0..100 {
        if refused.status != 409 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        refused = judge(rick.clone()).await;
    }
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.json()["message"],
        "Only managers may decide this judgment; rick has the roles dev."
    );

    let decided = judge(maria).await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let stage = &decided.json()["stages"][0];
    assert_eq!(stage["context"]["judgmentStatus"], "continue");
    assert_eq!(stage["lastModified"]["user"], "maria", "{stage:#}");
    server.stop().await;
}

#[tokio::test]
async fn a_user_added_again_does_not_inherit_the_tokens_of_the_one_before() {
    let server = start_with_user("alice").await;
    let addr = server.addr;
    let cookie = sign_in(addr, "alice", PASSWORD).await.expect("signed in");
    let made = request(
        addr,
        "POST",
        "/api/v1/tokens",
        &[("Cookie", &cookie)],
        Some(r#"{"name":"old"}"#),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let bearer = format!(
        "Bearer {}",
        made.json()["secret"].as_str().expect("a secret")
    );

    let backend = gennaker::store::open(&StoreConfig::Embedded {
        dir: server.data.path().join("data/store"),
    })
    .await
    .expect("the store");
    let users = gennaker::auth::users::Users::new(backend);
    users.remove("alice", "test").await.expect("removed");
    users
        .add("alice", PASSWORD, &["dev".to_string()], "test")
        .await
        .expect("added again");
    let refused = request(
        addr,
        "GET",
        "/api/v1/applications",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    server.stop().await;
}

#[tokio::test]
async fn open_gennaker_answers_only_to_this_machines_names() {
    let server = support::start().await;
    let addr = server.addr;
    // What a page at evil.example would send after pointing its name at 127.0.0.1.
    let rebound = request(
        addr,
        "GET",
        "/api/v1/applications",
        &[("Host", "evil.example:8080")],
        None,
    )
    .await;
    assert_eq!(rebound.status, 403, "{}", rebound.body);
    assert!(rebound.body.contains("this machine"), "{}", rebound.body);
    let local = request(
        addr,
        "GET",
        "/api/v1/applications",
        &[("Host", "localhost")],
        None,
    )
    .await;
    assert_eq!(local.status, 200, "{}", local.body);
    server.stop().await;
}
