//! Retention and erasure on PostgreSQL: the testkit's lifecycle suite (also part of the
//! harness), and what only the database shows: after a tenant deletion no row of the tenant is
//! left in any table, its accounts no longer route, and its append-only credits went too; a
//! privacy request's platform user id is stored sealed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use unibox_core::lifecycle::{LifecycleJob, RetentionPolicies};
use unibox_core::metering::CreditChange;
use unibox_core::privacy::{DeletionRequest, DeletionStatus, PrivacyRequestKind};
use unibox_core::store::Store;
use unibox_core::{IdentityKind, TenantId};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::{fixtures, lifecycle};
use unibox_vault::{Keyring, StoreKeys};

async fn store(database: &TestDatabase) -> Store {
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).unwrap()).unwrap();
    Store::from(PostgresStore::connect(&database.app_options(), keys).await.unwrap())
}

/// Rows of `tenant` in every table with a tenant column but `privacy_requests` (kept on
/// purpose), and in the routing registry; read as the schema's owner-independent admin.
async fn rows_left(database: &TestDatabase, tenant: &TenantId) -> Vec<(String, i64)> {
    let config: tokio_postgres::Config = database.admin_url().parse().unwrap();
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let tables: Vec<String> = client
        .query(
            "SELECT c.table_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND c.column_name = 'tenant' AND t.table_type = 'BASE TABLE' \
             AND c.table_name <> 'privacy_requests' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(tables.len() > 30, "{tables:?}");
    let mut left = Vec::new();
    for table in tables {
        // The admin is a superuser: row-level security does not hide other tenants' rows from it.
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM \"{table}\" WHERE tenant = $1"), &[&tenant.as_str()])
            .await
            .unwrap()
            .get(0);
        if n > 0 {
            left.push((table, n));
        }
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_passes_the_testkit_lifecycle_suite() {
    const TEST: &str = "the_lifecycle_passes_the_testkit_lifecycle_suite";
    if TestDatabase::create(TEST).await.is_none() {
        return;
    }
    let databases: Arc<Mutex<Vec<TestDatabase>>> = Arc::default();
    let factory = {
        let databases = databases.clone();
        move || {
            let databases = databases.clone();
            async move {
                let database = TestDatabase::create(TEST).await.expect("PostgreSQL was reachable a moment ago");
                let store = store(&database).await;
                databases.lock().unwrap().push(database);
                store
            }
        }
    };
    lifecycle::run_all(&factory).await;
    let all = std::mem::take(&mut *databases.lock().unwrap());
    assert_eq!(all.len(), lifecycle::CHECKS, "each check ran on a store of its own");
    tokio::task::spawn_blocking(move || drop(all)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_deletion_leaves_no_row_no_route_and_no_credit() {
    let Some(database) = TestDatabase::create("tenant_deletion_leaves_no_row_no_route_and_no_credit").await else {
        return;
    };
    let (hub, clock) = lifecycle::hub(store(&database).await);
    let gone = fixtures::tenant("leaving");
    let staying = fixtures::tenant("staying");
    let gone_line = fixtures::line_account(&gone);
    let staying_line = fixtures::account(&staying, "line-2", unibox_core::ChannelKind::LINE, "Ub-staying");
    let user = fixtures::customer(IdentityKind::LineUserId, 4);
    for n in 0..5 {
        let at = lifecycle::now();
        lifecycle::text(&hub, &gone_line, &user, &format!("g-{n}"), &format!("leaving words {n}"), at).await;
    }
    lifecycle::text(&hub, &staying_line, &user, "s-1", "staying words", lifecycle::now()).await;
    let credits = hub.store().credits.clone().expect("credits");
    for tenant in [&gone, &staying] {
        credits.append(CreditChange::purchase(tenant.clone(), 10, lifecycle::now())).await.unwrap();
        credits.append(CreditChange::debit(tenant.clone(), 1, lifecycle::now())).await.unwrap();
    }
    assert!(!rows_left(&database, &gone).await.is_empty(), "the tenant has rows before");

    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(4).pause(Duration::ZERO);
    job.request_tenant_deletion(&gone).await.unwrap();
    clock.advance(Duration::from_secs(60));
    let report = job.run_once().await.unwrap();
    assert!(report.completed.iter().any(|r| r.kind == PrivacyRequestKind::TenantDeletion), "{report:?}");

    assert_eq!(rows_left(&database, &gone).await, Vec::<(String, i64)>::new(), "no row of the tenant is left");
    let route = hub.store().accounts.route(&gone_line.channel, &gone_line.platform_account_id).await.unwrap();
    assert!(route.is_none(), "the deleted tenant's account no longer routes");
    let route = hub.store().accounts.route(&staying_line.channel, &staying_line.platform_account_id).await.unwrap();
    assert_eq!(route.map(|account| account.id), Some(staying_line.id), "the other tenant's account still routes");
    assert_eq!(credits.balance(&staying).await.unwrap(), 9, "the other tenant keeps its ledger");
    assert!(rows_left(&database, &staying).await.len() > 10, "the other tenant keeps its rows");
    // The ledger stays append-only for normal writes once no tenant deletion is pending.
    credits.append(CreditChange::purchase(gone.clone(), 5, lifecycle::now())).await.unwrap();
    assert_eq!(credits.balance(&gone).await.unwrap(), 5, "a new ledger starts from nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privacy_requests_platform_user_id_is_stored_sealed() {
    let Some(database) = TestDatabase::create("a_privacy_requests_platform_user_id_is_stored_sealed").await else {
        return;
    };
    const USER: &str = "5810293746102938";
    let (hub, _clock) = lifecycle::hub(store(&database).await);
    let tenant = fixtures::tenant("sealed-privacy");
    let line = fixtures::line_account(&tenant);
    let conversation = lifecycle::text(
        &hub,
        &line,
        &fixtures::customer(IdentityKind::LineUserId, 1),
        "m-1",
        "hello",
        lifecycle::now(),
    )
    .await;
    let requests = hub.store().deletion_requests.clone().expect("requests");
    requests.link_platform_user(&tenant, "meta", USER, conversation.contact).await.unwrap();
    requests.link_platform_user(&tenant, "meta", USER, conversation.contact).await.unwrap();
    let request = DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code: "5ea1ed".into(),
        kind: PrivacyRequestKind::DataDeletion,
        platform: "meta".into(),
        platform_user_id: USER.into(),
        contacts: vec![conversation.contact],
        status: DeletionStatus::Received,
        requested_at: lifecycle::now(),
        updated_at: lifecycle::now(),
    };
    let opened = requests.open(request).await.unwrap();
    assert_eq!(opened.platform_user_id, USER, "the request reads back its user id");
    assert_eq!(requests.linked_contacts(&tenant, "meta", USER).await.unwrap(), vec![conversation.contact]);
    assert!(requests.linked_contacts(&tenant, "line", USER).await.unwrap().is_empty(), "the platform is part of it");

    let config: tokio_postgres::Config = database.admin_url().parse().unwrap();
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    for table in ["privacy_user_links", "privacy_requests"] {
        let row = client
            .query_one(
                &format!(
                    "SELECT count(*), count(platform_user_id_sealed) FROM \"{table}\" \
                     WHERE tenant = $1 AND platform_user_id = $2"
                ),
                &[&tenant.as_str(), &USER],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, i64>(0), 0, "{table} holds no plaintext user id");
        let sealed: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM \"{table}\" WHERE tenant = $1 AND platform_user_id_sealed IS NOT NULL"),
                &[&tenant.as_str()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(sealed, 1, "{table} holds one sealed user id");
    }

    // After the tenant's keys are destroyed the request still reads, its user id unreadable.
    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap();
    job.request_tenant_deletion(&tenant).await.unwrap();
    let kept = requests.get(&tenant, "5ea1ed").await.unwrap().expect("the request is kept");
    assert_eq!((kept.kind, kept.platform_user_id.as_str()), (PrivacyRequestKind::DataDeletion, ""));
}
