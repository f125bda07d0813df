//! How a [`PostgresStore`](crate::PostgresStore) connects: [`PostgresOptions`].

use std::fmt;
use std::time::Duration;

use tokio_postgres::Config;
use unibox_core::{Error, ErrorKind, Result};

/// Where and how the store connects to PostgreSQL.
///
/// Two roles are involved (see the crate documentation): the **application role** of `url`,
/// which every request runs as, and, optionally, the **owner role** of
/// [`migrate_with`](Self::migrate_with), which owns the tables and applies migrations at
/// connect. Connections are plain TCP or Unix sockets: no TLS connector is built in yet, so
/// keep the database on a private network or a local socket.
///
/// Nothing secret is ever printed: `Debug` shows the host, port, database and user, never a
/// password.
///
/// ```
/// use std::time::Duration;
/// use unibox_store_postgres::PostgresOptions;
/// let options = PostgresOptions::new("postgres://unibox_app:s3cret@db.internal/unibox")?
///     .migrate_with("postgres://unibox_owner:0wner@db.internal/unibox")?
///     .pool_size(16)
///     .statement_timeout(Duration::from_secs(10));
/// assert!(!format!("{options:?}").contains("s3cret"));
/// # Ok::<(), unibox_core::Error>(())
/// ```
#[derive(Clone)]
pub struct PostgresOptions {
    pub(crate) app: Config,
    pub(crate) owner: Option<Config>,
    pub(crate) pool_size: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) wait_timeout: Duration,
    pub(crate) statement_timeout: Duration,
}

impl PostgresOptions {
    /// Options for the application role's connection string (`postgres://user:password@host:port/db`
    /// or `host=... user=...`), with the defaults: a pool of 16 connections, a 30-second connect
    /// timeout, a 30-second wait for a free connection and a 30-second statement timeout.
    ///
    /// Fails with [`Configuration`](ErrorKind::Configuration) when the string cannot be parsed
    /// (the message does not repeat it: it may hold a password).
    pub fn new(url: &str) -> Result<Self> {
        Ok(PostgresOptions {
            app: parse(url, "the PostgreSQL connection string")?,
            owner: None,
            pool_size: 16,
            connect_timeout: Duration::from_secs(30),
            wait_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(30),
        })
    }

    /// Applies pending migrations at connect, connected as the role of `owner_url` (the role
    /// that owns, or will own, the tables). Without it, connecting expects the schema to be
    /// migrated already ([`migrate`](crate::migrate)) and fails with a `Configuration` error
    /// when it is not.
    pub fn migrate_with(mut self, owner_url: &str) -> Result<Self> {
        self.owner = Some(parse(owner_url, "the PostgreSQL owner connection string")?);
        Ok(self)
    }

    /// The most connections the pool opens (at least 1).
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.pool_size = connections.max(1);
        self
    }

    /// How long opening one connection may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a request waits for a free pooled connection before failing with a temporary
    /// [`Storage`](ErrorKind::Storage) error.
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// The longest one statement may run (`statement_timeout`, set in every transaction).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// The application role's user name, if the connection string names one.
    pub fn user(&self) -> Option<&str> {
        self.app.get_user()
    }
}

fn parse(url: &str, what: &str) -> Result<Config> {
    url.parse::<Config>().map_err(|_| {
        Error::new(
            ErrorKind::Configuration,
            format!("{what} cannot be parsed; use postgres://user:password@host:port/database or key=value pairs"),
        )
        .with_operation("postgres.options")
    })
}

/// What `Debug` shows of a connection: never the password.
pub(crate) struct Target<'a>(pub(crate) &'a Config);

impl fmt::Debug for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self
            .0
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        f.debug_struct("Target")
            .field("hosts", &hosts)
            .field("ports", &self.0.get_ports())
            .field("dbname", &self.0.get_dbname())
            .field("user", &self.0.get_user())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("app", &Target(&self.app))
            .field("owner", &self.owner.as_ref().map(Target))
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("wait_timeout", &self.wait_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unparsable_url_is_a_configuration_error_that_does_not_repeat_it() {
        let error = PostgresOptions::new("postgres://user:pa ss@[bad").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(!error.to_string().contains("pa ss"), "{error}");
    }

    #[test]
    fn debug_never_shows_passwords() {
        let options = PostgresOptions::new("postgres://app:app-secret@localhost:5433/inbox")
            .unwrap()
            .migrate_with("host=localhost user=owner password=owner-secret")
            .unwrap();
        let debug = format!("{options:?} {options:#?}");
        assert!(!debug.contains("app-secret") && !debug.contains("owner-secret"), "{debug}");
        assert!(debug.contains("5433") && debug.contains("inbox"), "{debug}");
    }
}
