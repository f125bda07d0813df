//! The [`AuditLog`] conformance suite: per-tenant hash chains, pages, queries, checkpoints.
//!
//! Every check uses fresh tenants, so all of them can share one log. [`run_all`] runs them and
//! panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryAuditLog;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::audit::run_all(&MemoryAuditLog::new()).await;
//! # });
//! ```

use unibox_core::audit::{AuditHash, AuditKey, AuditLog, AuditOutcome, AuditQuery, AuditRecord, actions, verify_chain};
use unibox_core::{Actor, ErrorKind, Role, TenantId};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{assert_kind, catch_panic, ok};

fn tenant() -> TenantId {
    let id = unibox_core::ConversationId::new().to_string().replace('-', "");
    fixtures::tenant(&format!("t-{}", &id[20..]))
}

/// The i-th record of a realistic mix: an admin connecting channels, agents sending and being
/// assigned, a viewer denied, an automation replying.
fn record(tenant: &TenantId, i: i64) -> AuditRecord {
    let (actor, action, outcome) = match i % 4 {
        0 => (
            Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin),
            actions::CHANNEL_CONNECT,
            AuditOutcome::Success,
        ),
        1 => (
            Actor::user(tenant.clone(), "nok".parse().unwrap(), Role::Agent),
            actions::MESSAGE_SEND,
            AuditOutcome::Success,
        ),
        2 => (
            Actor::user(tenant.clone(), "vic".parse().unwrap(), Role::Viewer),
            actions::MESSAGE_SEND,
            AuditOutcome::Denied { reason: "vic (viewer) lacks the send_message permission".into() },
        ),
        _ => (Actor::automation(tenant.clone(), "auto-reply"), actions::AUTO_REPLY_TRIGGERED, AuditOutcome::Success),
    };
    AuditRecord::new(&actor, action, format!("conversation:{}", i / 2), fixtures::at(i * 60), outcome)
}

async fn append_all(log: &dyn AuditLog, tenant: &TenantId, count: i64) {
    for i in 0..count {
        ok(log.append(record(tenant, i)).await, "append");
    }
}

/// Appends get seqs 1, 2, 3..., each linked to the one before and hashed over its content; the
/// head is the last; the stored chain verifies.
pub async fn append_links_records_into_a_chain(log: &dyn AuditLog) {
    let tenant = tenant();
    assert_eq!(ok(log.head(&tenant).await, "head of an empty chain"), None);
    let mut prev = AuditHash::GENESIS;
    for i in 0..5 {
        let chained = ok(log.append(record(&tenant, i)).await, "append");
        assert_eq!(chained.seq, i as u64 + 1, "seq");
        assert_eq!(chained.prev_hash, prev, "link");
        assert!(chained.hash_matches(), "hash");
        assert_eq!(chained.record, record(&tenant, i), "stored as given");
        prev = chained.hash;
    }
    assert_eq!(ok(log.head(&tenant).await, "head"), Some((5, prev)));
    let chain = ok(log.chain(&tenant, 0, 100).await, "chain");
    assert_eq!(chain.len(), 5);
    let key = AuditKey::new("testkit", vec![3; 32]).expect("a key");
    assert!(verify_chain(&tenant, &chain, Vec::new(), &[&key]).is_intact(), "the stored chain verifies");
}

/// Each tenant has its own chain from seq 1; reads never cross tenants.
pub async fn chains_are_per_tenant(log: &dyn AuditLog) {
    let (acme, globex) = (tenant(), tenant());
    for i in 0..6 {
        let tenant = if i % 2 == 0 { &acme } else { &globex };
        ok(log.append(record(tenant, i)).await, "append");
    }
    let acme_chain = ok(log.chain(&acme, 0, 100).await, "chain acme");
    let globex_chain = ok(log.chain(&globex, 0, 100).await, "chain globex");
    assert_eq!(acme_chain.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(globex_chain.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(acme_chain.iter().all(|r| r.record.tenant == acme));
    let page = ok(log.query(&globex, &AuditQuery::new()).await, "query globex");
    assert!(page.items.iter().all(|r| r.record.tenant == globex));
    assert_eq!(page.items.len(), 3);
}

/// `chain(after, limit)` pages through the chain in seq order.
pub async fn chain_pages_in_order(log: &dyn AuditLog) {
    let tenant = tenant();
    append_all(log, &tenant, 25).await;
    let page = ok(log.chain(&tenant, 10, 5).await, "chain after 10");
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![11, 12, 13, 14, 15]);
    assert!(ok(log.chain(&tenant, 25, 5).await, "chain after the end").is_empty());
    assert_eq!(ok(log.chain(&tenant, 22, 50).await, "last page").len(), 3);
}

/// Queries filter by actor, action, target and time, newest first, in keyset pages that never
/// repeat or skip a record.
pub async fn query_filters_and_pages(log: &dyn AuditLog) {
    let tenant = tenant();
    append_all(log, &tenant, 40).await;
    let seqs = |items: &[unibox_core::audit::ChainedRecord]| items.iter().map(|r| r.seq).collect::<Vec<_>>();

    let by_nok = ok(log.query(&tenant, &AuditQuery::new().actor("nok").limit(500)).await, "by actor");
    assert_eq!(seqs(&by_nok.items), (0..40).rev().filter(|i| i % 4 == 1).map(|i| i as u64 + 1).collect::<Vec<_>>());
    let automation = ok(log.query(&tenant, &AuditQuery::new().actor("auto-reply")).await, "by automation");
    assert_eq!(automation.items.len(), 10);
    let sends = ok(log.query(&tenant, &AuditQuery::new().action(actions::MESSAGE_SEND)).await, "by action");
    assert_eq!(sends.items.len(), 20);
    let target = ok(log.query(&tenant, &AuditQuery::new().target("conversation:7")).await, "by target");
    assert_eq!(seqs(&target.items), vec![16, 15]);
    let window = AuditQuery::new().since(fixtures::at(10 * 60)).until(fixtures::at(20 * 60));
    let window = ok(log.query(&tenant, &window).await, "by time");
    assert_eq!(seqs(&window.items), (11..=20).rev().collect::<Vec<u64>>(), "since is inclusive, until exclusive");

    let mut seen = Vec::new();
    let mut next = None;
    let mut pages = 0;
    loop {
        let page = ok(log.query(&tenant, &AuditQuery::new().limit(7).before_seq(next)).await, "page");
        seen.extend(seqs(&page.items));
        pages += 1;
        next = page.next;
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen, (1..=40).rev().collect::<Vec<u64>>(), "pages cover every record once, newest first");
    assert_eq!(pages, 6);
    assert_kind(log.query(&tenant, &AuditQuery::new().limit(0)).await, ErrorKind::InvalidInput, "limit 0");
    assert_kind(log.query(&tenant, &AuditQuery::new().limit(501)).await, ErrorKind::InvalidInput, "limit 501");
}

/// Checkpoints are kept per tenant, returned oldest first, exactly as saved.
pub async fn checkpoints_round_trip(log: &dyn AuditLog) {
    let (acme, globex) = (tenant(), tenant());
    append_all(log, &acme, 4).await;
    let key = AuditKey::new("testkit", vec![5; 32]).expect("a key");
    let chain = ok(log.chain(&acme, 0, 10).await, "chain");
    let late = key.sign(&acme, 4, chain[3].hash, fixtures::at(600));
    let early = key.sign(&acme, 2, chain[1].hash, fixtures::at(300));
    ok(log.save_checkpoint(&late).await, "save checkpoint");
    ok(log.save_checkpoint(&early).await, "save checkpoint");
    let stored = ok(log.checkpoints(&acme).await, "checkpoints");
    assert_eq!(stored, vec![early.clone(), late.clone()]);
    assert!(ok(log.checkpoints(&globex).await, "checkpoints of another tenant").is_empty());
    let verification = verify_chain(&acme, &chain, stored, &[&key]);
    assert!(verification.is_intact(), "{:?}", verification.tamper);
    assert_eq!(verification.checkpoints, 2);
}

type Check = for<'a> fn(&'a dyn AuditLog) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("append_links_records_into_a_chain", |l| Box::pin(append_links_records_into_a_chain(l))),
    ("chains_are_per_tenant", |l| Box::pin(chains_are_per_tenant(l))),
    ("chain_pages_in_order", |l| Box::pin(chain_pages_in_order(l))),
    ("query_filters_and_pages", |l| Box::pin(query_filters_and_pages(l))),
    ("checkpoints_round_trip", |l| Box::pin(checkpoints_round_trip(l))),
];

/// Runs every check against `log` and panics with the name and message of each that failed.
pub async fn run_all(log: &dyn AuditLog) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(log)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "audit log conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
