//! [`PostgresInbox`]: the connected database, which the store's ports are implemented on.

use std::fmt;

use unibox_core::{Error, ErrorKind, Result};

use crate::migrations::{self, SCHEMA_VERSION};
use crate::options::PostgresOptions;
use crate::pool::{Db, connect_one};
use crate::roles::check_application_role;
use crate::sealing::Keys;

const OP: &str = "postgres.connect";

/// The PostgreSQL database of one deployment, connected as its application role: every tenant's
/// channel accounts and sealed tokens (and, as the store grows, the rest of the inbox), each row
/// visible only inside a transaction scoped to its tenant by row-level security.
///
/// ```no_run
/// # async fn start() -> unibox_core::Result<()> {
/// use unibox_store_postgres::{PostgresInbox, PostgresOptions};
/// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?
///     .migrate_with("postgres://unibox_owner@db.internal/unibox")?;
/// let inbox = PostgresInbox::connect(&options).await?;
/// # drop(inbox);
/// # Ok(())
/// # }
/// ```
pub struct PostgresInbox {
    pub(crate) db: Db,
    /// The data keys conversation data is sealed with (attached by the store).
    pub(crate) keys: Keys,
    /// Concurrent ingest calls of this process, committed together.
    pub(crate) group_commit: std::sync::Arc<crate::ingest::group::GroupCommit>,
}

impl fmt::Debug for PostgresInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresInbox").field("db", &self.db).finish()
    }
}

impl PostgresInbox {
    /// Connects as the application role of `options`, after applying pending migrations as the
    /// owner role when `options` name one ([`PostgresOptions::migrate_with`]).
    ///
    /// Fails with [`Configuration`](ErrorKind::Configuration) when the application role is a
    /// superuser, has `BYPASSRLS` or owns the tables (row-level security would not protect
    /// tenants from each other), when the schema is not migrated to this build's
    /// [`SCHEMA_VERSION`] or is newer than it; with a temporary [`Storage`](ErrorKind::Storage)
    /// error when PostgreSQL cannot be reached.
    pub async fn connect(options: &PostgresOptions) -> Result<Self> {
        if options.owner.is_some() {
            migrate(options).await?;
        }
        let db = Db::new(options)?;
        let client = db.client(OP).await?;
        check_application_role(&client).await?;
        let version = match migrations::applied_version(&client).await {
            Ok(version) => version,
            Err(error) if error.kind() == ErrorKind::Configuration => 0,
            Err(error) => return Err(error),
        };
        migrations::check_not_newer(version)?;
        if version < SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "the PostgreSQL schema is at version {version}, this build needs {SCHEMA_VERSION}: migrate it with \
                     the owner role (unibox_store_postgres::migrate, or PostgresOptions::migrate_with)"
                ),
            )
            .with_operation(OP));
        }
        drop(client);
        Ok(PostgresInbox { db, keys: Keys::default(), group_commit: Default::default() })
    }

    /// Attaches the data keys conversation data is sealed with (the store's vault): until then
    /// every operation on conversation data fails with a `Configuration` error. Held weakly,
    /// since the keys hold the inbox as their backend: keep them alive as long as the inbox.
    ///
    /// Fails with `Configuration` when keys are attached already.
    pub fn attach_keys(&self, keys: std::sync::Weak<dyn unibox_core::privacy::DataKeys>) -> Result<()> {
        self.keys.attach(keys)
    }

    /// For tests (feature `testing`): how many events this inbox's ingest stored set-based
    /// (whole groups of new messages, one statement per table), and how many times the
    /// set-based path failed and its calls were stored one by one instead.
    #[cfg(feature = "testing")]
    pub fn set_based_ingest_counts(&self) -> (u64, u64) {
        self.group_commit.set_based_counts()
    }

    /// For tests (feature `testing`): with `true`, ingest stores every call one by one (the
    /// per-event path), as before set-based storing, so a test can compare the two.
    #[cfg(feature = "testing")]
    pub fn store_ingest_per_call_only(&self, per_call_only: bool) {
        self.group_commit.store_per_call_only(per_call_only);
    }
}

/// Applies pending migrations as the owner role of `options` ([`PostgresOptions::migrate_with`])
/// and grants the application role of `options` (the user of its connection string) what it
/// needs. Safe to run from several processes at once; returns how many migrations this call
/// applied (0 when the schema was up to date).
///
/// Fails with [`Configuration`](ErrorKind::Configuration) when `options` name no owner or no
/// application user, or when the schema is newer than this build.
///
/// ```no_run
/// # async fn upgrade() -> unibox_core::Result<()> {
/// use unibox_store_postgres::PostgresOptions;
/// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?
///     .migrate_with("postgres://unibox_owner@db.internal/unibox")?;
/// let applied = unibox_store_postgres::migrate(&options).await?;
/// # let _ = applied;
/// # Ok(())
/// # }
/// ```
pub async fn migrate(options: &PostgresOptions) -> Result<usize> {
    const OP: &str = "postgres.migrate";
    let Some(owner) = &options.owner else {
        return Err(Error::new(
            ErrorKind::Configuration,
            "no owner connection to migrate with: set PostgresOptions::migrate_with",
        )
        .with_operation(OP));
    };
    let Some(app_role) = options.user() else {
        return Err(Error::new(
            ErrorKind::Configuration,
            "the application connection string names no user: the migration grants that role its privileges",
        )
        .with_operation(OP));
    };
    let mut client = connect_one(owner, &options.tls()?, options.connect_timeout, OP).await?;
    migrations::migrate(&mut client, app_role).await
}
