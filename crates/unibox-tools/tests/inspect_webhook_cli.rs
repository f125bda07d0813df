//! The `inspect_webhook` example's command line: exit codes, stdout and stderr.
//!
//! The example (`examples/inspect_webhook.rs`) belongs to this crate, which builds every
//! channel, and is self-contained. Cargo gives no test a path to an example's binary (there is no
//! `CARGO_BIN_EXE_` for examples), and running `cargo run` from a test would be slow and
//! contend for the build lock. So the example keeps its logic in
//! `run(args, stdin, stdout, stderr) -> exit code`, with `main` only passing the process's
//! streams and exiting with the code, and this test compiles the very same source file as a
//! module and calls `run` with in-memory streams. Everything but the two-line `main` is
//! exercised here.

#[allow(dead_code)] // `main` is the example's entry point, unused here
#[path = "../../../examples/inspect_webhook.rs"]
mod inspect_webhook;

// The Standard Webhooks fixtures and signer of the webhook channel's own tests.
#[path = "../../unibox-channel-webhook/tests/common/mod.rs"]
mod common;

use std::ffi::OsString;
use std::io::Write;

use common::{NOW, OTHER_SECRET, SECRET};

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Outcome {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = inspect_webhook::run(args, &mut &stdin[..], &mut stdout, &mut stderr);
    Outcome { code, stdout: String::from_utf8(stdout).unwrap(), stderr: String::from_utf8(stderr).unwrap() }
}

fn run(args: &[&str]) -> Outcome {
    run_with_stdin(args, b"")
}

fn body_file(body: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(body.as_bytes()).unwrap();
    file
}

fn signed_args(secret: &str, id: &str, body: &str) -> (Vec<String>, tempfile::NamedTempFile) {
    let file = body_file(body);
    let signature = common::secret(secret).sign(id, NOW, body.as_bytes());
    let args = vec![
        "--channel".into(),
        "webhook".into(),
        "--secret".into(),
        SECRET.into(),
        "--header".into(),
        format!("webhook-id: {id}"),
        "--header".into(),
        format!("webhook-timestamp: {NOW}"),
        "--header".into(),
        format!("webhook-signature: {signature}"),
        "--now".into(),
        NOW.to_string(),
        "--body".into(),
        file.path().display().to_string(),
    ];
    (args, file)
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_valid_delivery_prints_one_json_object_per_event_and_exits_0() {
    let (args, _file) = signed_args(SECRET, "msg_cli1", common::BATCH);
    let outcome = run(&as_strs(&args));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stderr.is_empty(), "{}", outcome.stderr);
    let lines: Vec<serde_json::Value> =
        outcome.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], "msg_cli1:0");
    assert_eq!(lines[0]["account"], "store-th-01");
    assert_eq!(lines[0]["kind"]["type"], "message");
    assert_eq!(lines[2]["id"], "evt_01JAX3M9ZZ");
    let event: unibox_core::InboundEvent = serde_json::from_value(lines[3].clone()).unwrap();
    assert_eq!(event.kind.name(), "order_update");
}

#[test]
fn the_body_can_come_from_standard_input() {
    let (mut args, _file) = signed_args(SECRET, "msg_cli2", common::MESSAGE);
    let last = args.len() - 1;
    args[last] = "-".into();
    let outcome = run_with_stdin(&as_strs(&args), common::MESSAGE.as_bytes());
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.stdout.lines().count(), 1);
}

#[test]
fn flags_also_take_the_equals_form() {
    let (args, _file) = signed_args(SECRET, "msg_cli3", common::MESSAGE);
    let mut joined = Vec::new();
    for pair in args.chunks(2) {
        joined.push(format!("{}={}", pair[0], pair[1]));
    }
    let outcome = run(&as_strs(&joined));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
}

#[test]
fn a_bad_signature_exits_2_with_nothing_on_stdout() {
    let (args, _file) = signed_args(OTHER_SECRET, "msg_cli4", common::MESSAGE);
    let outcome = run(&as_strs(&args));
    assert_eq!(outcome.code, 2);
    assert!(outcome.stdout.is_empty());
    assert!(outcome.stderr.contains("verification failed"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains(SECRET.trim_start_matches("whsec_")), "the secret must never be printed");
}

#[test]
fn a_missing_header_exits_2_naming_it() {
    let (args, _file) = signed_args(SECRET, "msg_cli5", common::MESSAGE);
    let args: Vec<&str> = as_strs(&args);
    let without: Vec<&str> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("webhook-signature") && !args.get(i + 1).is_some_and(|n| n.starts_with("webhook-signature"))
        })
        .map(|(_, a)| *a)
        .collect();
    let outcome = run(&without);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("webhook-signature header is missing"), "{}", outcome.stderr);
}

#[test]
fn without_now_an_old_capture_fails_with_a_hint() {
    let (args, _file) = signed_args(SECRET, "msg_cli6", common::MESSAGE);
    let args: Vec<&str> = as_strs(&args);
    let now_at = args.iter().position(|a| *a == "--now").unwrap();
    let without: Vec<&str> =
        args.iter().enumerate().filter(|(i, _)| *i != now_at && *i != now_at + 1).map(|(_, a)| *a).collect();
    let outcome = run(&without);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("pass --now"), "{}", outcome.stderr);
    assert!(outcome.stdout.is_empty());
}

#[test]
fn an_authentic_but_malformed_payload_exits_3_with_nothing_on_stdout() {
    let (args, _file) =
        signed_args(SECRET, "msg_cli7", r#"{"account":"store-th-01","events":[{"kind":{"type":"teleport"}}]}"#);
    let outcome = run(&as_strs(&args));
    assert_eq!(outcome.code, 3, "{}", outcome.stderr);
    assert!(outcome.stdout.is_empty());
    assert!(outcome.stderr.contains("could not be parsed"), "{}", outcome.stderr);
}

#[test]
fn usage_errors_exit_64_with_the_usage_on_stderr() {
    let file = body_file("{}");
    let path = file.path().display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "--channel is required"),
        (vec!["--channel", "webhook", "--body", &path], "--secret is required"),
        (vec!["--channel", "webhook", "--secret", SECRET], "--body is required"),
        (vec!["--channel", "fax", "--secret", SECRET, "--body", &path], "unknown channel kind"),
        (vec!["--channel", "webhook", "--secret", SECRET, "--body", &path, "--verbose"], "unknown argument"),
        (vec!["--channel", "webhook", "--secret", SECRET, "--body"], "--body needs a value"),
        (vec!["--channel", "webhook", "--secret", SECRET, "--body", &path, "--now", "yesterday"], "Unix seconds"),
        (vec!["--channel", "webhook", "--secret", SECRET, "--body", &path, "--header", "no colon"], "'Name: value'"),
        (vec!["--channel", "webhook", "--channel", "line", "--secret", SECRET, "--body", &path], "more than once"),
        (vec!["--channel", "webhook", "--secret", "hunter2", "--body", &path], "whsec_"),
        (vec!["--channel", "webhook", "--secret", SECRET, "--app-key", "k", "--body", &path], "--app-key is not used"),
        (vec!["--channel", "webhook", "--secret", SECRET, "--url", "not a url", "--body", &path], "--url"),
    ];
    for (args, expected) in cases {
        let outcome = run(&args);
        assert_eq!(outcome.code, 64, "{args:?}: {}", outcome.stderr);
        assert!(outcome.stdout.is_empty(), "{args:?}");
        assert!(outcome.stderr.contains(expected), "{args:?}: {}", outcome.stderr);
        assert!(outcome.stderr.contains("usage: inspect_webhook"), "{args:?}");
        assert!(!outcome.stderr.contains("hunter2"), "a rejected secret is not echoed");
    }
}

#[test]
fn every_channel_of_the_workspace_is_built_in() {
    let file = body_file("{}");
    let path = file.path().display().to_string();
    let cases: [(&str, &[&str]); 9] = [
        ("messenger", &[]),
        ("instagram", &[]),
        ("whatsapp", &[]),
        ("line", &[]),
        ("telegram", &["--bot-token", "123456789:AAinspect-test-token"]),
        ("twilio", &["--url", "https://inbox.example.com/webhooks/acme-twilio"]),
        ("shopee", &["--url", "https://inbox.example.com/webhooks/acme-shopee"]),
        ("lazada", &["--app-key", "115527"]),
        ("tiktok-shop", &["--app-key", "6abc123def456"]),
    ];
    for (kind, extra) in cases {
        // Built in: the unsigned body fails verification (2), never "not built in" (64).
        let mut args = vec!["--channel", kind, "--secret", "s3cret-app-secret", "--body", &path];
        args.extend_from_slice(extra);
        let outcome = run(&args);
        assert_eq!(outcome.code, 2, "{kind}: {}", outcome.stderr);
        assert!(!outcome.stderr.contains("not built into"), "{kind}: {}", outcome.stderr);
    }
}

#[test]
fn channels_that_need_more_than_a_secret_say_which_flag_is_missing() {
    let file = body_file("{}");
    let path = file.path().display().to_string();
    for (kind, expected) in [("telegram", "--bot-token"), ("lazada", "--app-key"), ("tiktok-shop", "--app-key")] {
        let outcome = run(&["--channel", kind, "--secret", "s", "--body", &path]);
        assert_eq!(outcome.code, 64, "{kind}: {}", outcome.stderr);
        assert!(outcome.stderr.contains(&format!("{kind} needs {expected}")), "{kind}: {}", outcome.stderr);
    }
    let outcome = run(&["--channel", "line", "--secret", "s", "--bot-token", "1:x", "--body", &path]);
    assert_eq!(outcome.code, 64);
    assert!(outcome.stderr.contains("--bot-token is not used by the line channel"), "{}", outcome.stderr);
}

#[test]
fn a_captured_telegram_update_prints_its_event_for_the_bot_account() {
    let body = r#"{"update_id":904512781,"message":{"message_id":1187,"from":{"id":6031427850,"is_bot":false,"first_name":"Niran","language_code":"th"},"chat":{"id":6031427850,"first_name":"Niran","type":"private"},"date":1732170000,"text":"Is the blue kettle in stock?"}}"#;
    let file = body_file(body);
    let path = file.path().display().to_string();
    let secret = "tg-secret-7f3a9c";
    let header = format!("X-Telegram-Bot-Api-Secret-Token: {secret}");
    let args =
        ["--channel", "telegram", "--secret", secret, "--bot-token", "7012345678:AAFakeTokenForInspect", "--header"];
    let mut args = args.to_vec();
    args.extend_from_slice(&[&header, "--body", &path]);
    let outcome = run(&args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let events: Vec<serde_json::Value> =
        outcome.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(events.len(), 1, "{}", outcome.stdout);
    assert_eq!(events[0]["account"], "7012345678");
    assert!(outcome.stdout.contains("Is the blue kettle in stock?"), "{}", outcome.stdout);
    assert!(!outcome.stdout.contains("AAFakeTokenForInspect"), "the bot token is never printed");

    let wrong = ["--channel", "telegram", "--secret", "another-secret", "--bot-token", "7012345678:AAx", "--header"];
    let mut wrong = wrong.to_vec();
    wrong.extend_from_slice(&[&header, "--body", &path]);
    assert_eq!(run(&wrong).code, 2);
}

#[test]
fn an_unreadable_body_file_exits_66() {
    let outcome = run(&["--channel", "webhook", "--secret", SECRET, "--body", "/nonexistent/delivery.json"]);
    assert_eq!(outcome.code, 66);
    assert!(outcome.stderr.contains("cannot read the body"), "{}", outcome.stderr);
}

#[test]
fn help_prints_the_usage_on_stdout_and_exits_0() {
    let outcome = run(&["--help"]);
    assert_eq!(outcome.code, 0);
    assert!(outcome.stdout.contains("--now UNIX_SECONDS"));
}
