//! TLS against the real PostgreSQL of `UNIBOX_TEST_POSTGRES_URL`, which must have `ssl = on`
//! with a certificate for `localhost` (the local test server's self-signed snakeoil
//! certificate): the server's certificate, read from the file `SHOW ssl_cert_file` names, is
//! the CA the tests trust or leave out.
//!
//! Without that (no server, TLS off, a certificate file the test cannot read, a server not on
//! this machine) every test prints `skipped: ...` and passes, unless
//! `UNIBOX_TEST_POSTGRES_REQUIRED=1`, where it fails.

use std::io::Write;

use tokio_postgres::{Client, Config, NoTls};
use unibox_core::inbox::ChannelAccounts;
use unibox_core::{ChannelAccount, ChannelKind, ErrorKind, TenantId, Timestamp};
use unibox_store_postgres::testing::{self, TestDatabase};
use unibox_store_postgres::{PostgresChangeBus, PostgresInbox, PostgresOptions};

/// A password every connection string here carries (the test server trusts local
/// connections, so it is never checked): no error or `Debug` text may show it.
const PASSWORD: &str = "tls-test-pa55word";

/// One test's schema, the server's certificate (PEM) and an admin connection.
struct Fixture {
    database: TestDatabase,
    certificate: Vec<u8>,
    admin: Client,
    port: u16,
    dbname: String,
}

/// Skips (or, with `UNIBOX_TEST_POSTGRES_REQUIRED=1`, fails) `test` for `why`.
fn skip(test: &str, why: &str) -> Option<Fixture> {
    assert!(!testing::required(), "{}=1 but {test} cannot run: {why}", testing::REQUIRED);
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {why} (set {}=1 to fail instead)", testing::REQUIRED);
    None
}

async fn set_up(test: &str) -> Option<Fixture> {
    let database = TestDatabase::create(test).await?;
    let admin_config: Config = testing::admin_url().parse().expect("the admin URL parses");
    let local = admin_config.get_hosts().iter().all(|host| match host {
        tokio_postgres::config::Host::Tcp(name) => ["127.0.0.1", "::1", "localhost"].contains(&name.as_str()),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => true,
    });
    if !local {
        return skip(test, "the test server is not on this machine (its certificate must be for localhost)");
    }
    let (admin, connection) = admin_config.connect(NoTls).await.expect("the admin connects");
    tokio::spawn(connection);
    let ssl: String = admin.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    if ssl != "on" {
        return skip(test, "the test server has ssl = off");
    }
    let file: String = admin.query_one("SHOW ssl_cert_file", &[]).await.unwrap().get(0);
    let path = if file.starts_with('/') {
        std::path::PathBuf::from(&file)
    } else {
        let data: String = admin.query_one("SHOW data_directory", &[]).await.unwrap().get(0);
        std::path::Path::new(&data).join(&file)
    };
    let certificate = match std::fs::read(&path) {
        Ok(certificate) => certificate,
        Err(error) => {
            return skip(test, &format!("the server's certificate {} cannot be read: {error}", path.display()));
        }
    };
    let port = admin_config.get_ports().first().copied().unwrap_or(5432);
    let dbname = admin_config.get_dbname().unwrap_or("postgres").to_owned();
    Some(Fixture { database, certificate, admin, port, dbname })
}

impl Fixture {
    /// A connection string for `role` on the test schema, to `host`, with `sslmode`.
    fn url(&self, role: &str, host: &str, sslmode: &str) -> String {
        format!(
            "host={host} port={} dbname={} user={role} password={PASSWORD} sslmode={sslmode} \
             options='-c search_path={}'",
            self.port,
            self.dbname,
            self.database.schema()
        )
    }

    /// Options for the application role, migrating as the owner role, over the same host and mode.
    fn options(&self, host: &str, sslmode: &str) -> PostgresOptions {
        PostgresOptions::new(&self.url(self.database.app_role(), host, sslmode))
            .unwrap()
            .migrate_with(&self.url(self.database.owner_role(), host, sslmode))
            .unwrap()
            .pool_size(2)
    }

    /// How many of the application role's connections (with `application_name`, when given)
    /// are open, and whether all of them use TLS (`pg_stat_ssl`).
    async fn app_connections(&self, application_name: Option<&str>) -> (i64, bool) {
        let row = self
            .admin
            .query_one(
                "SELECT count(*), coalesce(bool_and(s.ssl), false) FROM pg_stat_ssl s \
                 JOIN pg_stat_activity a ON a.pid = s.pid \
                 WHERE a.usename = $1 AND ($2::TEXT IS NULL OR a.application_name = $2)",
                &[&self.database.app_role(), &application_name],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    }
}

/// Saves a channel account with `platform_id` through `inbox` and reads it back.
async fn save_and_read_an_account(inbox: &PostgresInbox, platform_id: &str) {
    let tenant: TenantId = "acme".parse().unwrap();
    let account = ChannelAccount::new(
        tenant.clone(),
        "line".parse().unwrap(),
        ChannelKind::LINE,
        platform_id,
        Timestamp::UNIX_EPOCH,
    );
    inbox.save_account(&account).await.unwrap();
    assert_eq!(inbox.account(&tenant, account.id).await.unwrap(), account);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_s_ca_trusted_require_connects_over_tls_and_works() {
    let Some(fixture) = set_up("with_the_server_s_ca_trusted_require_connects_over_tls_and_works").await else {
        return;
    };
    // Only the added CA is trusted (this machine's system store may hold the snakeoil
    // certificate too). The owner's connection (migrations at connect) goes over TLS as well:
    // `require` would fail otherwise.
    let options = fixture
        .options("localhost", "require")
        .ca_certificates_pem(&fixture.certificate)
        .unwrap()
        .system_root_certificates(false);
    let inbox = PostgresInbox::connect(&options).await.unwrap_or_else(|error| panic!("connecting over TLS: {error}"));
    save_and_read_an_account(&inbox, "Ub01").await;
    let (connections, all_tls) = fixture.app_connections(None).await;
    assert!(connections >= 1 && all_tls, "{connections} pooled connections, all TLS: {all_tls}");

    // The change bus's own connection as well.
    let bus = PostgresChangeBus::connect(&options).await.unwrap();
    let (connections, all_tls) = fixture.app_connections(Some(PostgresChangeBus::APPLICATION_NAME)).await;
    assert!(connections == 1 && all_tls, "{connections} bus connections, all TLS: {all_tls}");
    drop(bus);

    // A CA file works as the PEM does.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &fixture.certificate).unwrap();
    let from_file = fixture
        .options("localhost", "require")
        .ca_certificates_file(file.path())
        .unwrap()
        .system_root_certificates(false);
    let inbox = PostgresInbox::connect(&from_file).await.unwrap_or_else(|error| panic!("with a CA file: {error}"));
    save_and_read_an_account(&inbox, "Ub02").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_require_fails_as_untrusted_and_shows_no_password() {
    let Some(fixture) = set_up("without_the_ca_require_fails_as_untrusted_and_shows_no_password").await else {
        return;
    };
    // The system's roots are left out too: this machine's store trusts the snakeoil certificate
    // (Debian's ssl-cert links it into /etc/ssl/certs). Both the migrating connection and the
    // pool refuse the certificate.
    let app_only = PostgresOptions::new(&fixture.url(fixture.database.app_role(), "localhost", "require")).unwrap();
    for options in [fixture.options("localhost", "require"), app_only] {
        let options = options.system_root_certificates(false);
        let error = PostgresInbox::connect(&options).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
        assert!(!error.is_temporary(), "{error}");
        let text = format!("{error} {error:?}");
        assert!(text.contains("not trusted"), "{text}");
        assert!(!text.contains(PASSWORD), "the error shows the password: {text}");
    }
    // The bus too.
    let options = fixture.options("localhost", "require").system_root_certificates(false);
    let error = PostgresChangeBus::connect(&options).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(!format!("{error} {error:?}").contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_the_certificate_does_not_name_fails_even_with_the_ca_trusted() {
    let Some(fixture) = set_up("a_host_the_certificate_does_not_name_fails_even_with_the_ca_trusted").await else {
        return;
    };
    let options = fixture.options("127.0.0.1", "require").ca_certificates_pem(&fixture.certificate).unwrap();
    let error = PostgresInbox::connect(&options).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    let text = format!("{error} {error:?}");
    assert!(text.contains("does not name the host"), "{text}");
    assert!(!text.contains(PASSWORD), "the error shows the password: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_connects_without_tls() {
    let Some(fixture) = set_up("disable_connects_without_tls").await else { return };
    let options = fixture.options("localhost", "disable").ca_certificates_pem(&fixture.certificate).unwrap();
    let inbox = PostgresInbox::connect(&options).await.unwrap();
    save_and_read_an_account(&inbox, "Ub03").await;
    let (connections, any_tls) = fixture.app_connections(None).await;
    assert!(connections >= 1 && !any_tls, "{connections} pooled connections, TLS: {any_tls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefer_uses_tls_when_the_certificate_verifies_and_falls_back_to_plain_when_not() {
    let test = "prefer_uses_tls_when_the_certificate_verifies_and_falls_back_to_plain_when_not";
    let Some(fixture) = set_up(test).await else { return };
    let verified = fixture.options("localhost", "prefer").ca_certificates_pem(&fixture.certificate).unwrap();
    let inbox = PostgresInbox::connect(&verified).await.unwrap();
    save_and_read_an_account(&inbox, "Ub04").await;
    let (connections, all_tls) = fixture.app_connections(None).await;
    assert!(connections >= 1 && all_tls, "{connections} pooled connections, all TLS: {all_tls}");
    drop(inbox);

    // A certificate that does not verify is never used: the connection is plain instead.
    let Some(other) = set_up(test).await else { return };
    let unverified = other.options("127.0.0.1", "prefer");
    let inbox = PostgresInbox::connect(&unverified).await.unwrap();
    save_and_read_an_account(&inbox, "Ub05").await;
    let (connections, any_tls) = other.app_connections(None).await;
    assert!(connections >= 1 && !any_tls, "{connections} pooled connections, TLS: {any_tls}");
}

#[test]
fn invalid_pem_is_a_configuration_error() {
    let options =
        PostgresOptions::new(&format!("host=localhost user=app password={PASSWORD} sslmode=require")).unwrap();
    for pem in [&b"garbage"[..], b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"] {
        let error = options.clone().ca_certificates_pem(pem).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
        assert!(!format!("{error:?}").contains(PASSWORD));
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"no certificate here").unwrap();
    let error = options.clone().ca_certificates_file(file.path()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    let error = options.ca_certificates_file("/nonexistent/ca.pem").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
}
