//! A `nats-server` of the test's own (JetStream, a temporary store directory, a free port), so a
//! test can stop and restart it; and the NATS skip rule of the brief.
//!
//! Where no server binary is found, [`NatsServer::start`] prints `skipped: <test>: ...` and
//! returns `None`; with `UNIBOX_TEST_NATS_REQUIRED=1` (CI) it panics instead.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use unibox_bus_nats::{NatsBusConfig, NatsChangeBus};
use unibox_core::changes::ChangeBus;

/// The variable that turns a skipped NATS test into a failure.
pub const REQUIRED: &str = "UNIBOX_TEST_NATS_REQUIRED";

/// Whether NATS tests must run (`UNIBOX_TEST_NATS_REQUIRED=1`).
pub fn required() -> bool {
    std::env::var(REQUIRED).is_ok_and(|value| value == "1")
}

/// Prints that `test` is skipped and why, past the harness's capture; panics when NATS tests
/// are required.
pub fn skip(test: &str, why: &str) {
    assert!(!required(), "{REQUIRED}=1 but {test} cannot run: {why}");
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {why} (set {REQUIRED}=1 to fail instead)");
}

/// The shared server's URL (`UNIBOX_TEST_NATS_URL`, default `nats://127.0.0.1:4222`).
pub fn shared_url() -> String {
    std::env::var("UNIBOX_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

fn binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("UNIBOX_TEST_NATS_SERVER") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let fixed = Path::new("/usr/sbin/nats-server");
    if fixed.is_file() {
        return Some(fixed.to_path_buf());
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("nats-server")).find(|path| path.is_file()))
}

/// A running `nats-server`, killed when dropped.
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts a server for `test`; `None` (after [`skip`]) without a server binary.
    pub fn start(test: &str) -> Option<Self> {
        let Some(binary) = binary() else {
            skip(test, "no nats-server binary (UNIBOX_TEST_NATS_SERVER, /usr/sbin/nats-server or PATH)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap();
        let store = tempfile::tempdir().unwrap();
        let mut server = NatsServer { binary, port, store, child: None };
        server.run();
        Some(server)
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn run(&mut self) {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.store.path())
            .arg("-l")
            .arg(self.store.path().join("server.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.binary.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen on {} within 15 s", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL: nothing is flushed on the way out), keeping its store.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and store.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// A bus of its own connection to this server, once JetStream is up.
    pub async fn bus(&self) -> Arc<dyn ChangeBus> {
        Arc::new(connect(NatsBusConfig::new(self.url()).unwrap()).await)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Connects, retrying while JetStream starts up.
pub async fn connect(config: NatsBusConfig) -> NatsChangeBus {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match NatsChangeBus::connect(config.clone()).await {
            Ok(bus) => return bus,
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("connect to {}: {error}", config.redacted_url()),
        }
    }
}
