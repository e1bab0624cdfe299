//! The real `gennaker` binary as a child process, for tests that kill it with SIGKILL.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process that is killed when dropped, also when the test panics.
pub struct Server(pub Child);

impl Server {
    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(mut self) {
        self.0.kill().expect("kill -9");
        self.0.wait().expect("reap");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port with `data` as its data directory.
pub fn start_binary(kubeconfig: &Path, data: &Path) -> (Server, SocketAddr) {
    start_binary_with(kubeconfig, data, &[])
}

/// The same, with extra `GENNAKER_*` settings.
pub fn start_binary_with(
    kubeconfig: &Path,
    data: &Path,
    env: &[(&str, &str)],
) -> (Server, SocketAddr) {
    spawn(Some(kubeconfig), data, env, "info")
}

/// Starts the binary on a free port with `data` as its data directory and no Kubernetes
/// account (for pipelines of stages that need no cluster).
pub fn start_without_cluster(data: &Path) -> (Server, SocketAddr) {
    spawn(None, data, &[], "warn")
}

fn spawn(
    kubeconfig: Option<&Path>,
    data: &Path,
    env: &[(&str, &str)],
    log: &str,
) -> (Server, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut command = Command::new(env!("CARGO_BIN_EXE_gennaker"));
    command
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(data)
        .args(["--listen", &addr.to_string(), "--log", log])
        .arg("--data-dir")
        .arg(data.join("data"));
    if let Some(kubeconfig) = kubeconfig {
        command.arg("--kubeconfig").arg(kubeconfig);
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start gennaker");
    (Server(child), addr)
}

/// Waits until the binary answers `/healthz`.
pub async fn wait_until_serving(addr: SocketAddr) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            let (status, _) = super::get(addr, "/healthz").await;
            if status == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gennaker did not start on {addr}");
}

/// The kubeconfig's current context: the account a binary started on it has.
pub fn current_context(kubeconfig: &Path) -> String {
    kube::config::Kubeconfig::read_from(kubeconfig)
        .ok()
        .and_then(|k| k.current_context)
        .expect("a current context")
}

/// A fresh data directory, the binary serving on it and the kubeconfig, and a new application
/// named from `prefix`.
pub async fn serving_application(
    kubeconfig: &Path,
    prefix: &str,
) -> (tempfile::TempDir, Server, SocketAddr, String) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let (server, addr) = start_binary(kubeconfig, data.path());
    wait_until_serving(addr).await;
    let app = super::cluster::unique(prefix);
    super::cluster::create_application(addr, &app).await;
    (data, server, addr, app)
}
