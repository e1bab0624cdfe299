//! Prints how long `GET /api/v1/applications` takes with 1,000 applications stored, on the
//! embedded store and (when `GENNAKER_TEST_S3_*` name an S3 server, as `make test` and
//! `scripts/bench.sh` arrange) on S3. Figures only; nothing here asserts a time.
//!
//! Run: `scripts/bench.sh`, or `cargo bench -p gennaker --bench list_applications`.

mod support;

use std::time::{Duration, Instant};

use gennaker::config::StoreConfig;

const APPLICATIONS: usize = 1000;
const ROUNDS: usize = 10;

async fn measure(label: &str, store: StoreConfig) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let (addr, server) = support::serve(data.path(), store).await;

    let started = Instant::now();
    let mut creates = tokio::task::JoinSet::new();
    for chunk in (0..APPLICATIONS)
        .collect::<Vec<_>>()
        .chunks(APPLICATIONS / 8)
    {
        let chunk = chunk.to_vec();
        creates.spawn(async move {
            for i in chunk {
                let body = format!(r#"{{"name":"app-{i:04}","ownerEmail":"team-{i}@example.com","description":"Benchmark application {i}"}}"#);
                let (status, _) = support::send(addr, "POST", "/api/v1/applications", Some(&body)).await;
                assert_eq!(status, 201, "creating app-{i:04}");
            }
        });
    }
    creates.join_all().await;
    let create_time = started.elapsed();

    let mut times: Vec<Duration> = Vec::with_capacity(ROUNDS);
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let (status, response) = support::send(addr, "GET", "/api/v1/applications", None).await;
        let size = response.len();
        times.push(started.elapsed());
        assert_eq!(status, 200);
        bytes = size;
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: list {APPLICATIONS} applications: min {:.1} ms, median {:.1} ms, max {:.1} ms ({} KiB); creating them took {:.1} s",
        ms(times[0]),
        ms(times[ROUNDS / 2]),
        ms(times[ROUNDS - 1]),
        bytes / 1024,
        create_time.as_secs_f64()
    );
    server.abort();
}

#[tokio::main]
async fn main() {
    gennaker::install_crypto_provider();
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (label, store) in support::stores(dir.path(), "bench") {
        measure(label, store).await;
    }
}
