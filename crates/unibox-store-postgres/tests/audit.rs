//! The audit chains on PostgreSQL: the testkit's audit suite, appends from two connection pools
//! (two processes) keeping each tenant's chain linear, and verification finding an edit made
//! behind the store's back.

use std::sync::Arc;

use unibox_core::audit::{AuditKey, AuditLog, AuditOutcome, AuditRecord, AuditTrail, TamperKind, actions};
use unibox_core::{Actor, ErrorKind, Role, TenantId, Timestamp};
use unibox_store_postgres::PostgresInbox;
use unibox_store_postgres::testing::TestDatabase;

fn tenant(name: &str) -> TenantId {
    name.parse().unwrap()
}

fn record(tenant: &TenantId, i: u64, target: &str) -> AuditRecord {
    let actor = Actor::user(tenant.clone(), format!("agent-{}", i % 5).parse().unwrap(), Role::Agent);
    let at = Timestamp::from_unix_millis(1_732_170_000_000 + i as i64);
    AuditRecord::new(&actor, actions::MESSAGE_SEND, target, at, AuditOutcome::Success)
}

fn trail(log: Arc<PostgresInbox>) -> AuditTrail {
    AuditTrail::new(log, AuditKey::new("audit", vec![3; 32]).unwrap()).checkpoint_every(7)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_passes_the_testkit_audit_suite() {
    let Some(database) = TestDatabase::create("the_audit_log_passes_the_testkit_audit_suite").await else { return };
    let inbox = PostgresInbox::connect(&database.app_options()).await.unwrap();
    unibox_testkit::audit::run_all(&inbox).await;
}

/// Sixteen writers on two pools append to two tenants' chains at once: every append succeeds,
/// each chain holds exactly the appended records at seqs 1..=n with no gap or repeat, the
/// checkpoints signed along the way hold, and the chains verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_from_two_pools_keep_each_tenant_chain_linear() {
    let Some(database) = TestDatabase::create("appends_from_two_pools_keep_each_tenant_chain_linear").await else {
        return;
    };
    let pools = [
        Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap()),
        Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap()),
    ];
    let trails = [Arc::new(trail(pools[0].clone())), Arc::new(trail(pools[1].clone()))];
    let tenants = [tenant("acme"), tenant("globex")];
    const WRITERS: u64 = 16;
    const EACH: u64 = 20;
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let trail = trails[(writer % 2) as usize].clone();
        let log = pools[(writer % 2) as usize].clone();
        let tenant = tenants[((writer / 2) % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let target = format!("conversation:{writer}-{i}");
                if i % 2 == 0 {
                    // Through the trail, which signs a checkpoint every 7 records.
                    unibox_core::audit::AuditSink::record(trail.as_ref(), record(&tenant, i, &target)).await.unwrap();
                } else {
                    let chained = log.append(record(&tenant, i, &target)).await.unwrap();
                    assert_eq!(chained.record.target, target);
                    seqs.push(chained.seq);
                }
            }
            (tenant, seqs)
        }));
    }
    let mut answered: Vec<(TenantId, u64)> = Vec::new();
    for task in tasks {
        let (tenant, seqs) = task.await.unwrap();
        answered.extend(seqs.into_iter().map(|seq| (tenant.clone(), seq)));
    }
    for tenant in &tenants {
        let chain = pools[0].chain(tenant, 0, usize::MAX).await.unwrap();
        let per_tenant = WRITERS / 2 * EACH;
        assert_eq!(chain.iter().map(|r| r.seq).collect::<Vec<_>>(), (1..=per_tenant).collect::<Vec<_>>());
        for (t, seq) in answered.iter().filter(|(t, _)| t == tenant) {
            assert_eq!(&chain[*seq as usize - 1].record.tenant, t, "the seq answered is the record's");
        }
        let verification = trails[1].verify(tenant).await.unwrap();
        assert!(verification.is_intact(), "{tenant}: {:?}", verification.tamper);
        assert_eq!(verification.records, per_tenant);
        assert!(verification.checkpoints >= 1, "the trail signed checkpoints: {verification:?}");
        assert_eq!(pools[1].head(tenant).await.unwrap().map(|(seq, _)| seq), Some(per_tenant));
    }
}

/// A record edited directly in the database (as the superuser) no longer verifies: the
/// verification names its seq.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_behind_the_stores_back_is_found() {
    let Some(database) = TestDatabase::create("an_edit_behind_the_stores_back_is_found").await else { return };
    let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
    let acme = tenant("acme");
    for i in 0..5 {
        inbox.append(record(&acme, i, &format!("conversation:{i}"))).await.unwrap();
    }
    assert!(trail(inbox.clone()).verify(&acme).await.unwrap().is_intact());
    database
        .admin_execute("UPDATE audit_log SET target = 'conversation:elsewhere' WHERE tenant = 'acme' AND seq = 3")
        .await;
    let verification = trail(inbox.clone()).verify(&acme).await.unwrap();
    let tamper = verification.tamper.expect("the edit is found");
    assert_eq!((tamper.seq, tamper.kind), (3, TamperKind::Edited));
}

/// A record whose actor acts in another tenant is refused before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_of_another_tenants_actor_is_refused() {
    let Some(database) = TestDatabase::create("a_record_of_another_tenants_actor_is_refused").await else { return };
    let inbox = PostgresInbox::connect(&database.app_options()).await.unwrap();
    let mut foreign = record(&tenant("acme"), 1, "conversation:1");
    foreign.tenant = tenant("globex");
    assert_eq!(inbox.append(foreign).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(inbox.head(&tenant("globex")).await.unwrap(), None);
    assert_eq!(inbox.head(&tenant("acme")).await.unwrap(), None);
}
