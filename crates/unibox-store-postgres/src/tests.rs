//! Tests of the foundation against a real PostgreSQL ([`crate::testing`]): migrations, the role
//! check, row-level security under [`Db::tenant_tx`], and errors that carry no values.

use unibox_core::{ErrorKind, TenantId};

use crate::pool::Db;
use crate::testing::TestDatabase;
use crate::{PostgresInbox, SCHEMA_VERSION, migrate};

fn tenant(name: &str) -> TenantId {
    name.parse().unwrap()
}

async fn connect(database: &TestDatabase) -> PostgresInbox {
    PostgresInbox::connect(&database.app_options()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_safe_under_concurrent_migrators() {
    let Some(database) =
        TestDatabase::create_empty("migrations_are_idempotent_and_safe_under_concurrent_migrators").await
    else {
        return;
    };
    let options = database.migrating_options();
    let migrators: Vec<_> = (0..4)
        .map(|_| {
            let options = options.clone();
            tokio::spawn(async move { migrate(&options).await })
        })
        .collect();
    let mut applied = Vec::new();
    for migrator in migrators {
        applied.push(migrator.await.unwrap().expect("every concurrent migrator succeeds"));
    }
    assert_eq!(applied.iter().sum::<usize>(), SCHEMA_VERSION as usize, "each migration applied once: {applied:?}");
    assert_eq!(migrate(&options).await.unwrap(), 0, "migrating again applies nothing");
    // Connecting with the owner named migrates too, and finds nothing to do either.
    let inbox = PostgresInbox::connect(&options).await.unwrap();
    let client = inbox.db.client("test").await.unwrap();
    let rows = client.query("SELECT version FROM unibox_migrations ORDER BY version", &[]).await.unwrap();
    let versions: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_unmigrated_or_newer_schema_is_refused_at_connect() {
    let Some(database) = TestDatabase::create_empty("an_unmigrated_or_newer_schema_is_refused_at_connect").await else {
        return;
    };
    let error = PostgresInbox::connect(&database.app_options()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.message().contains("is at version 0"), "{error}");

    migrate(&database.migrating_options()).await.unwrap();
    connect(&database).await;
    database
        .admin_execute(&format!(
            "INSERT INTO unibox_migrations (version, name) VALUES ({}, 'future')",
            SCHEMA_VERSION + 1
        ))
        .await;
    let error = PostgresInbox::connect(&database.app_options()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.message().contains("newer than this build"), "{error}");
    let error = migrate(&database.migrating_options()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "a newer schema is not migrated either: {error}");
}

#[tokio::test]
async fn roles_that_row_level_security_does_not_bind_are_refused() {
    let Some(database) = TestDatabase::create("roles_that_row_level_security_does_not_bind_are_refused").await else {
        return;
    };
    let superuser = crate::PostgresOptions::new(&database.admin_url()).unwrap();
    let error = PostgresInbox::connect(&superuser).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.message().contains("is a superuser: row-level security does not apply to it"), "{error}");
    assert!(error.message().contains("connect as an application role"), "{error}");

    let owner = database.options_for(database.owner_role());
    let error = PostgresInbox::connect(&owner).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.message().contains(&format!("the role `{}` owns", database.owner_role())), "{error}");

    // A member of the owner role could act as the owner: refused the same way.
    database.admin_execute(&format!("GRANT \"{}\" TO \"{}\"", database.owner_role(), database.app_role())).await;
    let error = PostgresInbox::connect(&database.app_options()).await.unwrap_err();
    assert!(error.message().contains("can act as the owner"), "{error}");
    database.admin_execute(&format!("REVOKE \"{}\" FROM \"{}\"", database.owner_role(), database.app_role())).await;

    database.admin_execute(&format!("ALTER ROLE \"{}\" BYPASSRLS", database.app_role())).await;
    let error = PostgresInbox::connect(&database.app_options()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.message().contains("has BYPASSRLS"), "{error}");

    database.admin_execute(&format!("ALTER ROLE \"{}\" NOBYPASSRLS", database.app_role())).await;
    connect(&database).await;
}

/// Stores one token row for `tenant` through its own scoped transaction.
async fn store_row(db: &Db, tenant: &TenantId, holder: &str) {
    let (tenant_name, holder) = (tenant.as_str().to_owned(), holder.to_owned());
    db.tenant_tx("test", tenant, move |tx| {
        Box::pin(async move {
            tx.execute(
                "INSERT INTO vault_leases (tenant, account, holder, until) VALUES ($1, $2, $3, 0)",
                &[&tenant_name, &uuid::Uuid::now_v7(), &holder],
            )
            .await
            .map_err(|err| crate::error::storage("test", err))?;
            Ok(())
        })
    })
    .await
    .unwrap();
}

/// Every lease row the transaction can see, with deliberately no WHERE clause: the policy alone
/// scopes it.
fn unscoped_leases<'t>(tx: &'t deadpool_postgres::Transaction<'t>) -> crate::pool::TxFuture<'t, Vec<(String, String)>> {
    Box::pin(async move {
        let rows = tx
            .query("SELECT tenant, holder FROM vault_leases ORDER BY holder", &[])
            .await
            .map_err(|err| crate::error::storage("test", err))?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    })
}

#[tokio::test]
async fn an_unscoped_query_sees_only_the_transaction_s_tenant() {
    let Some(database) = TestDatabase::create("an_unscoped_query_sees_only_the_transaction_s_tenant").await else {
        return;
    };
    let inbox = connect(&database).await;
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    store_row(&inbox.db, &acme, "acme-refresher").await;
    store_row(&inbox.db, &globex, "globex-refresher").await;
    store_row(&inbox.db, &globex, "globex-refresher-2").await;

    let seen = |tenant: Option<TenantId>| {
        let db = inbox.db.clone();
        async move {
            let work = unscoped_leases;
            match tenant {
                Some(tenant) => db.tenant_tx("test", &tenant, work).await.unwrap(),
                None => db.shared_tx("test", work).await.unwrap(),
            }
        }
    };
    assert_eq!(seen(Some(acme.clone())).await, vec![("acme".to_owned(), "acme-refresher".to_owned())]);
    assert_eq!(seen(Some(globex.clone())).await.len(), 2);
    assert!(seen(None).await.is_empty(), "a transaction of no tenant sees no rows");

    // Writing another tenant's row from acme's transaction is refused by the policy.
    let error = inbox
        .db
        .tenant_tx("test", &acme, |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO vault_leases (tenant, account, holder, until) VALUES ('globex', $1, 'intruder', 0)",
                    &[&uuid::Uuid::now_v7()],
                )
                .await
                .map_err(|err| crate::error::storage("test", err))?;
                Ok(())
            })
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert_eq!(seen(Some(globex)).await.len(), 2, "nothing was written");
    // Nor can acme's transaction change globex's rows: they are invisible to its UPDATE.
    let changed = inbox
        .db
        .tenant_tx("test", &acme, |tx| {
            Box::pin(async move {
                tx.execute("UPDATE vault_leases SET holder = 'taken' WHERE holder LIKE 'globex%'", &[])
                    .await
                    .map_err(|err| crate::error::storage("test", err))
            })
        })
        .await
        .unwrap();
    assert_eq!(changed, 0);
}

#[tokio::test]
async fn errors_carry_no_values() {
    let Some(database) = TestDatabase::create("errors_carry_no_values").await else {
        return;
    };
    let inbox = connect(&database).await;
    let acme = tenant("acme");
    const SECRET: &str = "a-value-that-must-not-leak-4711";
    let account = uuid::Uuid::now_v7();
    let insert = |db: Db| async move {
        db.tenant_tx("test.insert", &tenant("acme"), move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO vault_leases (tenant, account, holder, until) VALUES ('acme', $1, $2, 0)",
                    &[&account, &SECRET],
                )
                .await
                .map_err(|err| crate::error::storage("test.insert", err))?;
                Ok(())
            })
        })
        .await
    };
    insert(inbox.db.clone()).await.unwrap();
    let duplicate = insert(inbox.db.clone()).await.unwrap_err();
    assert_eq!(duplicate.kind(), ErrorKind::Conflict, "{duplicate}");
    assert!(duplicate.is_temporary(), "a unique violation is a race a retry resolves: {duplicate}");
    let account_text = account.to_string();
    for text in [duplicate.to_string(), format!("{duplicate:?}")] {
        assert!(!text.contains(SECRET) && !text.contains(&account_text), "the error shows a value: {text}");
        assert!(
            text.contains("23505") && text.contains("vault_leases_pkey"),
            "it names the code and constraint: {text}"
        );
    }

    // A value PostgreSQL cannot take (a NUL byte in text) is refused without being repeated.
    let refused = inbox
        .db
        .tenant_tx("test.refused", &acme, |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO vault_leases (tenant, account, holder, until) VALUES ('acme', $1, $2::text || chr(0), 0)",
                    &[&uuid::Uuid::now_v7(), &SECRET],
                )
                .await
                .map_err(|err| crate::error::storage("test.refused", err))
            })
        })
        .await
        .unwrap_err();
    for text in [refused.to_string(), format!("{refused:?}")] {
        assert!(!text.contains(SECRET), "the error shows a value: {text}");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_temporary_storage_error() {
    // Port 1 on the loopback: nothing listens there.
    let options = crate::PostgresOptions::new("host=127.0.0.1 port=1 user=nobody dbname=none")
        .unwrap()
        .connect_timeout(std::time::Duration::from_secs(5))
        .wait_timeout(std::time::Duration::from_secs(5));
    let error = PostgresInbox::connect(&options).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Storage, "{error}");
    assert!(error.is_temporary(), "{error}");
}

#[tokio::test]
async fn routing_crosses_tenants_only_through_the_registry() {
    use unibox_core::inbox::ChannelAccounts;
    use unibox_core::{ChannelAccount, ChannelKind, Timestamp};
    let Some(database) = TestDatabase::create("routing_crosses_tenants_only_through_the_registry").await else {
        return;
    };
    let inbox = connect(&database).await;
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let line = "line".parse().unwrap();
    let account =
        ChannelAccount::new(acme.clone(), "line".parse().unwrap(), ChannelKind::LINE, "Ub99", Timestamp::UNIX_EPOCH);
    inbox.save_account(&account).await.unwrap();
    assert_eq!(inbox.route(&line, "Ub99").await.unwrap(), Some(account.clone()));
    assert_eq!(inbox.route(&line, "Ub98").await.unwrap(), None);

    // Another tenant can take neither the platform id nor the account id.
    let rival =
        ChannelAccount::new(globex.clone(), "line".parse().unwrap(), ChannelKind::LINE, "Ub99", Timestamp::UNIX_EPOCH);
    assert_eq!(inbox.save_account(&rival).await.unwrap_err().kind(), ErrorKind::Conflict);
    let mut stolen = account.clone();
    stolen.tenant = globex.clone();
    stolen.platform_account_id = "Ub77".into();
    assert_eq!(inbox.save_account(&stolen).await.unwrap_err().kind(), ErrorKind::Conflict);
    assert!(inbox.accounts(&globex).await.unwrap().is_empty());
    assert_eq!(inbox.account(&globex, account.id).await.unwrap_err().kind(), ErrorKind::NotFound);

    // Moving the account to a new platform id frees the old one.
    let mut moved = account.clone();
    moved.platform_account_id = "Ub42".into();
    inbox.save_account(&moved).await.unwrap();
    assert_eq!(inbox.route(&line, "Ub99").await.unwrap(), None);
    assert_eq!(inbox.route(&line, "Ub42").await.unwrap(), Some(moved));
    inbox.save_account(&rival).await.unwrap();
    assert_eq!(inbox.route(&line, "Ub99").await.unwrap().map(|a| a.tenant), Some(globex));

    // The application role cannot read the registry itself.
    let client = inbox.db.client("test").await.unwrap();
    let error = client.query("SELECT * FROM account_registry", &[]).await.unwrap_err();
    assert_eq!(error.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
}
