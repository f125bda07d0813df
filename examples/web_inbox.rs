//! A web inbox to try unibox in a minute: conversations from LINE, Messenger and a web shop
//! landing in one list, replies going out, assignment, notes, roles, live updates.
//!
//! ```sh
//! cargo run --example web_inbox            # then open http://127.0.0.1:8080
//! cargo run --example web_inbox -- --dir ./trial --listen 127.0.0.1:9000
//! ```
//!
//! - Everything runs on loopback: the inbox is a SQLite file in a temporary directory (or
//!   `--dir`, kept across runs), and the platforms are sandbox fakes: fake LINE, Graph
//!   (Messenger) and web-shop send APIs that accept replies (and refuse any reply containing
//!   "fail", so a failed delivery shows with its reason).
//! - Sign in as the demo Admin (`ada`), Agent (`sam`) or Viewer (`vic`); the password is
//!   `demo`. A Viewer reads but has no reply box.
//! - The "simulate customer" panel posts signed webhooks from each sandbox platform to the
//!   server's own `/webhooks/{channel}` routes, exactly as LINE, Meta or a shop would; new
//!   conversations and messages appear live over server-sent events.
//! - The page is plain HTML, CSS and JavaScript in `examples/web_inbox/assets/`, served as is
//!   (no Node.js). It renders message content as text only, never as HTML.
//! - The JSON API under `/api` is `unibox::agent_api` (described in
//!   `crates/unibox-agent-api/openapi.json`).

#[path = "web_inbox/app.rs"]
mod app;

use std::net::SocketAddr;
use std::path::PathBuf;

const USAGE: &str = "usage: web_inbox [--dir <directory>] [--listen <address:port>]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut listen: SocketAddr = "127.0.0.1:8080".parse().expect("a valid default address");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--dir", Some(value)) => dir = Some(value.into()),
            ("--listen", Some(value)) => match value.parse() {
                Ok(address) => listen = address,
                Err(_) => {
                    eprintln!("invalid address {value:?}\n{USAGE}");
                    return std::process::ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("{USAGE}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    // Without --dir, a temporary directory that is removed when the trial stops.
    let temporary = match dir {
        Some(_) => None,
        None => match tempfile::tempdir() {
            Ok(temporary) => Some(temporary),
            Err(error) => {
                eprintln!("cannot create a temporary directory: {error}");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let dir = dir.unwrap_or_else(|| temporary.as_ref().map(|t| t.path().to_path_buf()).unwrap_or_default());
    let inbox = match app::start(&dir, listen).await {
        Ok(inbox) => inbox,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("unibox web inbox on http://{}", inbox.addr);
    println!("  inbox database: {}", inbox.database.display());
    println!("  sign in as ada (Admin), sam (Agent) or vic (Viewer); the password is \"{}\"", app::DEMO_PASSWORD);
    println!("  sandbox LINE API and web-shop receiver on {}", inbox.sandbox.url());
    println!("  sandbox Graph API (Messenger) on {}", inbox.graph.url());
    println!("  press Ctrl-C to stop");
    unibox_server_axum::shutdown_signal().await;
    inbox.stop().await;
    drop(temporary);
    println!("stopped");
    std::process::ExitCode::SUCCESS
}
