//! The built `inspect_webhook` binary, run exactly as the README's command runs it (no feature
//! flags), against a captured Messenger delivery: its JSON and its exit codes 0, 2 and 3.
//!
//! `cargo test -p unibox-tools` builds the package's examples before running its tests; the
//! binary is found next to this test's own executable (`target/<profile>/examples/`).

use std::path::PathBuf;
use std::process::{Command, Output};

use unibox_channel_messenger::AppSecret;

const APP_SECRET: &str = "4f1c0b9e8d7a6f5e4d3c2b1a09f8e7d6";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messenger_text.json")
}

fn example_binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    let binary = profile_dir.join("examples").join(format!("inspect_webhook{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test -p unibox-tools`, which builds the examples first",
        binary.display()
    );
    binary
}

fn inspect(secret: &str, signature: &str, body: &std::path::Path) -> Output {
    Command::new(example_binary())
        .args(["--channel", "messenger", "--secret", secret, "--header"])
        .arg(format!("X-Hub-Signature-256: {signature}"))
        .arg("--body")
        .arg(body)
        .output()
        .expect("the example runs")
}

#[test]
fn a_captured_messenger_delivery_prints_its_unified_event_and_exits_0() {
    let body = std::fs::read(fixture()).unwrap();
    let signature = AppSecret::new(APP_SECRET).signature_header(&body);
    let output = inspect(APP_SECRET, &signature, &fixture());

    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let event: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(event["account"], "104738291837465");
    assert_eq!(event["kind"]["type"], "message");
    assert_eq!(event["kind"]["customer"]["id"], "6201234567890123");
    assert_eq!(event["kind"]["content"]["text"], "Is the blue kettle still in stock?");
}

#[test]
fn another_app_s_signature_exits_2_and_prints_nothing() {
    let body = std::fs::read(fixture()).unwrap();
    let forged = AppSecret::new("another-apps-secret-5f1c").signature_header(&body);
    let output = inspect(APP_SECRET, &forged, &fixture());

    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("verification failed"));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(APP_SECRET), "the secret is never printed");
}

#[test]
fn an_authentic_but_malformed_delivery_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("truncated.json");
    let bytes = br#"{"object":"page","entry":[{"id":"104738291837465","messaging":"#;
    std::fs::write(&body, bytes).unwrap();
    let signature = AppSecret::new(APP_SECRET).signature_header(bytes);
    let output = inspect(APP_SECRET, &signature, &body);

    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty());
}
