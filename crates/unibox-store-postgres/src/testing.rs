//! Test databases (crate feature `testing`): a fresh schema per test, with an owner role that
//! migrated it and an application role to connect as, on the PostgreSQL of
//! `UNIBOX_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`; the URL's role
//! must be allowed to create roles and schemas).
//!
//! When PostgreSQL is not reachable, [`TestDatabase::create`] prints
//! `skipped: <test>: PostgreSQL not reachable at <url> (...)` and returns `None` (the test
//! returns early and passes), unless `UNIBOX_TEST_POSTGRES_REQUIRED=1`, where it panics.
//!
//! ```no_run
//! # async fn a_test() {
//! use unibox_store_postgres::PostgresInbox;
//! use unibox_store_postgres::testing::TestDatabase;
//! let Some(database) = TestDatabase::create("a_test").await else { return };
//! let inbox = PostgresInbox::connect(&database.app_options()).await.unwrap();
//! # drop(inbox);
//! # }
//! ```

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::Config;
use tokio_postgres::config::Host;

use crate::PostgresOptions;
use crate::migrations::quote;
use crate::pool::connect_one;
use crate::tls::Tls;

/// The variable naming the server tests use.
pub const URL: &str = "UNIBOX_TEST_POSTGRES_URL";
/// The variable that turns a skipped PostgreSQL test into a failure.
pub const REQUIRED: &str = "UNIBOX_TEST_POSTGRES_REQUIRED";
/// The server tests use when [`URL`] is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Generous: a loaded machine running many tests at once answers slowly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections per test's pool: many tests run in parallel.
const POOL_SIZE: usize = 4;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The admin URL tests use ([`URL`], or [`DEFAULT_URL`]).
pub fn admin_url() -> String {
    std::env::var(URL).unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Whether PostgreSQL tests must run (`UNIBOX_TEST_POSTGRES_REQUIRED=1`).
pub fn required() -> bool {
    std::env::var(REQUIRED).is_ok_and(|value| value == "1")
}

/// One test's schema and its two roles, dropped (best effort) with the value.
#[derive(Debug)]
pub struct TestDatabase {
    admin: Config,
    schema: String,
    owner: String,
    app: String,
    /// Kept on drop: a named database ([`TestDatabase::named`]) outlives the process.
    keep: bool,
}

impl TestDatabase {
    /// Creates a fresh schema for `test` (a unique name), its owner role (which migrates it) and
    /// its application role. `None`, after printing why, when PostgreSQL is not reachable and
    /// [`REQUIRED`] is not `1`.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is not reachable and [`REQUIRED`] is `1`, or when the server refuses to
    /// create the schema, the roles, or to migrate.
    pub async fn create(test: &str) -> Option<TestDatabase> {
        let database = Self::create_empty(test).await?;
        crate::migrate(&database.options_for(&database.app).migrate_with(&database.owner_url()).unwrap())
            .await
            .unwrap_or_else(|error| panic!("{test}: migrating the test schema: {error}"));
        Some(database)
    }

    /// As [`create`](Self::create), without migrating: the schema is empty (for tests of the
    /// migrations themselves).
    ///
    /// # Panics
    ///
    /// As [`create`](Self::create).
    pub async fn create_empty(test: &str) -> Option<TestDatabase> {
        let url = admin_url();
        let admin: Config = url.parse().unwrap_or_else(|_| panic!("{URL} is not a PostgreSQL connection string"));
        let client = match connect_one(&admin, &admin_tls(), CONNECT_TIMEOUT, "postgres.test").await {
            Ok(client) => client,
            Err(error) => {
                let why = format!("PostgreSQL not reachable at {url}");
                assert!(!required(), "{REQUIRED}=1 but {test} cannot run: {why}: {error}");
                let _ = writeln!(std::io::stderr(), "skipped: {test}: {why} (set {REQUIRED}=1 to fail instead)");
                return None;
            }
        };
        let unique = unique_suffix(test);
        let database = TestDatabase {
            admin,
            schema: format!("ubx_{unique}"),
            owner: format!("ubx_{unique}_owner"),
            app: format!("ubx_{unique}_app"),
            keep: false,
        };
        let (schema, owner, app) = (quote(&database.schema), quote(&database.owner), quote(&database.app));
        client
            .batch_execute(&format!(
                "CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS; \
                 CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS; \
                 CREATE SCHEMA {schema} AUTHORIZATION {owner};"
            ))
            .await
            .unwrap_or_else(|error| panic!("{test}: creating the test schema and roles: {error}"));
        Some(database)
    }

    /// A schema named `ubx_<name>` with its two roles, created and migrated if missing and kept
    /// when the value is dropped, so later runs (and other processes) reuse it: for benchmark
    /// fixtures too large to build per run. With `fresh`, an existing one is dropped first.
    /// `None`, after printing why, when PostgreSQL is not reachable and [`REQUIRED`] is not `1`.
    ///
    /// ```no_run
    /// # async fn a_bench() {
    /// use unibox_store_postgres::testing::TestDatabase;
    /// let Some(database) = TestDatabase::named("search_1m", false).await else { return };
    /// assert_eq!(database.schema(), "ubx_search_1m");
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// As [`create`](Self::create); also when `name` is not lowercase ASCII letters, digits and `_`.
    pub async fn named(name: &str, fresh: bool) -> Option<TestDatabase> {
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "a named test database takes lowercase ASCII letters, digits and `_`: {name:?}"
        );
        let url = admin_url();
        let admin: Config = url.parse().unwrap_or_else(|_| panic!("{URL} is not a PostgreSQL connection string"));
        let client = match connect_one(&admin, &admin_tls(), CONNECT_TIMEOUT, "postgres.test").await {
            Ok(client) => client,
            Err(error) => {
                let why = format!("PostgreSQL not reachable at {url}");
                assert!(!required(), "{REQUIRED}=1 but {name} cannot be opened: {why}: {error}");
                let _ = writeln!(std::io::stderr(), "skipped: {name}: {why} (set {REQUIRED}=1 to fail instead)");
                return None;
            }
        };
        let database = TestDatabase {
            admin,
            schema: format!("ubx_{name}"),
            owner: format!("ubx_{name}_owner"),
            app: format!("ubx_{name}_app"),
            keep: true,
        };
        if fresh {
            drop_database(&database.admin, &database.schema, &database.owner, &database.app).await;
        }
        let (schema, owner, app) = (quote(&database.schema), quote(&database.owner), quote(&database.app));
        // Roles have no IF NOT EXISTS; the names are checked above, so they are safe in a literal.
        client
            .batch_execute(&format!(
                "DO $$ BEGIN \
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{}') THEN \
                     CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; \
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{}') THEN \
                     CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; \
                 END $$; \
                 CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner};",
                database.owner, database.app
            ))
            .await
            .unwrap_or_else(|error| panic!("{name}: creating the named schema and roles: {error}"));
        crate::migrate(&database.options_for(&database.app).migrate_with(&database.owner_url()).unwrap())
            .await
            .unwrap_or_else(|error| panic!("{name}: migrating the named schema: {error}"));
        Some(database)
    }

    /// The schema's name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The owner role's name.
    pub fn owner_role(&self) -> &str {
        &self.owner
    }

    /// The application role's name.
    pub fn app_role(&self) -> &str {
        &self.app
    }

    /// Options to connect as the application role (search path: the schema; a pool of 4), with
    /// [`PostgresOptions::migrate_with`] the owner role.
    pub fn migrating_options(&self) -> PostgresOptions {
        self.app_options().migrate_with(&self.owner_url()).expect("a test connection string parses")
    }

    /// Options to connect as the application role (search path: the schema; a pool of 4).
    pub fn app_options(&self) -> PostgresOptions {
        self.options_for(&self.app)
    }

    /// The application role's connection string (search path: the schema).
    pub fn app_url(&self) -> String {
        self.url_for(&self.app)
    }

    /// The owner role's connection string (search path: the schema).
    pub fn owner_url(&self) -> String {
        self.url_for(&self.owner)
    }

    /// The admin (superuser) connection string, with the search path set to the schema.
    pub fn admin_url(&self) -> String {
        self.url_for(self.admin.get_user().unwrap_or("postgres"))
    }

    /// Options for `role` on the schema, as [`app_options`](Self::app_options) are for the
    /// application role (for tests that connect as the wrong role on purpose).
    pub fn options_for(&self, role: &str) -> PostgresOptions {
        PostgresOptions::new(&self.url_for(role))
            .expect("a test connection string parses")
            .pool_size(POOL_SIZE)
            .connect_timeout(CONNECT_TIMEOUT)
            .wait_timeout(CONNECT_TIMEOUT * 2)
    }

    /// Runs `sql` as the admin role, with the search path set to the schema.
    ///
    /// # Panics
    ///
    /// When it fails.
    pub async fn admin_execute(&self, sql: &str) {
        let config: Config = self.admin_url().parse().expect("the admin connection string parses");
        let client =
            connect_one(&config, &admin_tls(), CONNECT_TIMEOUT, "postgres.test").await.expect("connect as the admin");
        client.batch_execute(sql).await.unwrap_or_else(|error| panic!("as the admin: {sql}: {error}"));
    }

    fn url_for(&self, role: &str) -> String {
        let mut parts = Vec::new();
        if let Some(host) = self.admin.get_hosts().first() {
            match host {
                Host::Tcp(name) => parts.push(format!("host={}", value(name))),
                #[cfg(unix)]
                Host::Unix(path) => parts.push(format!("host={}", value(&path.display().to_string()))),
            }
        }
        if let Some(port) = self.admin.get_ports().first() {
            parts.push(format!("port={port}"));
        }
        if let Some(dbname) = self.admin.get_dbname() {
            parts.push(format!("dbname={}", value(dbname)));
        }
        if role == self.admin.get_user().unwrap_or("postgres")
            && let Some(password) = self.admin.get_password()
        {
            parts.push(format!("password={}", value(&String::from_utf8_lossy(password))));
        }
        parts.push(format!("user={}", value(role)));
        parts.push(format!("options={}", value(&format!("-c search_path={}", self.schema))));
        parts.join(" ")
    }
}

impl Drop for TestDatabase {
    /// Drops the schema and both roles, best effort, on a thread of its own (the test's
    /// runtime may be shutting down); a [named](TestDatabase::named) database is kept.
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let admin = self.admin.clone();
        let (schema, owner, app) = (self.schema.clone(), self.owner.clone(), self.app.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(drop_database(&admin, &schema, &owner, &app));
        });
        let _ = cleanup.join();
    }
}

/// Drops a schema and its two roles, best effort (their sessions are ended first).
async fn drop_database(admin: &Config, schema: &str, owner_name: &str, app_name: &str) {
    let (schema, owner, app) = (quote(schema), quote(owner_name), quote(app_name));
    let Ok(client) = connect_one(admin, &admin_tls(), CONNECT_TIMEOUT, "postgres.test").await else { return };
    let _ = client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 OR usename = $2",
            &[&owner_name, &app_name],
        )
        .await;
    let _ = client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; \
             DROP OWNED BY {app}; DROP OWNED BY {owner}; \
             DROP ROLE IF EXISTS {app}; DROP ROLE IF EXISTS {owner};"
        ))
        .await;
}

/// The admin connections' TLS: the system's root certificates (the admin URL's `sslmode` decides).
fn admin_tls() -> Tls {
    Tls::new(&[], true).expect("a TLS connector with the system's root certificates builds")
}

/// A key=value connection string value, quoted.
fn value(raw: &str) -> String {
    format!("'{}'", raw.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// 16 hex characters, different for every call in every process.
fn unique_suffix(test: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    test.hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    NEXT.fetch_add(1, Ordering::Relaxed).hash(&mut hasher);
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
