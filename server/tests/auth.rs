//! Sign-in: every route the router has, walked with no session and with one; signing in and
//! out; the session cookie; limits on guessing; changes from other sites; open mode; and the
//! refusal to serve an unprotected non-loopback address.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use gennaker::api::Route;
use gennaker::config::StoreConfig;
use gennaker::http::guard::{Access, Surface, access};
use support::{TestServer, head_of, request};

const PASSWORD: &str = "correct horse 42";

/// A server whose store has these local users (name, roles), all with [`PASSWORD`].
async fn start_with_users(users: &[(&str, &[&str])]) -> TestServer {
    start_with_users_in(support::Setup::default(), users).await
}

/// A server configured by `setup` whose store has these local users.
async fn start_with_users_in(setup: support::Setup, users: &[(&str, &[&str])]) -> TestServer {
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
    support::start_setup(setup, Some(data)).await
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

/// POSTs JSON with these headers (a cookie or a token) and expects 201 Created; its JSON.
async fn post_as(
    addr: SocketAddr,
    headers: &[(&str, &str)],
    path: &str,
    body: &str,
) -> serde_json::Value {
    let created = request(addr, "POST", path, headers, Some(body)).await;
    assert_eq!(created.status, 201, "POST {path}: {}", created.body);
    created.json()
}

/// Makes an API token as the user signed in with `cookie`: `{ "token": …, "secret": … }`.
async fn make_token(addr: SocketAddr, cookie: &str, body: &str) -> serde_json::Value {
    post_as(addr, &[("Cookie", cookie)], "/api/v1/tokens", body).await
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

    for Route { method, path } in &routes {
        let target = concrete(path);
        let rule = access(path, true, gennaker::gate::DEFAULT_PATH);
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
    }

    // Signed in, no route refuses for want of a session.
    let cookie = sign_in(addr, "alice", PASSWORD).await.expect("signed in");
    for Route { method, path } in &routes {
        // Signing out, and signing in through a provider (none is configured here), send
        // the browser to the sign-in page by design.
        if path == "/auth/logout" || path.starts_with("/auth/oidc/") {
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
    let created = post_as(
        addr,
        &[("Cookie", &cookie)],
        "/api/v1/applications",
        r#"{"name":"signed","ownerEmail":"alice@example.com"}"#,
    )
    .await;
    assert_eq!(created["createdBy"], "alice", "{created}");

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

    let made = make_token(addr, &cookie, r#"{"name":"release script","days":30}"#).await;
    let secret = made["secret"].as_str().expect("the secret").to_string();
    let id = made["token"]["id"].as_str().expect("an id").to_string();
    assert!(secret.starts_with(&format!("gnk_{id}_")), "{secret}");
    assert_eq!(made["token"]["user"], "alice");
    let bearer = format!("Bearer {secret}");

    // The token acts as alice, with no cookie and no sign-in.
    let created = post_as(
        addr,
        &[("Authorization", &bearer)],
        "/api/v1/applications",
        r#"{"name":"scripted","ownerEmail":"alice@example.com"}"#,
    )
    .await;
    assert_eq!(created["createdBy"], "alice");

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
    post_as(
        addr,
        &as_rick,
        "/api/v1/applications",
        r#"{"name":"gated","ownerEmail":"rick@example.com"}"#,
    )
    .await;
    let pipeline = post_as(
        addr,
        &as_rick,
        "/api/v1/pipelines",
        &serde_json::json!({
            "application": "gated", "name": "Release",
            "stages": [{"refId": "1", "type": "manualJudgment", "name": "Approve",
                        "selectedStageRoles": ["managers"]}],
        })
        .to_string(),
    )
    .await;
    let pipeline = pipeline["config"]["id"]
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
    let made = make_token(addr, &cookie, r#"{"name":"old"}"#).await;
    let bearer = format!("Bearer {}", made["secret"].as_str().expect("a secret"));

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

/// What an `/api/v1` route asks of the application it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Nothing of an application: any signed-in user.
    Anyone,
    /// A list that leaves out applications one may not see.
    Filtered,
    Read,
    Write,
    Execute,
}

/// The rule of every `/api/v1` route (a route missing here fails the walk: give it one).
fn need(method: &str, path: &str) -> Option<Need> {
    use Need::*;
    let path = path.strip_prefix("/api/v1")?;
    Some(match (method, path) {
        ("GET", "/applications" | "/executions" | "/tasks" | "/audit") => Filtered,
        ("POST", "/applications") => Anyone,
        (
            "GET",
            "/accounts"
            | "/docker-registries"
            | "/docker-registries/{name}/repositories"
            | "/docker-registries/{name}/tags"
            | "/jenkins-masters"
            | "/jenkins-masters/{name}/jobs"
            | "/notification-channels"
            | "/tokens"
            | "/events"
            | "/triggers/docker"
            | "/triggers/cron",
        ) => Anyone,
        ("POST", "/tokens") | ("DELETE", "/tokens/{id}") => Anyone,
        ("GET", p) if p.starts_with("/applications/{") => Read,
        ("PUT" | "DELETE", "/applications/{name}") => Write,
        ("POST", "/applications/{name}/history/{version}/restore") => Write,
        ("GET", p) if p.starts_with("/pipelines/{id}") || p.starts_with("/executions/{id}") => Read,
        ("POST", "/pipelines" | "/pipelines/import") | ("PUT" | "DELETE", "/pipelines/{id}") => {
            Write
        }
        ("POST", "/pipelines/{id}/history/{version}/restore") => Write,
        ("POST", "/pipelines/{id}/executions") => Execute,
        ("POST", "/executions/{id}/evaluate") => Read,
        ("POST", p) if p.starts_with("/executions/{id}/") => Execute,
        ("GET", "/tasks/{id}") => Read,
        ("POST", "/tasks" | "/tasks/{id}/cancel") => Execute,
        _ => return None,
    })
}

/// What each Gate route needs of application x, as [`need`] says for `/api/v1`; `None` for a
/// route that has no rule here yet. Its sign-in form is public.
fn gate_need(method: &str, path: &str) -> Option<Need> {
    use Need::*;
    let path = path.strip_prefix(gennaker::gate::DEFAULT_PATH)?;
    Some(match (method, path) {
        ("GET", "/version" | "/auth/user") | ("POST", "/login") => Anyone,
        ("GET", "/applications" | "/executions") => Filtered,
        ("GET", p) if p.starts_with("/applications/{app}") || p.starts_with("/pipelines/{id}") => {
            Read
        }
        ("GET", "/tasks/{id}") => Read,
        ("POST", "/tasks" | "/pipelines") | ("DELETE", "/pipelines/{id}/{name}") => Write,
        ("POST", "/pipelines/{id}/{name}") => Execute,
        ("PUT", "/pipelines/{id}/cancel" | "/applications/{app}/pipelines/{id}/cancel") => Execute,
        _ => return None,
    })
}

#[tokio::test]
async fn every_api_route_checks_the_applications_permissions() {
    use serde_json::json;
    let Some((_client, kubeconfig)) = support::cluster::test_cluster().await else {
        return;
    };
    let mut kubernetes = support::cluster::kubernetes_config(&kubeconfig);
    kubernetes.accounts[0].permissions.write = vec!["ops".into()];
    let setup = support::Setup {
        kubernetes,
        auth: gennaker::config::AuthConfig {
            admin_roles: vec!["admins".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let server = start_with_users_in(
        setup,
        &[
            ("guest", &["guests"]),
            ("reader", &["dev"]),
            ("writer", &["releasers"]),
            ("runner", &["ops"]),
            ("deployer", &["deployers"]),
            ("ada", &["admins"]),
        ],
    )
    .await;
    let addr = server.addr;
    let mut cookies = std::collections::HashMap::new();
    for user in ["guest", "reader", "writer", "runner", "deployer", "ada"] {
        let cookie = sign_in(addr, user, PASSWORD).await.expect("signed in");
        cookies.insert(user, cookie);
    }
    let as_user = |user: &str| [("Cookie", cookies[user].clone())];

    // Application x: READ dev, WRITE releasers, EXECUTE ops or deployers; the account "local"
    // may be changed by ops only.
    let writer = as_user("writer");
    let writer = [(writer[0].0, writer[0].1.as_str())];
    post_as(
        addr,
        &writer,
        "/api/v1/applications",
        &json!({"name": "x", "ownerEmail": "x@example.com",
                "permissions": {"READ": ["dev"], "WRITE": ["releasers"], "EXECUTE": ["ops", "deployers"]}})
        .to_string(),
    )
    .await;
    post_as(
        addr,
        &writer,
        "/api/v1/pipelines",
        &json!({"application": "x", "name": "Gate", "id": "xpipe",
                "stages": [{"refId": "1", "type": "manualJudgment", "name": "Approve"}]})
        .to_string(),
    )
    .await;
    let runner = as_user("runner");
    let runner = [(runner[0].0, runner[0].1.as_str())];
    let started = request(
        addr,
        "POST",
        "/api/v1/pipelines/xpipe/executions",
        &runner,
        Some("{}"),
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.body);
    let execution = started.json()["id"].as_str().expect("an id").to_string();
    let configmap = support::cluster::unique("perm");
    let manifest =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {configmap}\ndata:\n  a: b\n");
    let operation = json!({"type": "applyManifest", "application": "x", "account": "local",
                           "namespace": "default", "manifest": manifest});
    let task = request(
        addr,
        "POST",
        "/api/v1/tasks",
        &runner,
        Some(&operation.to_string()),
    )
    .await;
    assert_eq!(task.status, 202, "{}", task.body);
    let task = task.json()["id"].as_str().expect("a task id").to_string();

    // The account's WRITE is its own: deployers may run x's operations but not change "local".
    let deployer = as_user("deployer");
    let refused = request(
        addr,
        "POST",
        "/api/v1/tasks",
        &[(deployer[0].0, deployer[0].1.as_str())],
        Some(&operation.to_string()),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.json()["message"],
        "Only ops may change account local; deployer has the roles deployers."
    );

    // A Gate task of x, made by writer.
    let gate_task = request(
        addr,
        "POST",
        "/gate/tasks",
        &writer,
        Some(&json!({"job": [{"type": "updateApplication", "application": {"name": "x"}}], "application": "x"}).to_string()),
    )
    .await;
    assert_eq!(gate_task.status, 200, "{}", gate_task.body);
    let gate_task = gate_task.json()["ref"]
        .as_str()
        .expect("a ref")
        .trim_start_matches("/tasks/")
        .to_string();
    // Gate's routes name applications, pipelines by name and executions; the concrete ones.
    let gate_target = |method: &str, path: &str| -> String {
        let path = path.strip_prefix("/gate").unwrap_or(path);
        let target = match (method, path) {
            ("GET", "/tasks/{id}") => format!("/tasks/{gate_task}"),
            ("GET", "/executions") => format!("/executions?executionIds={execution}"),
            ("DELETE", "/pipelines/{id}/{name}") => "/pipelines/x/Another".into(),
            ("POST", "/pipelines/{id}/{name}") => "/pipelines/x/Gate".into(),
            _ => path
                .replace("{app}", "x")
                .replace("{name}", "Gate")
                .replace("{id}", &execution),
        };
        format!("/gate{target}")
    };
    let concrete_for = |path: &str| {
        let path = path
            .replace("/pipelines/{id}", "/pipelines/xpipe")
            .replace("/executions/{id}", &format!("/executions/{execution}"))
            .replace("/tasks/{id}", &format!("/tasks/{task}"))
            .replace("{stage}", "1")
            .replace("{version}", "999");
        concrete(&path)
    };
    // Bodies and queries that reach the permission check and then fail harmlessly (a version
    // that does not match, a confirmation that does not), so nothing is deleted on the way.
    let body_for = |method: &str, path: &str| -> Option<String> {
        match (method, path) {
            ("POST", "/api/v1/pipelines") => {
                Some(json!({"application": "x", "name": "Another"}).to_string())
            }
            ("PUT", "/api/v1/pipelines/{id}") => Some(
                json!({"application": "x", "name": "Gate", "id": "xpipe", "stages": []})
                    .to_string(),
            ),
            ("PUT", "/api/v1/applications/{name}") => {
                Some(json!({"name": "x", "ownerEmail": "x@example.com"}).to_string())
            }
            ("POST", "/api/v1/tasks") => Some(operation.to_string()),
            ("POST", "/api/v1/executions/{id}/evaluate") => {
                Some(json!({"expression": "1"}).to_string())
            }
            ("POST", "/api/v1/executions/{id}/stages/{stage}/judgment") => {
                Some(json!({"judgmentStatus": "stop"}).to_string())
            }
            ("POST", "/gate/tasks") => Some(
                json!({"job": [{"type": "updateApplication", "application": {"name": "x"}}], "application": "x"})
                    .to_string(),
            ),
            ("POST", "/gate/pipelines") => Some(
                json!({"application": "x", "name": "Another", "stages": []}).to_string(),
            ),
            ("POST", "/gate/pipelines/{id}/{name}") => {
                Some(json!({"type": "manual"}).to_string())
            }
            ("POST", _) => Some("{}".into()),
            _ => None,
        }
    };
    let query_for = |method: &str, path: &str| match (method, path) {
        ("DELETE", "/api/v1/applications/{name}") => "?version=999&confirm=nope",
        ("PUT" | "DELETE", p) if !p.contains("/tokens") => "?version=999",
        ("POST", p) if p.ends_with("/restore") => "?version=999",
        // A dry run: checked like an import, stores nothing.
        ("POST", "/api/v1/pipelines/import") => "?application=x&dryRun=true",
        _ => "",
    };
    let mut checked = 0;
    for Route { method, path } in gennaker::router::route_list() {
        let gate = path.starts_with("/gate/");
        if !path.starts_with("/api/v1/") && !gate {
            continue;
        }
        let method = method.as_str();
        let rule = need(method, &path)
            .or_else(|| gate_need(method, &path))
            .unwrap_or_else(|| {
                panic!("{method} {path} has no permission rule in this test: add one")
            });
        let target = if gate {
            gate_target(method, &path)
        } else {
            format!("{}{}", concrete_for(&path), query_for(method, &path))
        };
        let body = body_for(method, &path);
        let send = |user: &str| {
            let cookie = cookies[user].clone();
            let (target, body) = (target.clone(), body.clone());
            let method = method.to_string();
            let events = path == "/api/v1/events";
            async move {
                if events {
                    let (status, head) =
                        head_of(addr, &method, &target, &[("Cookie", &cookie)]).await;
                    return support::Response {
                        status,
                        headers: Vec::new(),
                        body: head,
                    };
                }
                request(
                    addr,
                    &method,
                    &target,
                    &[("Cookie", &cookie)],
                    body.as_deref(),
                )
                .await
            }
        };
        let (lacking, having) = match rule {
            Need::Anyone | Need::Filtered => ("guest", "reader"),
            Need::Read => ("guest", "reader"),
            Need::Write => ("reader", "writer"),
            Need::Execute => ("writer", "runner"),
        };
        let refused = send(lacking).await;
        let allowed = send(having).await;
        match rule {
            Need::Anyone => assert_ne!(
                refused.status, 403,
                "{method} {path} as {lacking}: {}",
                refused.body
            ),
            Need::Filtered => {
                assert_eq!(refused.status, 200, "{method} {target}: {}", refused.body);
                assert_eq!(allowed.status, 200, "{method} {target}: {}", allowed.body);
                let mentions = |body: &str| {
                    body.contains("\"application\":\"x\"") || body.contains("\"name\":\"x\"")
                };
                assert!(
                    !mentions(&refused.body),
                    "{method} {path} shows x to {lacking}: {}",
                    refused.body
                );
                assert!(
                    mentions(&allowed.body),
                    "{method} {path} hides x from {having}: {}",
                    allowed.body
                );
            }
            _ => {
                assert_eq!(
                    refused.status, 403,
                    "{method} {target} as {lacking}: {}",
                    refused.body
                );
                // The reason names the roles that may, except to those who may not see.
                let reason = if rule == Need::Read {
                    "may not see application x"
                } else {
                    "Only "
                };
                assert!(
                    refused.json()["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(reason)),
                    "{method} {path}: {}",
                    refused.body
                );
                assert_ne!(
                    allowed.status, 403,
                    "{method} {target} as {having}: {}",
                    allowed.body
                );
                assert_ne!(
                    allowed.status, 401,
                    "{method} {target} as {having}: {}",
                    allowed.body
                );
            }
        }
        checked += 1;
    }
    assert!(
        checked > 55,
        "only {checked} API and Gate routes were walked"
    );

    // Starting a pipeline changes the accounts its stages name: deployers may run x's
    // pipelines, but not this one, which names the account "local" (WRITE: ops).
    post_as(
        addr,
        &writer,
        "/api/v1/pipelines",
        &json!({"application": "x", "name": "Deploy", "id": "xdeploy",
                "stages": [{"refId": "1", "type": "wait", "name": "Wait", "waitTime": 1, "account": "local"}]})
        .to_string(),
    )
    .await;
    let deployer = [(deployer[0].0, deployer[0].1.as_str())];
    let start = "/api/v1/pipelines/xdeploy/executions";
    let refused = request(addr, "POST", start, &deployer, Some("{}")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.json()["message"],
        "Only ops may change account local; deployer has the roles deployers."
    );
    let started = request(addr, "POST", start, &runner, Some("{}")).await;
    assert_eq!(started.status, 202, "{}", started.body);

    // An application that is not stored is nobody's but the admins'.
    let ghost = json!({"application": "ghost", "name": "Early"}).to_string();
    let early = request(addr, "POST", "/api/v1/pipelines", &writer, Some(&ghost)).await;
    assert_eq!(early.status, 404, "{}", early.body);

    // Admins may do anything.
    let ada = as_user("ada");
    let ada = [(ada[0].0, ada[0].1.as_str())];
    let read = request(addr, "GET", "/api/v1/applications/x/history", &ada, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let change = request(
        addr,
        "PUT",
        "/api/v1/applications/x?version=999",
        &ada,
        Some(&json!({"name": "x", "ownerEmail": "x@example.com"}).to_string()),
    )
    .await;
    assert_eq!(
        change.status, 409,
        "reaches the version check: {}",
        change.body
    );

    // Each sees the audit entries of what they may see, and their own.
    let guest = as_user("guest");
    let audit = request(
        addr,
        "GET",
        "/api/v1/audit",
        &[(guest[0].0, guest[0].1.as_str())],
        None,
    )
    .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let entries = audit.json();
    let entries = entries.as_array().expect("a list");
    assert!(
        entries.iter().all(|e| e["user"] == "guest"),
        "{}",
        audit.body
    );
    assert!(
        entries.iter().any(|e| e["action"] == "signedIn"),
        "{}",
        audit.body
    );
    let all = request(addr, "GET", "/api/v1/audit?user=writer", &ada, None).await;
    assert!(
        all.json().as_array().is_some_and(|e| !e.is_empty()),
        "admins see everyone's: {}",
        all.body
    );
    server.stop().await;
}

/// The test OpenID Connect provider (end2end/services/oidc.sh), if it runs: issuer and secret.
fn test_provider() -> Option<(String, String)> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match (
        std::env::var("GENNAKER_TEST_OIDC_ISSUER"),
        std::env::var("GENNAKER_TEST_OIDC_CLIENT_SECRET"),
    ) {
        (Ok(issuer), Ok(secret)) => Some((issuer, secret)),
        _ => {
            assert!(
                !in_ci,
                "CI=true but GENNAKER_TEST_OIDC_* is not set: start end2end/services/oidc.sh first"
            );
            eprintln!("GENNAKER_TEST_OIDC_* is not set: this test needs the test OIDC provider");
            None
        }
    }
}

/// Signs in at the test provider as a browser would, from Gennaker's `/auth/oidc/login` to its
/// callback: the Gennaker session cookie, or the refusal Gennaker answered with. With
/// `same_browser` false, the callback comes without the cookie the start set (as a link sent
/// to someone else would).
async fn sign_in_through_provider(
    addr: SocketAddr,
    (user, password): (&str, &str),
    same_browser: bool,
) -> Result<String, support::Response> {
    let start = request(addr, "GET", "/auth/oidc/login?next=/tasks", &[], None).await;
    assert_eq!(start.status, 303, "{start:?}");
    let state_cookie = start
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .filter(|c| c.starts_with("gennaker_oidc="))
        .unwrap_or_else(|| panic!("the start sets the state cookie: {start:?}"))
        .to_string();
    let mut to = start
        .header("location")
        .expect("sent to the provider")
        .to_string();
    let provider: SocketAddr = to
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .and_then(|host| host.parse().ok())
        .unwrap_or_else(|| panic!("the provider is not on loopback: {to}"));
    let origin = format!("http://{provider}");
    let mut cookies: std::collections::BTreeMap<String, String> = Default::default();
    let mut form: Option<String> = None;
    // Follow the provider's redirects, sending its cookies, until it sends the browser back.
    for _ in 0..10 {
        let Some(path) = to.strip_prefix(&origin).map(str::to_string) else {
            break;
        };
        let jar = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = vec![("Cookie", jar.as_str())];
        let response = match form.take() {
            Some(body) => {
                headers.push(("Content-Type", "application/x-www-form-urlencoded"));
                request(provider, "POST", &path, &headers, Some(&body)).await
            }
            None => request(provider, "GET", &path, &headers, None).await,
        };
        for (name, value) in &response.headers {
            if name == "set-cookie"
                && let Some((k, v)) = value.split(';').next().and_then(|c| c.split_once('='))
            {
                cookies.insert(k.to_string(), v.to_string());
            }
        }
        match response.status {
            303 | 302 => {
                let location = response.header("location").expect("a location");
                to = if location.starts_with('/') {
                    format!("{origin}{location}")
                } else {
                    location.to_string()
                };
            }
            200 => {
                // The login form: post the credentials to its action.
                let action = response
                    .body
                    .split("action=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_else(|| panic!("no form at {path}: {}", response.body));
                assert!(form.is_none());
                form = Some(format!(
                    "login={}&password={}",
                    urlencoding::encode(user),
                    urlencoding::encode(password)
                ));
                to = format!("{origin}{action}");
            }
            _ => panic!("the provider answered {path} with {response:?}"),
        }
    }
    let callback = to
        .strip_prefix(&format!("http://{addr}"))
        .unwrap_or_else(|| panic!("not sent back to Gennaker: {to}"))
        .to_string();
    assert!(callback.starts_with("/auth/oidc/callback?"), "{callback}");
    let cookie = if same_browser {
        state_cookie.as_str()
    } else {
        ""
    };
    let back = request(addr, "GET", &callback, &[("Cookie", cookie)], None).await;
    match back.header("set-cookie") {
        Some(cookie) if back.status == 303 && cookie.starts_with("gennaker_session=") => {
            assert_eq!(
                back.header("location"),
                Some("/tasks"),
                "back to the page that asked"
            );
            Ok(cookie.split(';').next().unwrap_or_default().to_string())
        }
        _ => Err(back),
    }
}

#[tokio::test]
async fn signing_in_through_openid_connect_takes_the_roles_from_the_groups() {
    let Some((issuer, secret)) = test_provider() else {
        return;
    };
    let setup = support::Setup {
        auth: gennaker::config::AuthConfig {
            oidc: Some(gennaker::config::OidcConfig {
                issuer,
                client_id: "gennaker".into(),
                client_secret: Some(secret),
                label: "Test SSO".into(),
                scopes: ["openid", "profile", "email", "groups"]
                    .map(str::to_string)
                    .to_vec(),
                roles_claim: "groups".into(),
                name_claim: "preferred_username".into(),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    // One local user, whose name a provider's user also has.
    let server = start_with_users_in(setup, &[("ada", &["dev"])]).await;
    let addr = server.addr;
    let signed_out = request(addr, "GET", "/api/v1/applications", &[], None).await;
    assert_eq!(
        signed_out.status, 401,
        "sign-in is required: {}",
        signed_out.body
    );

    let olivia = sign_in_through_provider(addr, ("olivia", "olivia-password-1"), true)
        .await
        .expect("olivia signs in");
    let rick = sign_in_through_provider(addr, ("rick", "rick-password-1"), true)
        .await
        .expect("rick signs in");
    // A callback in another browser than the one that started it signs nobody in.
    let elsewhere = sign_in_through_provider(addr, ("rick", "rick-password-1"), false).await;
    let refused = elsewhere.expect_err("refused without the start's cookie");
    assert!(
        refused
            .header("location")
            .is_some_and(|l| l.starts_with("/login?error=sso")),
        "{refused:?}"
    );
    // The provider's ada is not the local ada.
    let impostor = sign_in_through_provider(addr, ("ada", "ada-password-1"), true).await;
    assert!(
        impostor.is_err(),
        "a provider's user cannot take a local user's name"
    );
    sign_in(addr, "ada", PASSWORD)
        .await
        .expect("the local ada still signs in");
    // API tokens act as local users only.
    let token = request(
        addr,
        "POST",
        "/api/v1/tokens",
        &[("Cookie", &olivia)],
        Some(r#"{"name":"ci"}"#),
    )
    .await;
    assert_eq!(token.status, 403, "{}", token.body);
    post_as(
        addr,
        &[("Cookie", &olivia)],
        "/api/v1/applications",
        &serde_json::json!({"name": "sso", "ownerEmail": "olivia@example.test",
                            "permissions": {"READ": ["managers", "dev"], "WRITE": ["managers"]}})
        .to_string(),
    )
    .await;
    // Her group "managers" is a role: she may change it, rick (group "dev") may only read it.
    let change = serde_json::json!({"application": "sso", "name": "Release"}).to_string();
    post_as(addr, &[("Cookie", &olivia)], "/api/v1/pipelines", &change).await;
    let refused = request(
        addr,
        "POST",
        "/api/v1/pipelines",
        &[("Cookie", &rick)],
        Some(&change),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.json()["message"],
        "Only managers may change application sso; rick has the roles dev."
    );

    // A callback for a sign-in this server never started is refused.
    let forged = request(
        addr,
        "GET",
        "/auth/oidc/callback?code=x&state=forged",
        &[],
        None,
    )
    .await;
    assert_eq!(forged.status, 303);
    assert!(
        forged
            .header("location")
            .is_some_and(|l| l.starts_with("/login?error=sso")),
        "{forged:?}"
    );
    assert!(forged.header("set-cookie").is_none());

    // Sign-ins are in the audit log, with the roles they brought.
    let audit = request(
        addr,
        "GET",
        "/api/v1/audit?action=signedIn&user=olivia",
        &[("Cookie", &olivia)],
        None,
    )
    .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(
        audit.json()[0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("through OpenID Connect, roles managers")),
        "{}",
        audit.body
    );
    server.stop().await;
}

#[tokio::test]
async fn triggers_run_as_their_service_user_and_need_its_permission() {
    use serde_json::json;
    let setup = support::Setup {
        auth: gennaker::config::AuthConfig {
            service_users: vec![gennaker_core::auth::permissions::ServiceUser {
                name: "deploy-bot".into(),
                roles: vec!["ops".into()],
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    let server = start_with_users_in(
        setup,
        &[("wren", &["releasers"]), ("lead", &["releasers", "ops"])],
    )
    .await;
    let addr = server.addr;
    let wren = sign_in(addr, "wren", PASSWORD).await.expect("signed in");
    let lead = sign_in(addr, "lead", PASSWORD).await.expect("signed in");
    post_as(
        addr,
        &[("Cookie", &wren)],
        "/api/v1/applications",
        &json!({"name": "hooked", "ownerEmail": "w@example.com",
                "permissions": {"READ": ["releasers"], "WRITE": ["releasers"], "EXECUTE": ["ops"]}})
        .to_string(),
    )
    .await;
    let pipeline = |run_as: Option<&str>| {
        let mut trigger = json!({"type": "webhook", "source": "perm-hook", "enabled": true});
        if let Some(user) = run_as {
            trigger["runAsUser"] = json!(user);
        }
        json!({"application": "hooked", "name": "Hooked", "id": "hooked-pipe",
               "triggers": [trigger], "stages": []})
        .to_string()
    };
    post_as(
        addr,
        &[("Cookie", &wren)],
        "/api/v1/pipelines",
        &pipeline(None),
    )
    .await;

    // Without a service user the trigger acts as nobody, who may not run hooked's pipelines.
    // The trigger index is read again just after a save answers: a call until it has been is
    // answered as if the trigger were not there yet (or as it was).
    let hook = |ready: fn(&support::Response) -> bool| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let answer =
                request(addr, "POST", "/webhooks/webhook/perm-hook", &[], Some("{}")).await;
            if ready(&answer) || std::time::Instant::now() > deadline {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let answer = hook(|a| a.status != 404).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["started"], json!([]), "{}", answer.body);
    assert!(
        answer.json()["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("runs as anonymous") && r.contains("Only ops may run")),
        "{}",
        answer.body
    );

    // wren may not lend the trigger deploy-bot's roles; lead, who has them, may.
    let current = request(
        addr,
        "GET",
        "/api/v1/pipelines/hooked-pipe",
        &[("Cookie", &wren)],
        None,
    )
    .await;
    let version = current.json()["version"].as_u64().expect("a version");
    let path = format!("/api/v1/pipelines/hooked-pipe?version={version}");
    let lent = request(
        addr,
        "PUT",
        &path,
        &[("Cookie", &wren)],
        Some(&pipeline(Some("deploy-bot"))),
    )
    .await;
    assert_eq!(lent.status, 400, "{}", lent.body);
    assert_eq!(
        lent.json()["fields"][0]["message"],
        "Only people with one of deploy-bot's roles (ops) may let triggers run as it; wren has the roles releasers."
    );
    let ghost = request(
        addr,
        "PUT",
        &path,
        &[("Cookie", &lead)],
        Some(&pipeline(Some("ghost"))),
    )
    .await;
    assert_eq!(ghost.status, 400, "{}", ghost.body);
    let saved = request(
        addr,
        "PUT",
        &path,
        &[("Cookie", &lead)],
        Some(&pipeline(Some("deploy-bot"))),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    // Changing what a run-as pipeline runs needs deploy-bot's roles too.
    let path = format!(
        "/api/v1/pipelines/hooked-pipe?version={}",
        saved.json()["version"]
    );
    let mut rewritten: serde_json::Value =
        serde_json::from_str(&pipeline(Some("deploy-bot"))).expect("json");
    rewritten["stages"] = json!([support::pipelines::wait_stage("1", "Wait", 1, &[])]);
    let rewrite = request(
        addr,
        "PUT",
        &path,
        &[("Cookie", &wren)],
        Some(&rewritten.to_string()),
    )
    .await;
    assert_eq!(rewrite.status, 400, "{}", rewrite.body);

    let answer = hook(|a| {
        a.json()["started"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    })
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.json()["started"][0]["executionId"]
        .as_str()
        .unwrap_or_else(|| panic!("started: {}", answer.body))
        .to_string();
    let execution = request(
        addr,
        "GET",
        &format!("/api/v1/executions/{id}"),
        &[("Cookie", &lead)],
        None,
    )
    .await;
    assert_eq!(
        execution.json()["trigger"]["user"],
        "deploy-bot",
        "{}",
        execution.body
    );
    server.stop().await;
}
