//! Audit queries on SQLite read the indexed blocks of a chain through `audit_index` and the
//! records after the last block from `audit_log`: the answers must be those of
//! [`AuditQuery::matches`] over the whole chain, page by page, wherever a page starts or ends;
//! and a database written before the index existed is migrated with every record indexed.

use std::sync::Arc;

use rusqlite::Connection;
use unibox_core::audit::{
    AuditKey, AuditLog, AuditOutcome, AuditQuery, AuditRecord, AuditSink, AuditTrail, ChainedRecord, TamperKind,
    actions,
};
use unibox_core::{Actor, Principal, Role, TenantId, Timestamp};
use unibox_store_sqlite::SqliteInbox;

const START: i64 = 1_732_170_000_000;

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

/// The i-th record: five agents, an admin and an automation; seven actions; targets shared by
/// a few records each; one record in thirteen denied.
fn record(tenant: &TenantId, i: u64) -> AuditRecord {
    let actor = match i % 7 {
        5 => Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin),
        6 => Actor::automation(tenant.clone(), "auto-reply"),
        n => Actor::user(tenant.clone(), format!("agent-{n}").parse().unwrap(), Role::Agent),
    };
    let outcome = if i.is_multiple_of(13) {
        AuditOutcome::Denied { reason: "lacks the send_message permission".into() }
    } else {
        AuditOutcome::Success
    };
    let action = actions::ALL[(i as usize * 3) % actions::ALL.len()];
    let at = Timestamp::from_unix_millis(START + i as i64 * 1_000);
    AuditRecord::new(&actor, action, format!("conversation:{}", i % 97), at, outcome)
}

/// Appends records `0..count` from eight tasks at once (group appends, like a busy hub).
async fn append(inbox: &Arc<SqliteInbox>, tenant: &TenantId, count: u64) {
    let mut tasks = Vec::new();
    for task in 0..8 {
        let (inbox, tenant) = (inbox.clone(), tenant.clone());
        tasks.push(tokio::spawn(async move {
            for i in (task..count).step_by(8) {
                inbox.append(record(&tenant, i)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

async fn whole_chain(log: &dyn AuditLog, tenant: &TenantId) -> Vec<ChainedRecord> {
    log.chain(tenant, 0, usize::MAX).await.unwrap()
}

/// Every page of `query` from the newest record on, as seqs.
async fn pages(log: &dyn AuditLog, tenant: &TenantId, query: &AuditQuery) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut query = query.clone();
    loop {
        let page = log.query(tenant, &query).await.unwrap();
        assert!(page.items.iter().all(|r| query.matches(r)), "{query:?}: a record that does not match");
        pages.push(page.items.iter().map(|r| r.seq).collect());
        match page.next {
            Some(next) => query.before_seq = Some(next),
            None => return pages,
        }
    }
}

/// What `query` must answer: the matching records, newest first, cut into pages.
fn expected(chain: &[ChainedRecord], query: &AuditQuery) -> Vec<Vec<u64>> {
    let seqs: Vec<u64> = chain
        .iter()
        .rev()
        .filter(|r| query.before_seq.is_none_or(|before| r.seq < before) && query.matches(r))
        .map(|r| r.seq)
        .collect();
    if seqs.is_empty() {
        return vec![Vec::new()];
    }
    seqs.chunks(query.limit).map(<[u64]>::to_vec).collect()
}

fn queries() -> Vec<AuditQuery> {
    let at = |i: i64| Timestamp::from_unix_millis(START + i * 1_000);
    let mut queries = Vec::new();
    for limit in [1, 7, 50, 500] {
        queries.extend([
            AuditQuery::new().limit(limit),
            AuditQuery::new().actor("agent-3").limit(limit),
            AuditQuery::new().actor("auto-reply").limit(limit),
            AuditQuery::new().actor("nobody").limit(limit),
            AuditQuery::new().target("conversation:42").limit(limit),
            AuditQuery::new().action(actions::MESSAGE_SEND).limit(limit),
            AuditQuery::new().actor("ann").action(actions::ALL[0]).limit(limit),
            // Windows inside the indexed blocks, across the last block's end, in the tail.
            AuditQuery::new().since(at(100)).until(at(300)).limit(limit),
            AuditQuery::new().since(at(2_000)).until(at(2_100)).limit(limit),
            AuditQuery::new().since(at(2_300)).limit(limit),
            AuditQuery::new().actor("agent-1").until(at(1_500)).limit(limit),
        ]);
    }
    // Starting from a given record: in the tail, at the last indexed one, inside the blocks.
    for before in [2_500, 2_100, 2_049, 2_048, 2_047, 300, 2] {
        queries.push(AuditQuery::new().limit(9).before_seq(Some(before)));
        queries.push(AuditQuery::new().actor("agent-2").limit(9).before_seq(Some(before)));
    }
    queries
}

async fn assert_queries_agree(log: &dyn AuditLog, tenant: &TenantId) {
    let chain = whole_chain(log, tenant).await;
    for query in queries() {
        assert_eq!(pages(log, tenant, &query).await, expected(&chain, &query), "{query:?}");
    }
}

/// 2,500 records: two blocks of 1,024 are indexed and 452 records are not yet. Every query
/// answers as the filter does over the whole chain, in pages that never repeat or skip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_agree_with_the_filter_across_indexed_blocks_and_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Arc::new(SqliteInbox::open(dir.path().join("audit.db")).await.unwrap());
    let (acme, globex): (TenantId, TenantId) = (tenant(), "globex".parse().unwrap());
    append(&inbox, &acme, 2_500).await;
    // Another tenant's records are never seen, whichever way they are read.
    append(&inbox, &globex, 1_100).await;
    assert_queries_agree(inbox.as_ref(), &acme).await;
    let globex_actor = pages(inbox.as_ref(), &globex, &AuditQuery::new().actor("agent-3").limit(500)).await;
    assert_eq!(globex_actor.concat().len(), 157, "globex's own agent-3 records");
    assert_queries_agree(inbox.as_ref(), &globex).await;
}

/// The same in memory, where reads share the writer's connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_agree_in_memory_too() {
    let inbox = Arc::new(SqliteInbox::open_in_memory().await.unwrap());
    append(&inbox, &tenant(), 2_500).await;
    assert_queries_agree(inbox.as_ref(), &tenant()).await;
}

/// Version 7's audit rows, as that release wrote them (its schema: migrations 1 to 7).
fn write_version_7_database(path: &std::path::Path, chain: &[ChainedRecord]) {
    let conn = Connection::open(path).unwrap();
    for sql in [
        include_str!("../src/migrations/0001_initial.sql"),
        include_str!("../src/migrations/0002_vault.sql"),
        include_str!("../src/migrations/0003_outbox.sql"),
        include_str!("../src/migrations/0004_team.sql"),
        include_str!("../src/migrations/0005_workflow.sql"),
        include_str!("../src/migrations/0006_privacy.sql"),
        include_str!("../src/migrations/0007_journal.sql"),
    ] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch("PRAGMA user_version = 7; PRAGMA application_id = 1970168440;").unwrap();
    let mut insert = conn
        .prepare(
            "INSERT INTO audit_log (tenant, seq, at, actor_type, actor, role, action, target, outcome, detail, \
             prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .unwrap();
    for chained in chain {
        let r = &chained.record;
        let (actor_type, actor, role) = match r.actor.principal() {
            Principal::User { id, role } => ("user", id.to_string(), Some(role.as_str())),
            Principal::Automation { name } => ("automation", name.clone(), None),
        };
        let (outcome, detail) = match &r.outcome {
            AuditOutcome::Success => ("success", None),
            AuditOutcome::Denied { reason } => ("denied", Some(reason.clone())),
            AuditOutcome::Failed { error } => ("failed", Some(error.clone())),
        };
        insert
            .execute(rusqlite::params![
                r.tenant.as_str(),
                chained.seq as i64,
                r.at.as_unix_millis(),
                actor_type,
                actor,
                role,
                r.action,
                r.target,
                outcome,
                detail,
                chained.prev_hash.as_bytes().as_slice(),
                chained.hash.as_bytes().as_slice(),
            ])
            .unwrap();
    }
}

/// A chain written at schema version 7 (every record indexed as appended, no `audit_index`)
/// is indexed whole by the migration, keeps verifying, and is indexed in blocks from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_7_database_is_migrated_with_its_records_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut chain: Vec<ChainedRecord> = Vec::new();
    for i in 0..900 {
        let prev = chain.last().map(|r| (r.seq, r.hash));
        chain.push(ChainedRecord::link(prev, record(&tenant(), i)));
    }
    write_version_7_database(&path, &chain);

    let inbox = Arc::new(SqliteInbox::open(&path).await.unwrap());
    assert_eq!(inbox.schema_version().await.unwrap(), unibox_store_sqlite::SCHEMA_VERSION);
    let key = AuditKey::new("audit-2026-11", vec![9; 32]).unwrap();
    let trail = AuditTrail::new(inbox.clone(), key);
    let verification = trail.verify(&tenant()).await.unwrap();
    assert!(verification.is_intact(), "{:?}", verification.tamper);
    assert_eq!(verification.records, 900);
    for i in 900..1_100 {
        trail.record(record(&tenant(), i)).await.unwrap();
    }
    assert_queries_agree(inbox.as_ref(), &tenant()).await;
    assert!(trail.verify(&tenant()).await.unwrap().is_intact());
    drop(trail);
    Arc::try_unwrap(inbox).unwrap().close().await;

    let conn = Connection::open(&path).unwrap();
    let indexed: i64 =
        conn.query_row("SELECT count(*) FROM audit_index WHERE tenant = 'acme'", [], |row| row.get(0)).unwrap();
    assert_eq!(indexed, 1_024, "the 900 migrated records, then the rest of the block ending at 1,024");
    let old_indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(old_indexes, 0, "audit_log keeps only its primary key");
}

/// `verify` checks the query index too: a record deleted from it or misstated in it (which
/// would hide the record from queries) is found, though the chain itself is intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_the_query_index_is_found_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("untouched", "SELECT 1", None),
        ("deleted", "DELETE FROM audit_index WHERE seq = 500", Some(500)),
        ("misstated", "UPDATE audit_index SET actor = 'agent-9' WHERE seq = 42", Some(42)),
        ("moved", "UPDATE audit_index SET seq = 3000 WHERE seq = 1100", Some(1_100)),
        // A row past the chain's end makes the index claim the unindexed tail (2,049 on).
        (
            "extra",
            "INSERT INTO audit_index VALUES ('acme', 5000, 0, 'ann', 'message.send', 'conversation:0')",
            Some(2_049),
        ),
    ];
    for (name, sql, seq) in cases {
        let path = dir.path().join(format!("{name}.db"));
        let inbox = Arc::new(SqliteInbox::open(&path).await.unwrap());
        append(&inbox, &tenant(), 2_100).await;
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let trail = AuditTrail::new(inbox.clone(), AuditKey::new("audit", vec![5; 32]).unwrap());
        let verification = trail.verify(&tenant()).await.unwrap();
        let found = verification.tamper.map(|tamper| (tamper.seq, tamper.kind));
        assert_eq!(found, seq.map(|seq| (seq, TamperKind::IndexMismatch)), "{name}");
        assert_eq!(verification.records, 2_100, "{name}: the chain itself is whole");
    }
}
