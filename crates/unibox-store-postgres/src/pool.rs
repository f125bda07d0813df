//! [`Db`]: the connection pool, and the one way every port talks to the database, a
//! tenant-scoped transaction ([`Db::tenant_tx`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction};
use tokio_postgres::{Client, Config};
use unibox_core::{Result, TenantId};

use crate::error::{PgResultExt, pool};
use crate::options::{PostgresOptions, Target};
use crate::tls::{self, Tls};

/// A boxed, sendable future borrowing a transaction, as the work of [`Db::tenant_tx`] returns.
pub(crate) type TxFuture<'t, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 't>>;

/// The application role's connection pool.
#[derive(Clone)]
pub(crate) struct Db {
    pool: Pool,
    /// `statement_timeout`, as PostgreSQL reads it (`"30000ms"`).
    statement_timeout: String,
    target: String,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("target", &self.target).finish_non_exhaustive()
    }
}

impl Db {
    /// The pool of `options` (no connection is opened yet), connecting through the TLS
    /// connector of `options` as the connection string's `sslmode` says.
    pub(crate) fn new(options: &PostgresOptions) -> Result<Self> {
        let mut config = options.app.clone();
        config.connect_timeout(options.connect_timeout);
        let manager =
            Manager::from_connect(config, options.tls()?, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .wait_timeout(Some(options.wait_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|_| {
                unibox_core::Error::new(unibox_core::ErrorKind::Configuration, "the PostgreSQL pool cannot be built")
                    .with_operation("postgres.connect")
            })?;
        Ok(Db {
            pool,
            statement_timeout: format!("{}ms", options.statement_timeout.as_millis()),
            target: format!("{:?}", Target(&options.app)),
        })
    }

    /// A pooled connection, for checks outside any tenant (the role check at connect).
    pub(crate) async fn client(&self, operation: &'static str) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|err| pool(operation, err))
    }

    /// Runs `work` in one transaction scoped to `tenant`: the transaction first sets
    /// `unibox.tenant` (which the row-level security policies of every tenant table compare
    /// with) and the statement timeout, both local to it. Commits when `work` returns `Ok`,
    /// rolls back when it fails; a cancelled call rolls back too (the transaction's drop).
    ///
    /// Queries inside still say `WHERE tenant = $1`: the policy is the second wall, not the first.
    pub(crate) async fn tenant_tx<T, F>(&self, operation: &'static str, tenant: &TenantId, work: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(&'t Transaction<'t>) -> TxFuture<'t, T> + Send,
    {
        self.scoped_tx(operation, Some(tenant.as_str()), work).await
    }

    /// Runs `work` in a transaction that belongs to no tenant: every tenant table looks empty
    /// in it, and only the routing functions answer (webhook routing).
    pub(crate) async fn shared_tx<T, F>(&self, operation: &'static str, work: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(&'t Transaction<'t>) -> TxFuture<'t, T> + Send,
    {
        self.scoped_tx(operation, None, work).await
    }

    async fn scoped_tx<T, F>(&self, operation: &'static str, tenant: Option<&str>, work: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(&'t Transaction<'t>) -> TxFuture<'t, T> + Send,
    {
        let mut client = self.client(operation).await?;
        let tx = client.transaction().await.during(operation)?;
        let scope = tx
            .prepare_cached(
                "SELECT set_config('unibox.tenant', coalesce($1, ''), true), set_config('statement_timeout', $2, true)",
            )
            .await
            .during(operation)?;
        tx.execute(&scope, &[&tenant, &self.statement_timeout]).await.during(operation)?;
        match work(&tx).await {
            Ok(value) => {
                tx.commit().await.during(operation)?;
                Ok(value)
            }
            Err(error) => {
                // The error to report is the work's; a failed rollback only closes the connection.
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }
}

/// One connection outside any pool (migrations, tests), through `tls` as the connection
/// string's `sslmode` says, its driver task spawned on tokio.
pub(crate) async fn connect_one(
    config: &Config,
    tls: &Tls,
    timeout: Duration,
    operation: &'static str,
) -> Result<Client> {
    let mut config = config.clone();
    config.connect_timeout(timeout);
    let (client, connection) = tls::connect(&config, tls).await.during(operation)?;
    tls::spawn_driver(connection);
    Ok(client)
}

/// The transaction every port's work runs in.
pub(crate) type Tx<'a> = Transaction<'a>;

/// Takes a transaction-level advisory lock on `key` (released at commit or rollback): writes
/// keyed by the same platform message or customer identity, from any process, run one after
/// the other, and the later one sees what the earlier committed.
pub(crate) async fn lock_key(tx: &Tx<'_>, key: &str, operation: &'static str) -> Result<()> {
    let statement =
        tx.prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").await.during(operation)?;
    tx.execute(&statement, &[&key]).await.during(operation)?;
    Ok(())
}

/// Takes the transaction-scoped advisory locks of `keys` in one statement, in the order of the
/// keys' hashes (each once). Every writer that takes more than one of the locks ingest takes
/// (ingest's groups, a contact erasure) does it here, so two of them take the locks they share
/// in the same order and cannot deadlock on them. Taking a lock already held is a no-op.
pub(crate) async fn lock_keys_in_order(tx: &Tx<'_>, keys: &[String], operation: &'static str) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    // Volatile functions of the select list run after the sort: the locks are taken in order.
    let statement = tx
        .prepare_cached(
            "SELECT pg_advisory_xact_lock(h) FROM \
             (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::TEXT[]) AS k) AS s ORDER BY h",
        )
        .await
        .during(operation)?;
    tx.execute(&statement, &[&keys]).await.during(operation)?;
    Ok(())
}
