//! How a [`PostgresStore`](crate::PostgresStore) connects: [`PostgresOptions`].

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio_postgres::Config;
use unibox_core::{Error, ErrorKind, Result};

use crate::tls::{self, Tls};

/// Where and how the store connects to PostgreSQL.
///
/// Two roles are involved (see the crate documentation): the **application role** of `url`,
/// which every request runs as, and, optionally, the **owner role** of
/// [`migrate_with`](Self::migrate_with), which owns the tables and applies migrations at
/// connect.
///
/// # TLS
///
/// Every connection (the pool, migrations, [`PostgresChangeBus`](crate::PostgresChangeBus))
/// goes through rustls, and the connection string's `sslmode` decides whether TLS is used:
///
/// - `sslmode=disable`: plain TCP (or a Unix socket).
/// - `sslmode=prefer`, the default: TLS when the server offers it and its certificate
///   verifies; otherwise, as libpq's `prefer` does, a second connection without TLS (a warning
///   is logged once per process). Use `require` where the network is not trusted.
/// - `sslmode=require`: TLS, or the connection fails.
///
/// When TLS is used the server's certificate is always verified, its host name included (so
/// connect by a name the certificate carries, not by an address it does not): against the
/// system's root certificates plus those added with
/// [`ca_certificates_file`](Self::ca_certificates_file) or
/// [`ca_certificates_pem`](Self::ca_certificates_pem) (or those alone, with
/// [`system_root_certificates(false)`](Self::system_root_certificates)). There is no way to
/// turn verification off. libpq's `verify-ca` and `verify-full` are not accepted by the connection-string parser:
/// `require` here verifies as `verify-full` does. An untrusted or mismatched certificate fails
/// with a [`Configuration`](ErrorKind::Configuration) error saying which. Client certificates
/// are not supported.
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
    /// CA certificates trusted besides (or, without `system_roots`, instead of) the system's roots.
    pub(crate) ca_certificates: Vec<CertificateDer<'static>>,
    /// Whether the system's root certificates are trusted.
    pub(crate) system_roots: bool,
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
            ca_certificates: Vec::new(),
            system_roots: true,
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

    /// Trusts the CA certificates of the PEM file at `path` (every `-----BEGIN CERTIFICATE-----`
    /// block in it), besides the system's root certificates, for the server's TLS certificate:
    /// your provider's CA bundle, or your own CA's certificate. May be called more than once.
    ///
    /// Fails with [`Configuration`](ErrorKind::Configuration) when the file cannot be read,
    /// is not PEM, holds no certificate or one that does not parse.
    ///
    /// ```no_run
    /// use unibox_store_postgres::PostgresOptions;
    /// let options = PostgresOptions::new("postgres://unibox_app@db.example.com/unibox?sslmode=require")?
    ///     .ca_certificates_file("/etc/unibox/postgres-ca.pem")?;
    /// # Ok::<(), unibox_core::Error>(())
    /// ```
    pub fn ca_certificates_file(self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|error| {
            Error::new(
                ErrorKind::Configuration,
                format!("the CA certificate file {} cannot be read: {error}", path.display()),
            )
            .with_operation("postgres.options")
        })?;
        self.add_cas(&pem, &format!("the CA certificate file {}", path.display()))
    }

    /// Trusts the CA certificates of `pem` (every `-----BEGIN CERTIFICATE-----` block in it),
    /// besides the system's root certificates, as [`ca_certificates_file`](Self::ca_certificates_file)
    /// does for a file. May be called more than once.
    ///
    /// Fails with [`Configuration`](ErrorKind::Configuration) when `pem` is not PEM, holds no
    /// certificate or one that does not parse.
    ///
    /// ```
    /// use unibox_core::ErrorKind;
    /// use unibox_store_postgres::PostgresOptions;
    /// let options = PostgresOptions::new("host=db.example.com user=unibox_app sslmode=require")?;
    /// let error = options.ca_certificates_pem(b"not a certificate").unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::Configuration);
    /// # Ok::<(), unibox_core::Error>(())
    /// ```
    pub fn ca_certificates_pem(self, pem: impl AsRef<[u8]>) -> Result<Self> {
        self.add_cas(pem.as_ref(), "the CA certificate PEM")
    }

    /// Whether the system's root certificates (rustls-native-certs: the operating system's store,
    /// or the files `SSL_CERT_FILE` / `SSL_CERT_DIR` name) are trusted for the server's
    /// certificate; `true` by default. With `false` only the CA certificates added with
    /// [`ca_certificates_file`](Self::ca_certificates_file) or
    /// [`ca_certificates_pem`](Self::ca_certificates_pem) are, as libpq's `sslrootcert` does:
    /// to accept only your own CA's certificates. Verification itself stays on.
    ///
    /// ```no_run
    /// use unibox_store_postgres::PostgresOptions;
    /// let options = PostgresOptions::new("host=db.internal user=unibox_app sslmode=require")?
    ///     .ca_certificates_file("/etc/unibox/internal-ca.pem")?
    ///     .system_root_certificates(false);
    /// # Ok::<(), unibox_core::Error>(())
    /// ```
    pub fn system_root_certificates(mut self, trusted: bool) -> Self {
        self.system_roots = trusted;
        self
    }

    fn add_cas(mut self, pem: &[u8], what: &str) -> Result<Self> {
        self.ca_certificates.extend(tls::parse_pem(pem, what)?);
        Ok(self)
    }

    /// The application role's user name, if the connection string names one.
    pub fn user(&self) -> Option<&str> {
        self.app.get_user()
    }

    /// The TLS connector of these options: the system's roots and the added CA certificates.
    pub(crate) fn tls(&self) -> Result<Tls> {
        Tls::new(&self.ca_certificates, self.system_roots)
    }
}

fn parse(url: &str, what: &str) -> Result<Config> {
    url.parse::<Config>().map_err(|_| {
        // libpq's verify modes are a common reason; say what to use instead.
        let hint = if url.contains("verify-full") || url.contains("verify-ca") {
            " (sslmode verify-ca and verify-full are not accepted: use sslmode=require, which always verifies \
             the certificate and the host name)"
        } else {
            ""
        };
        Error::new(
            ErrorKind::Configuration,
            format!(
                "{what} cannot be parsed; use postgres://user:password@host:port/database or key=value pairs{hint}"
            ),
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
            .field("ca_certificates", &self.ca_certificates.len())
            .field("system_root_certificates", &self.system_roots)
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
    fn libpq_verify_modes_are_refused_with_a_hint_to_use_require() {
        let error = PostgresOptions::new("postgres://app:pw-secret@db/inbox?sslmode=verify-full").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        let text = error.to_string();
        assert!(text.contains("sslmode=require") && !text.contains("pw-secret"), "{text}");
    }

    #[test]
    fn an_unreadable_ca_file_is_a_configuration_error_naming_it() {
        let options = PostgresOptions::new("host=localhost user=app").unwrap();
        let error = options.ca_certificates_file("/nonexistent/unibox-ca.pem").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(error.to_string().contains("/nonexistent/unibox-ca.pem"), "{error}");
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
