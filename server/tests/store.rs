//! The store's conformance suite: the same tests, run against the embedded backend and
//! against a real S3 server (versitygw, started by `make test`; its address comes from
//! `GENNAKER_TEST_S3_*`). Under `CI=true` a missing S3 server fails the S3 half.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use gennaker::store::embedded::EmbeddedBackend;
use gennaker::store::s3::{S3Backend, S3Settings};
use gennaker::store::{Backend, Documents, Precondition, StoreError};
use serde::{Deserialize, Serialize};

/// A backend for one test, and what keeps its storage alive.
struct Fixture {
    backend: Arc<Backend>,
    _dir: Option<tempfile::TempDir>,
}

async fn embedded() -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let backend = EmbeddedBackend::open(dir.path().join("store")).expect("open the embedded store");
    Some(Fixture {
        backend: Arc::new(Backend::Embedded(backend)),
        _dir: Some(dir),
    })
}

async fn s3() -> Option<Fixture> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Ok(endpoint) = std::env::var("GENNAKER_TEST_S3_ENDPOINT") else {
        assert!(
            !in_ci,
            "CI=true but GENNAKER_TEST_S3_ENDPOINT is not set: start end2end/services/s3.sh up"
        );
        eprintln!(
            "GENNAKER_TEST_S3_ENDPOINT is not set: the S3 half of the suite needs `make test`"
        );
        return None;
    };
    let variable = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} must be set with GENNAKER_TEST_S3_ENDPOINT"))
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let settings = S3Settings {
        bucket: "gennaker-conformance".into(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint),
        // Each test gets its own prefix, so tests cannot see each other's objects.
        prefix: format!(
            "t{}-{nanos}-{}/",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ),
        path_style: true,
        credentials: Some((
            variable("GENNAKER_TEST_S3_ACCESS_KEY"),
            variable("GENNAKER_TEST_S3_SECRET_KEY"),
        )),
    };
    let backend = S3Backend::connect(settings)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test S3 server: {e}"));
    Some(Fixture {
        backend: Arc::new(Backend::S3(backend)),
        _dir: None,
    })
}

/// Declares each test once per backend: `embedded::name` and `s3::name`.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod embedded_backend {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some(fixture) = super::embedded().await {
                        super::$test(fixture.backend.clone()).await;
                    }
                }
            )*
        }
        mod s3_backend {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some(fixture) = super::s3().await {
                        super::$test(fixture.backend.clone()).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    a_missing_key_reads_as_nothing,
    what_is_put_is_read_back,
    absent_precondition_refuses_to_overwrite,
    matching_precondition_needs_the_current_revision,
    delete_removes_and_tolerates_missing_keys,
    list_returns_the_keys_under_a_prefix_in_order,
    unsafe_keys_are_refused,
    documents_keep_versions_and_refuse_stale_writes,
    deleted_documents_can_be_restored,
    concurrent_updates_from_one_version_let_exactly_one_win,
    stored_documents_carry_a_schema_version,
    an_interrupted_write_leaves_no_phantom_version,
);

async fn a_missing_key_reads_as_nothing(backend: Arc<Backend>) {
    assert!(
        backend
            .get("nothing/here.json")
            .await
            .expect("get")
            .is_none()
    );
}

async fn what_is_put_is_read_back(backend: Arc<Backend>) {
    let revision = backend
        .put("a/b.json", b"{\"x\":1}".to_vec(), Precondition::None)
        .await
        .expect("put");
    let object = backend
        .get("a/b.json")
        .await
        .expect("get")
        .expect("the object");
    assert_eq!(object.bytes, b"{\"x\":1}");
    assert_eq!(object.revision, revision);
}

async fn absent_precondition_refuses_to_overwrite(backend: Arc<Backend>) {
    backend
        .put("k.json", b"1".to_vec(), Precondition::Absent)
        .await
        .expect("first put");
    let second = backend
        .put("k.json", b"2".to_vec(), Precondition::Absent)
        .await;
    assert!(
        matches!(second, Err(StoreError::PreconditionFailed { .. })),
        "{second:?}"
    );
    assert_eq!(
        backend
            .get("k.json")
            .await
            .expect("get")
            .expect("object")
            .bytes,
        b"1"
    );
}

async fn matching_precondition_needs_the_current_revision(backend: Arc<Backend>) {
    let first = backend
        .put("k.json", b"1".to_vec(), Precondition::None)
        .await
        .expect("put 1");
    let second = backend
        .put(
            "k.json",
            b"2".to_vec(),
            Precondition::Matches(first.clone()),
        )
        .await
        .expect("put 2 based on 1");
    let stale = backend
        .put("k.json", b"3".to_vec(), Precondition::Matches(first))
        .await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed { .. })),
        "{stale:?}"
    );
    let object = backend.get("k.json").await.expect("get").expect("object");
    assert_eq!(
        (object.bytes.as_slice(), object.revision),
        (b"2".as_slice(), second)
    );
}

async fn delete_removes_and_tolerates_missing_keys(backend: Arc<Backend>) {
    backend
        .put("gone.json", b"1".to_vec(), Precondition::None)
        .await
        .expect("put");
    backend.delete("gone.json").await.expect("delete");
    assert!(backend.get("gone.json").await.expect("get").is_none());
    backend
        .delete("gone.json")
        .await
        .expect("deleting again is fine");
}

async fn list_returns_the_keys_under_a_prefix_in_order(backend: Arc<Backend>) {
    for key in [
        "apps/b/current.json",
        "apps/a/current.json",
        "apps/a/history/1.json",
        "other/x.json",
    ] {
        backend
            .put(key, b"{}".to_vec(), Precondition::None)
            .await
            .expect("put");
    }
    let keys = backend.list("apps/").await.expect("list");
    assert_eq!(
        keys,
        [
            "apps/a/current.json",
            "apps/a/history/1.json",
            "apps/b/current.json"
        ]
    );
    assert_eq!(
        backend.list("apps/a/history/").await.expect("list"),
        ["apps/a/history/1.json"]
    );
    assert!(backend.list("none/").await.expect("list").is_empty());
}

async fn unsafe_keys_are_refused(backend: Arc<Backend>) {
    for key in [
        "../escape.json",
        "a/../../b",
        "/absolute",
        "a//b",
        ".hidden",
        "a/.tmp-1",
        "spaces are bad",
    ] {
        let result = backend.put(key, b"x".to_vec(), Precondition::None).await;
        assert!(result.is_err(), "{key} must be refused");
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    text: String,
}

fn note(text: &str) -> Note {
    Note { text: text.into() }
}

async fn documents_keep_versions_and_refuse_stale_writes(backend: Arc<Backend>) {
    let notes: Documents<Note> = Documents::new(backend, "note", "notes");
    let created = notes
        .create("first", note("one"), "ann")
        .await
        .expect("create");
    assert_eq!((created.version, created.created_by.as_str()), (1, "ann"));
    assert!(matches!(
        notes.create("first", note("again"), "bob").await,
        Err(StoreError::AlreadyExists { .. })
    ));

    let updated = notes
        .update("first", 1, note("two"), "bob")
        .await
        .expect("update");
    assert_eq!(
        (
            updated.version,
            updated.updated_by.as_str(),
            updated.created_by.as_str()
        ),
        (2, "bob", "ann")
    );

    let stale = notes.update("first", 1, note("lost edit"), "cy").await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                expected: 1,
                current: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    assert_eq!(
        notes.get("first").await.expect("get").value,
        note("two"),
        "the stale write changed nothing"
    );

    let history = notes.history("first").await.expect("history");
    let versions: Vec<_> = history
        .iter()
        .map(|h| (h.version, h.value.text.as_str()))
        .collect();
    assert_eq!(versions, [(2, "two"), (1, "one")]);

    let restored = notes.restore("first", 1, 2, "dee").await.expect("restore");
    assert_eq!((restored.version, restored.value.text.as_str()), (3, "one"));
    assert!(matches!(
        notes.restore("first", 1, 2, "dee").await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        notes.restore("first", 9, 3, "dee").await,
        Err(StoreError::NoSuchVersion { version: 9, .. })
    ));

    notes
        .create("second", note("x"), "ann")
        .await
        .expect("create second");
    let listed: Vec<_> = notes
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(listed, ["first", "second"]);
}

async fn deleted_documents_can_be_restored(backend: Arc<Backend>) {
    let notes: Documents<Note> = Documents::new(backend, "note", "notes");
    notes
        .create("doomed", note("keep me"), "ann")
        .await
        .expect("create");
    assert!(matches!(
        notes.delete("doomed", 5, "bob").await,
        Err(StoreError::Conflict { .. })
    ));
    notes.delete("doomed", 1, "bob").await.expect("delete");
    assert!(matches!(
        notes.get("doomed").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(notes.list().await.expect("list").is_empty());
    let history = notes.history("doomed").await.expect("the history survives");
    assert_eq!(
        history.first().map(|h| (h.version, h.deleted)),
        Some((2, true))
    );

    let back = notes.restore("doomed", 1, 2, "cy").await.expect("undelete");
    assert_eq!((back.version, back.value), (3, note("keep me")));
    assert_eq!(notes.list().await.expect("list").len(), 1);
}

async fn concurrent_updates_from_one_version_let_exactly_one_win(backend: Arc<Backend>) {
    let notes: Arc<Documents<Note>> = Arc::new(Documents::new(backend, "note", "notes"));
    notes
        .create("race", note("start"), "ann")
        .await
        .expect("create");
    let attempts = (0..8).map(|i| {
        let notes = notes.clone();
        tokio::spawn(async move {
            notes
                .update("race", 1, note(&format!("writer {i}")), "w")
                .await
        })
    });
    let results = futures::future::join_all(attempts).await;
    let wins = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(StoreError::Conflict { .. }))))
        .count();
    assert_eq!((wins, conflicts), (1, 7));
    assert_eq!(notes.get("race").await.expect("get").version, 2);
}

async fn stored_documents_carry_a_schema_version(backend: Arc<Backend>) {
    let notes: Documents<Note> = Documents::new(backend.clone(), "note", "notes");
    notes
        .create("schema", note("x"), "ann")
        .await
        .expect("create");
    let object = backend
        .get("notes/schema/current.json")
        .await
        .expect("get")
        .expect("object");
    let json: serde_json::Value = serde_json::from_slice(&object.bytes).expect("JSON");
    assert_eq!(json["schema"], 1);
    assert_eq!(json["kind"], "note");
    assert_eq!(json["value"]["text"], "x");
}

async fn an_interrupted_write_leaves_no_phantom_version(backend: Arc<Backend>) {
    let notes: Documents<Note> = Documents::new(backend.clone(), "note", "notes");
    notes
        .create("cut", note("one"), "ann")
        .await
        .expect("create");
    // A save that wrote its history entry (version 2) and died before replacing current.json.
    let entry = backend
        .get("notes/cut/history/000000000001.json")
        .await
        .expect("get")
        .expect("v1");
    let phantom = String::from_utf8(entry.bytes)
        .expect("UTF-8")
        .replace("\"version\": 1", "\"version\": 2");
    backend
        .put(
            "notes/cut/history/000000000002.json",
            phantom.into_bytes(),
            Precondition::None,
        )
        .await
        .expect("put the phantom entry");

    assert_eq!(
        notes.history("cut").await.expect("history").len(),
        1,
        "the phantom is not listed"
    );
    assert!(matches!(
        notes.version("cut", 2).await,
        Err(StoreError::NoSuchVersion { version: 2, .. })
    ));
    assert!(matches!(
        notes.restore("cut", 2, 1, "bob").await,
        Err(StoreError::NoSuchVersion { .. })
    ));
    let next = notes
        .update("cut", 1, note("two"), "bob")
        .await
        .expect("the next save takes version 2");
    assert_eq!(next.version, 2);
    assert_eq!(
        notes.version("cut", 2).await.expect("version 2").value,
        note("two")
    );
}
