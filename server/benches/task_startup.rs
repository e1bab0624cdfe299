//! Prints how long the server takes from start to ready (`/readyz` answers 200) with 10,000
//! finished tasks and a few running ones stored, on the embedded store and (when
//! `GENNAKER_TEST_S3_*` name an S3 server, as `scripts/bench.sh` arranges) on S3. Start-up
//! lists the task index's keys and reads only the running tasks' bodies. Figures only.
//!
//! Run: `scripts/bench.sh`, or `cargo bench -p gennaker --bench task_startup`.

mod support;

use std::time::{Duration, Instant};

use gennaker::config::StoreConfig;
use gennaker::tasks::store::TaskStore;
use gennaker_core::ids::TaskId;
use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::{Operation, Origin, Outputs, Status, Task};
use gennaker_core::time::Timestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FINISHED: usize = 10_000;
const RUNNING: usize = 5;
const ROUNDS: usize = 5;

/// A task of one of twenty applications, made `age` ago.
fn task(i: usize, age: Duration, status: Status) -> Task {
    let created = Timestamp::from_millis(
        Timestamp::now().as_millis() - i64::try_from(age.as_millis()).unwrap_or(0),
    );
    let application = format!("app-{:02}", i % 20);
    let server_group = ObjectRef {
        account: "prod".into(),
        namespace: "web".into(),
        name: format!("{application}-v{:03}", i % 1000),
    };
    Task {
        id: TaskId::at(created),
        application: application.clone(),
        description: format!("Resize {} to 3", server_group.name),
        origin: Origin::Operation {
            operation: Operation::ResizeServerGroup {
                application,
                server_group,
                replicas: 3,
            },
        },
        steps: Vec::new(),
        status,
        created_by: "bench".into(),
        created_at: created,
        ended_at: status.is_finished().then_some(created),
        cancel_requested: false,
        outputs: Outputs::new(),
        error: None,
        deadline: None,
        paused_at: None,
    }
}

async fn ready(addr: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    response.starts_with(b"HTTP/1.1 200")
}

async fn measure(label: &str, store: StoreConfig) {
    let backend = gennaker::store::open(&store).await.expect("open the store");
    let (tasks, _) = TaskStore::open(backend, gennaker::tasks::store::LAYOUT)
        .await
        .expect("open the task store");
    let seeding = Instant::now();
    for i in 0..FINISHED {
        // Spread over the last 20 days, as a busy team's month would be.
        let age = Duration::from_secs((i as u64 * 173) % (20 * 86_400));
        tasks
            .insert(task(i, age, Status::Succeeded))
            .await
            .expect("store a task");
    }
    for i in 0..RUNNING {
        tasks
            .insert(task(FINISHED + i, Duration::from_secs(60), Status::Running))
            .await
            .expect("store a running task");
    }
    let seeded = seeding.elapsed();
    drop(tasks);

    let data = tempfile::tempdir().expect("a temporary directory");
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let (addr, server) = support::serve(data.path(), store.clone()).await;
        while !ready(addr).await {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(started.elapsed());
        server.abort();
        let _ = server.await;
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: start to ready with {FINISHED} finished and {RUNNING} running tasks: min {:.0} ms, median {:.0} ms, max {:.0} ms (storing them took {:.1} s)",
        ms(times[0]),
        ms(times[ROUNDS / 2]),
        ms(times[ROUNDS - 1]),
        seeded.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    gennaker::install_crypto_provider();
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (label, store) in support::stores(dir.path(), "tasks-bench") {
        measure(label, store).await;
    }
}
