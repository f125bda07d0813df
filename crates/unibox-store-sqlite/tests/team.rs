//! Sessions, the audit trail and metering on SQLite beyond their suites (which run in
//! `harness.rs`): concurrent appends through group commit, tampering with the file found by
//! verification, and state surviving a reopen.

use std::sync::Arc;

use rusqlite::Connection;
use unibox_core::audit::{AuditKey, AuditLog, AuditOutcome, AuditRecord, AuditSink, AuditTrail, TamperKind, actions};
use unibox_core::metering::{UsageDay, UsageMeter, UsageQuery, usage_of_send};
use unibox_core::session::{SessionConfig, SessionManager, SessionStore};
use unibox_core::{Actor, ChannelKind, Content, Role, TenantId, Timestamp};
use unibox_store_sqlite::{SqliteInbox, SqliteOptions, Synchronous};

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

fn key() -> AuditKey {
    AuditKey::new("audit-2026-11", b"a 32-byte audit checkpoint key!!".to_vec()).unwrap()
}

fn record(tenant: &TenantId, i: u64) -> AuditRecord {
    let actor = match i % 3 {
        0 => Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin),
        1 => Actor::user(tenant.clone(), format!("agent-{}", i % 5).parse().unwrap(), Role::Agent),
        _ => Actor::automation(tenant.clone(), "auto-reply"),
    };
    let outcome = if i.is_multiple_of(11) {
        AuditOutcome::Denied { reason: "lacks the send_message permission".into() }
    } else {
        AuditOutcome::Success
    };
    let action = actions::ALL[(i as usize) % actions::ALL.len()];
    AuditRecord::new(
        &actor,
        action,
        format!("conversation:{}", i / 4),
        Timestamp::from_unix_millis(1_732_170_000_000 + i as i64),
        outcome,
    )
}

/// 8 writers × 2 tenants append at once: group commit batches them, and each tenant's chain
/// still has every seq once, linked in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_form_one_gapless_chain_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Arc::new(SqliteInbox::open(dir.path().join("audit.db")).await.unwrap());
    let tenants: [TenantId; 2] = ["acme".parse().unwrap(), "globex".parse().unwrap()];
    let mut tasks = Vec::new();
    for writer in 0..8u64 {
        let inbox = inbox.clone();
        let tenant = tenants[(writer % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..250 {
                inbox.append(record(&tenant, writer * 1_000 + i)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let trail = AuditTrail::new(inbox.clone(), key());
    for tenant in &tenants {
        let verification = trail.verify(tenant).await.unwrap();
        assert!(verification.is_intact(), "{tenant}: {:?}", verification.tamper);
        assert_eq!(verification.records, 1_000);
        assert_eq!(inbox.head(tenant).await.unwrap().unwrap().0, 1_000);
    }
}

/// Builds a 10,000-record trail with a checkpoint every 1,000, closes the file, tampers with
/// it through SQL, reopens it and verifies.
async fn tampered(dir: &std::path::Path, name: &str, tamper: &str) -> Option<unibox_core::audit::Tamper> {
    let path = dir.join(format!("{name}.db"));
    let options = SqliteOptions::new().synchronous(Synchronous::Normal);
    let inbox = Arc::new(SqliteInbox::open_with(&path, options.clone()).await.unwrap());
    let trail = Arc::new(AuditTrail::new(inbox.clone(), key()).checkpoint_every(1_000));
    let mut tasks = Vec::new();
    for writer in 0..10u64 {
        let trail = trail.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..1_000 {
                trail.record(record(&tenant(), writer * 1_000 + i)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert!(trail.verify(&tenant()).await.unwrap().is_intact(), "{name}: intact before tampering");
    drop(trail);
    Arc::try_unwrap(inbox).unwrap().close().await;

    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(tamper).unwrap();
    drop(conn);

    let inbox = Arc::new(SqliteInbox::open_with(&path, options).await.unwrap());
    let verification = AuditTrail::new(inbox.clone(), key()).verify(&tenant()).await.unwrap();
    Arc::try_unwrap(inbox).unwrap().close().await;
    verification.tamper
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_the_file_is_found_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, u64, Option<TamperKind>); 7] = [
        ("untouched", "SELECT 1", 0, None),
        (
            "edit",
            "UPDATE audit_log SET target = 'conversation:elsewhere' WHERE seq = 4321",
            4_321,
            Some(TamperKind::Edited),
        ),
        (
            "outcome",
            "UPDATE audit_log SET outcome = 'failed', detail = 'made-up' WHERE seq = 12",
            12,
            Some(TamperKind::Edited),
        ),
        ("delete", "DELETE FROM audit_log WHERE seq = 777", 777, Some(TamperKind::Missing { expected: 777 })),
        (
            "reorder",
            "UPDATE audit_log SET seq = -1 WHERE seq = 5000; UPDATE audit_log SET seq = 5000 WHERE seq = 5001; \
             UPDATE audit_log SET seq = 5001 WHERE seq = -1;",
            5_000,
            Some(TamperKind::BrokenLink),
        ),
        (
            "insert",
            "UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= 9000; UPDATE audit_log SET seq = seq - 999999 WHERE seq >= 1000000; \
             INSERT INTO audit_log SELECT tenant, 9000, at, actor_type, actor, role, action, 'conversation:forged', outcome, detail, prev_hash, hash FROM audit_log WHERE seq = 8999;",
            9_000,
            Some(TamperKind::BrokenLink),
        ),
        ("truncate", "DELETE FROM audit_log WHERE seq > 9500", 9_501, Some(TamperKind::Truncated { last: 9_500 })),
    ];
    for (name, sql, seq, kind) in cases {
        let found = tampered(dir.path(), name, sql).await;
        match kind {
            None => assert_eq!(found, None, "{name}"),
            Some(kind) => {
                let found = found.unwrap_or_else(|| panic!("{name}: the tampering was not found"));
                assert_eq!((found.seq, found.kind), (seq, kind), "{name}");
            }
        }
    }
}

#[tokio::test]
async fn sessions_audit_and_usage_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    let inbox = Arc::new(SqliteInbox::open(&path).await.unwrap());
    let sessions = SessionManager::new(inbox.clone(), SessionConfig::default())
        .unwrap()
        .audit(Arc::new(AuditTrail::new(inbox.clone(), key()).checkpoint_every(1)));
    let (token, session) = sessions.create(&tenant(), &"nok".parse().unwrap(), Role::Agent).await.unwrap();
    let at = Timestamp::from_unix_seconds(1_732_170_000);
    inbox.add(&usage_of_send(&tenant(), &ChannelKind::LINE, &Content::text("สวัสดีค่ะ"), false, at)).await.unwrap();
    drop(sessions);
    Arc::try_unwrap(inbox).unwrap().close().await;

    let inbox = Arc::new(SqliteInbox::open(&path).await.unwrap());
    assert_eq!(SessionStore::find(inbox.as_ref(), &token.hash()).await.unwrap(), Some(session));
    let verification = AuditTrail::new(inbox.clone(), key()).verify(&tenant()).await.unwrap();
    assert!(verification.is_intact());
    assert_eq!((verification.records, verification.checkpoints), (1, 1));
    let day = UsageDay::of(at);
    assert_eq!(inbox.usage(&tenant(), &UsageQuery::days(day, day.next())).await.unwrap().len(), 2);
    // The file holds the token's hash, never the token.
    Arc::try_unwrap(inbox).unwrap().close().await;
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("reopen.db-wal")) {
        bytes.extend(wal);
    }
    let needle = token.expose().as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle), "the session token is in the database file");
}
