//! Crash safety of the embedded store: a child process rewrites documents as fast as it can
//! and is killed with SIGKILL in the middle; afterwards every document and every history
//! entry must read back whole, at the old version or the new one, never torn.
//!
//! The child is this same test binary, started again with `GENNAKER_CRASH_WRITER_DIR` set.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use gennaker::store::embedded::EmbeddedBackend;
use gennaker::store::{Backend, Documents};
use serde::{Deserialize, Serialize};

const DOCUMENTS: usize = 8;
const TEST_NAME: &str = "a_kill_during_a_burst_of_writes_leaves_every_object_whole";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Payload {
    /// The round that wrote it, repeated in every line of `body`.
    round: u64,
    body: Vec<String>,
}

fn payload(round: u64) -> Payload {
    // About 64 KiB, so that a write takes long enough to be interrupted.
    Payload {
        round,
        body: (0..1024)
            .map(|i| format!("round {round:012} line {i:04} {}", "x".repeat(32)))
            .collect(),
    }
}

fn documents(dir: &Path) -> Documents<Payload> {
    let backend = EmbeddedBackend::open(dir).expect("open the store");
    Documents::new(Arc::new(Backend::Embedded(backend)), "payload", "payloads")
}

/// The child: rewrites every document in turn, forever, reporting each write on stdout.
fn write_until_killed(dir: &Path) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let docs = documents(dir);
        let mut stdout = std::io::stdout();
        for round in 2u64.. {
            for i in 0..DOCUMENTS {
                let id = format!("doc-{i}");
                let current = docs.get(&id).await.expect("read before writing");
                docs.update(&id, current.version, payload(round), "writer")
                    .await
                    .expect("write");
                let _ = writeln!(stdout, "wrote {round} {i}");
                let _ = stdout.flush();
            }
        }
    });
    unreachable!("the writer loops until it is killed")
}

#[test]
fn a_kill_during_a_burst_of_writes_leaves_every_object_whole() {
    if let Some(dir) = std::env::var_os("GENNAKER_CRASH_WRITER_DIR") {
        write_until_killed(Path::new(&dir));
    }
    tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(kill_and_check());
}

async fn kill_and_check() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store_dir = dir.path().join("store");
    {
        let docs = documents(&store_dir);
        for i in 0..DOCUMENTS {
            docs.create(&format!("doc-{i}"), payload(1), "seed")
                .await
                .expect("seed");
        }
    }

    for attempt in 0..3 {
        let mut child = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
            .env("GENNAKER_CRASH_WRITER_DIR", &store_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the writer");
        let stdout = child.stdout.take().expect("the writer's stdout");
        // Kill at a different moment each attempt: after 50, 137 and 251 writes.
        let kill_after = [50, 137, 251][attempt];
        let mut writes = 0;
        for line in BufReader::new(stdout).lines() {
            if line.expect("a line").starts_with("wrote ") {
                writes += 1;
                if writes >= kill_after {
                    break;
                }
            }
        }
        child.kill().expect("SIGKILL the writer");
        let _ = child.wait();
        assert!(
            writes >= kill_after,
            "the writer stopped by itself after {writes} writes"
        );

        // Reopen, as a restarted server would: every document whole, its history consistent.
        let docs = documents(&store_dir);
        let all = docs.list().await.expect("every document is readable");
        assert_eq!(all.len(), DOCUMENTS);
        for doc in all {
            let round = doc.value.round;
            assert!(
                doc.value
                    .body
                    .iter()
                    .all(|line| line.starts_with(&format!("round {round:012} "))),
                "{} mixes rounds: torn",
                doc.id
            );
            let history = docs
                .history(&doc.id)
                .await
                .expect("the history is readable");
            assert_eq!(history.first().map(|h| h.version), Some(doc.version));
            assert_eq!(history.len() as u64, doc.version, "one entry per version");
        }
        let leftovers = walk(&store_dir)
            .into_iter()
            .filter(|p| p.contains(".tmp-"))
            .count();
        assert_eq!(
            leftovers, 0,
            "reopening removes the temporary files of interrupted writes"
        );
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path.to_string_lossy().into_owned());
            }
        }
    }
    found
}
