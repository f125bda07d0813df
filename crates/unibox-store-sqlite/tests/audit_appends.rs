//! Audit appends waiting at the same time share one writer job: whatever the grouping, each
//! append is answered once, `Ok` only for a record that is durably in the chain, and each
//! tenant's chain stays gapless and intact.

use std::sync::Arc;

use rusqlite::Connection;
use unibox_core::audit::{AuditKey, AuditLog, AuditOutcome, AuditRecord, AuditTrail, actions};
use unibox_core::{Actor, ErrorKind, Role, TenantId, Timestamp};
use unibox_store_sqlite::SqliteInbox;

fn record(tenant: &TenantId, i: u64, target: &str) -> AuditRecord {
    let actor = Actor::user(tenant.clone(), format!("agent-{}", i % 5).parse().unwrap(), Role::Agent);
    let at = Timestamp::from_unix_millis(1_732_170_000_000 + i as i64);
    AuditRecord::new(&actor, actions::MESSAGE_SEND, target, at, AuditOutcome::Success)
}

async fn verify(inbox: &Arc<SqliteInbox>, tenant: &TenantId) -> u64 {
    let trail = AuditTrail::new(inbox.clone(), AuditKey::new("audit", vec![3; 32]).unwrap());
    let verification = trail.verify(tenant).await.unwrap();
    assert!(verification.is_intact(), "{tenant}: {:?}", verification.tamper);
    verification.records
}

/// The database refuses some records (a trigger): each refused append fails alone, the others
/// of its group are stored, exactly the appends answered `Ok` are in the chains, and the chains
/// stay gapless and intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_cannot_be_stored_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let inbox = Arc::new(SqliteInbox::open(&path).await.unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN NEW.target = 'conversation:refused' \
         BEGIN SELECT RAISE(ABORT, 'refused'); END;",
    )
    .unwrap();
    let tenants: [TenantId; 2] = ["acme".parse().unwrap(), "globex".parse().unwrap()];
    let mut tasks = Vec::new();
    for writer in 0..16u64 {
        let (inbox, tenant) = (inbox.clone(), tenants[(writer % 2) as usize].clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for i in 0..50 {
                let target =
                    if i % 17 == 16 { "conversation:refused".to_string() } else { format!("conversation:{i}") };
                let answer = inbox.append(record(&tenant, writer * 1_000 + i, &target)).await;
                assert_eq!(answer.is_err(), target == "conversation:refused", "{target}: {answer:?}");
                answers.push((tenant.clone(), target, answer));
            }
            answers
        }));
    }
    let mut acknowledged: Vec<(TenantId, u64, String)> = Vec::new();
    let mut failed = 0;
    for task in tasks {
        for (tenant, target, answer) in task.await.unwrap() {
            match answer {
                Ok(chained) => {
                    assert_eq!(chained.record.target, target);
                    acknowledged.push((tenant, chained.seq, target));
                }
                Err(error) => {
                    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
                    failed += 1;
                }
            }
        }
    }
    assert_eq!(failed, 16 * 2, "the refused records failed, and only they");
    for tenant in &tenants {
        let stored = inbox.chain(tenant, 0, usize::MAX).await.unwrap();
        let mut mine: Vec<(u64, String)> =
            acknowledged.iter().filter(|(t, ..)| t == tenant).map(|(_, seq, target)| (*seq, target.clone())).collect();
        mine.sort();
        let stored: Vec<(u64, String)> = stored.into_iter().map(|r| (r.seq, r.record.target)).collect();
        assert_eq!(stored, mine, "{tenant}: exactly the acknowledged records are stored, at their seqs");
        assert_eq!(verify(&inbox, tenant).await, stored.len() as u64);
    }
    conn.execute_batch("DROP TRIGGER refuse").unwrap();
    let after = inbox.append(record(&tenants[0], 99_999, "conversation:after")).await.unwrap();
    assert_eq!(after.seq, verify(&inbox, &tenants[0]).await);
}

/// Callers that stop waiting (their task is aborted) do not hold up or break the others: their
/// record is stored or not, and the chain is intact either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_whose_callers_stop_waiting_leave_the_chain_intact() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Arc::new(SqliteInbox::open(dir.path().join("audit.db")).await.unwrap());
    let tenant: TenantId = "acme".parse().unwrap();
    let mut kept = Vec::new();
    for i in 0..200u64 {
        let (inbox, tenant) = (inbox.clone(), tenant.clone());
        let task = tokio::spawn(async move { inbox.append(record(&tenant, i, "conversation:1")).await });
        if i % 3 == 0 {
            task.abort();
        } else {
            kept.push(task);
        }
    }
    let mut seqs = Vec::new();
    for task in kept {
        seqs.push(task.await.unwrap().unwrap().seq);
    }
    let records = verify(&inbox, &tenant).await;
    assert!(records >= seqs.len() as u64 && records <= 200, "{records} records");
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 133, "every kept append was answered with a seq of its own");
}
