//! `/api/v1/applications` over real HTTP against a server with the embedded store: the
//! whole life of an application, and every way a request can be refused.

mod support;

use serde_json::json;
use support::{Response, request, start};

const BASE: &str = "/api/v1/applications";

async fn post(addr: std::net::SocketAddr, body: serde_json::Value) -> Response {
    request(addr, "POST", BASE, &[], Some(&body.to_string())).await
}

fn error_fields(response: &Response) -> Vec<String> {
    response.json()["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| f["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_application_is_created_changed_restored_and_deleted() {
    let server = start().await;
    let addr = server.addr;

    let created = post(
        addr,
        json!({"name": "web", "ownerEmail": "team@example.com", "description": "Front end"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("location"), Some("/api/v1/applications/web"));
    assert_eq!(created.header("etag"), Some("\"1\""));
    let body = created.json();
    assert_eq!(
        (body["version"].as_u64(), body["spec"]["name"].as_str()),
        (Some(1), Some("web"))
    );
    assert_eq!(body["createdBy"], "anonymous");

    post(
        addr,
        json!({"name": "api", "ownerEmail": "backend@example.com"}),
    )
    .await;
    let listed = request(addr, "GET", &format!("{BASE}?q=backend"), &[], None)
        .await
        .json();
    let names: Vec<_> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["spec"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("api")], "search matches the owner");
    let listed = request(addr, "GET", &format!("{BASE}?sort=name"), &[], None)
        .await
        .json();
    assert_eq!(listed[0]["spec"]["name"], "api");
    let listed = request(addr, "GET", &format!("{BASE}?sort=created"), &[], None)
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));

    let change = json!({"name": "web", "ownerEmail": "web@example.com"}).to_string();
    let unversioned = request(addr, "PUT", &format!("{BASE}/web"), &[], Some(&change)).await;
    assert_eq!(unversioned.status, 428, "{}", unversioned.body);

    let updated = request(
        addr,
        "PUT",
        &format!("{BASE}/web"),
        &[("If-Match", "\"1\"")],
        Some(&change),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["version"], 2);

    let stale_change = json!({"name": "web", "ownerEmail": "stale@example.com"}).to_string();
    let stale = request(
        addr,
        "PUT",
        &format!("{BASE}/web?version=1"),
        &[],
        Some(&stale_change),
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(stale.json()["code"], "conflict");
    assert!(
        stale.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("changed by someone else"))
    );
    let current = request(addr, "GET", &format!("{BASE}/web"), &[], None).await;
    assert_eq!(
        current.json()["spec"]["ownerEmail"],
        "web@example.com",
        "the stale write changed nothing"
    );
    assert_eq!(current.header("etag"), Some("\"2\""));

    let history = request(addr, "GET", &format!("{BASE}/web/history"), &[], None)
        .await
        .json();
    let versions: Vec<_> = history
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["version"].clone())
        .collect();
    assert_eq!(versions, [json!(2), json!(1)]);
    let first = request(addr, "GET", &format!("{BASE}/web/history/1"), &[], None)
        .await
        .json();
    assert_eq!(first["spec"]["ownerEmail"], "team@example.com");

    let restored = request(
        addr,
        "POST",
        &format!("{BASE}/web/history/1/restore"),
        &[("If-Match", "2")],
        None,
    )
    .await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(
        (
            restored.json()["version"].clone(),
            restored.json()["spec"]["ownerEmail"].clone()
        ),
        (json!(3), json!("team@example.com"))
    );

    let unconfirmed = request(addr, "DELETE", &format!("{BASE}/web?version=3"), &[], None).await;
    assert_eq!(unconfirmed.status, 400);
    assert_eq!(error_fields(&unconfirmed), ["confirm"]);
    let deleted = request(
        addr,
        "DELETE",
        &format!("{BASE}/web?version=3&confirm=web"),
        &[],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = request(addr, "GET", &format!("{BASE}/web"), &[], None).await;
    assert_eq!(
        (gone.status, gone.json()["code"].clone()),
        (404, json!("not_found"))
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_message_per_field() {
    let server = start().await;
    let addr = server.addr;

    let invalid = post(addr, json!({"name": "Bad Name", "ownerEmail": "nobody"})).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["code"], "invalid");
    assert_eq!(error_fields(&invalid), ["name", "ownerEmail"]);

    let unknown = post(
        addr,
        json!({"name": "web", "ownerEmail": "a@example.com", "colour": "blue"}),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("colour")),
        "{}",
        unknown.body
    );

    let missing = post(addr, json!({"name": "web"})).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("ownerEmail"), "{}", missing.body);

    assert_eq!(
        post(addr, json!({"name": "web", "ownerEmail": "a@example.com"}))
            .await
            .status,
        201
    );
    let duplicate = post(addr, json!({"name": "web", "ownerEmail": "b@example.com"})).await;
    assert_eq!(duplicate.status, 400);
    assert_eq!(error_fields(&duplicate), ["name"]);
    assert!(duplicate.body.contains("already exists"));

    let rename = json!({"name": "other", "ownerEmail": "a@example.com"}).to_string();
    let renamed = request(
        addr,
        "PUT",
        &format!("{BASE}/web?version=1"),
        &[],
        Some(&rename),
    )
    .await;
    assert_eq!(
        (renamed.status, error_fields(&renamed)),
        (400, vec!["name".to_string()])
    );

    let bad_sort = request(addr, "GET", &format!("{BASE}?sort=size"), &[], None).await;
    assert_eq!(
        (bad_sort.status, bad_sort.json()["code"].clone()),
        (400, json!("bad_request"))
    );
    let bad_version = request(
        addr,
        "GET",
        &format!("{BASE}/web/history/latest"),
        &[],
        None,
    )
    .await;
    assert_eq!(
        (bad_version.status, bad_version.json()["code"].clone()),
        (400, json!("bad_request"))
    );
    let bad_if_match = request(
        addr,
        "PUT",
        &format!("{BASE}/web"),
        &[("If-Match", "\"abc\"")],
        Some(&rename),
    )
    .await;
    assert_eq!(bad_if_match.status, 400);
    let missing_app = request(addr, "GET", &format!("{BASE}/nope"), &[], None).await;
    assert_eq!(missing_app.status, 404);
}
