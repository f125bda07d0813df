//! TLS for every PostgreSQL connection (the pool, migrations, the change bus): rustls on
//! aws-lc-rs, trusting the system's root certificates (unless turned off) plus the CA
//! certificates of [`PostgresOptions`](crate::PostgresOptions). The certificate is always
//! verified, the host name included; the connection string's `sslmode` decides whether TLS is
//! used:
//!
//! - `disable`: plain TCP.
//! - `prefer` (the default): TLS when the server offers it and its certificate verifies;
//!   otherwise a second, plain connection, as libpq's `prefer` falls back. Never TLS without
//!   verification.
//! - `require`: TLS with a verified certificate, or the connection fails.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio::task::JoinHandle;
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, Connection, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;
use unibox_core::{Error, ErrorKind, Result};

/// The TLS stream type of a connection made with [`Tls`] (`Connection<Socket, TlsStream>`,
/// which is plain when `sslmode=disable`, the server has no TLS, or `prefer` fell back).
pub(crate) type TlsStream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;

/// How tokio-postgres' error for a failed handshake starts (its kind is private).
const HANDSHAKE_FAILED: &str = "error performing TLS handshake";

/// The connector: a rustls client configuration that verifies the server's certificate and name
/// against the system's roots and the added CA certificates.
#[derive(Clone)]
pub(crate) struct Tls {
    make: MakeRustlsConnect,
}

impl Tls {
    /// A connector trusting `extra_cas`, and the system's root certificates when `system_roots`.
    pub(crate) fn new(extra_cas: &[CertificateDer<'static>], system_roots: bool) -> Result<Tls> {
        let mut roots = if system_roots { self::system_roots().clone() } else { RootCertStore::empty() };
        for ca in extra_cas {
            // Checked when added to the options; a failure here is still a typed error.
            roots.add(ca.clone()).map_err(|_| invalid_ca("a CA certificate cannot be parsed"))?;
        }
        // The provider is named: with both rustls providers compiled in (other crates of the
        // graph enable ring), rustls cannot pick a process default by itself.
        let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|_| {
                Error::new(ErrorKind::Configuration, "the TLS provider supports no safe protocol version")
                    .with_operation("postgres.tls")
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls { make: MakeRustlsConnect::new(config) })
    }
}

/// The system's root certificates (rustls-native-certs), loaded once per process. A system
/// without any is not an error here: only the added CA certificates are trusted then.
fn system_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
        tracing::debug!(
            added,
            ignored,
            errors = loaded.errors.len(),
            "loaded the system's root certificates for PostgreSQL TLS"
        );
        roots
    })
}

/// The certificates of PEM text: every `CERTIFICATE` block, each a valid trust anchor.
/// A `Configuration` error when the text is not PEM, holds no certificate, or one does not
/// parse; `what` names the source in the message (never the text itself).
pub(crate) fn parse_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| invalid_ca(&format!("{what} is not valid PEM")))?;
    if certificates.is_empty() {
        return Err(invalid_ca(&format!("{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")));
    }
    let mut check = RootCertStore::empty();
    for certificate in &certificates {
        check.add(certificate.clone()).map_err(|_| invalid_ca(&format!("a certificate of {what} cannot be parsed")))?;
    }
    Ok(certificates)
}

fn invalid_ca(message: &str) -> Error {
    Error::new(ErrorKind::Configuration, message.to_owned()).with_operation("postgres.options").permanent()
}

/// Connects with `config` through `tls`, as its `sslmode` says (see the module documentation).
pub(crate) async fn connect(
    config: &Config,
    tls: &Tls,
) -> std::result::Result<(Client, Connection<Socket, TlsStream>), tokio_postgres::Error> {
    match config.connect(tls.make.clone()).await {
        Err(error) if config.get_ssl_mode() == SslMode::Prefer && error.to_string().starts_with(HANDSHAKE_FAILED) => {
            let mut plain = config.clone();
            plain.ssl_mode(SslMode::Disable);
            match plain.connect(tls.make.clone()).await {
                Ok(connected) => {
                    warn_fallback_once();
                    Ok(connected)
                }
                // The TLS failure says more (an untrusted certificate, say) than the refusal
                // of a plain connection by a server that requires TLS.
                Err(_) => Err(error),
            }
        }
        result => result,
    }
}

/// Says once per process that `sslmode=prefer` fell back to a plain connection.
fn warn_fallback_once() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if WARNED.swap(true, Ordering::Relaxed) {
        tracing::debug!("the PostgreSQL TLS handshake failed; connected without TLS (sslmode=prefer)");
    } else {
        tracing::warn!(
            "the PostgreSQL server offered TLS but the handshake failed (an unverified certificate, say); \
             connected without TLS, as sslmode=prefer allows. Set sslmode=require (trusting the server's CA) to insist on TLS, or \
             sslmode=disable to skip the attempt"
        );
    }
}

/// The pool's way to connect: [`connect`], its driver task spawned on tokio.
impl deadpool_postgres::Connect for Tls {
    fn connect(
        &self,
        config: &Config,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<(Client, JoinHandle<()>), tokio_postgres::Error>> + Send + '_>>
    {
        let config = config.clone();
        Box::pin(async move {
            let (client, connection) = connect(&config, self).await?;
            Ok((client, spawn_driver(connection)))
        })
    }
}

/// Drives `connection` on tokio until it ends.
pub(crate) fn spawn_driver(connection: Connection<Socket, TlsStream>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            // Only whether it closed: a server error's text can quote row data.
            tracing::debug!(closed = error.is_closed(), "a PostgreSQL connection ended with an error");
        }
    })
}

/// The unibox error of a failed TLS handshake, or `None` when `err` is something else.
pub(crate) fn handshake_error(operation: &'static str, err: &tokio_postgres::Error) -> Option<Error> {
    let text = err.to_string();
    if !text.starts_with(HANDSHAKE_FAILED) {
        return None;
    }
    let cause = std::error::Error::source(err).map(ToString::to_string).unwrap_or_default();
    let configuration =
        |message: &str| Error::new(ErrorKind::Configuration, message.to_owned()).with_operation(operation).permanent();
    let error = match rustls_error(err) {
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => configuration(
            "the PostgreSQL server's TLS certificate does not name the host connected to: connect by a host name \
             the certificate carries (certificates are always verified)",
        ),
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => configuration(
            "the PostgreSQL server's TLS certificate is not trusted: add its CA with \
             PostgresOptions::ca_certificates_file (or ca_certificates_pem), or to the system's root certificates",
        ),
        Some(rustls::Error::InvalidCertificate(_)) => {
            configuration("the PostgreSQL server's TLS certificate is invalid (the tls context says why)")
        }
        Some(_) => Error::new(ErrorKind::Storage, "the TLS handshake with PostgreSQL failed; try again")
            .with_operation(operation)
            .temporary(),
        None if cause.contains("server does not support TLS") => {
            configuration("sslmode=require, but the PostgreSQL server does not offer TLS")
        }
        None if cause.contains("no hostname") => configuration(
            "TLS needs the server's host name to verify its certificate: set host (hostaddr alone is not enough)",
        ),
        None => Error::new(ErrorKind::Storage, "the TLS handshake with PostgreSQL failed; try again")
            .with_operation(operation)
            .temporary(),
    };
    // The handshake's own words (certificate and protocol problems, host names): no secrets.
    Some(if cause.is_empty() { error } else { error.with_context("tls", cause) })
}

/// The rustls error under a failed handshake (tokio-rustls wraps it in an `io::Error`).
fn rustls_error(err: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_pem_or_holds_no_certificate_is_a_configuration_error() {
        for pem in [&b"not a certificate"[..], b"", b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"] {
            let error = parse_pem(pem, "the test PEM").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
        }
    }

    #[test]
    fn a_pem_block_that_is_not_a_certificate_is_refused() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let error = parse_pem(pem, "the test PEM").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    }

    #[test]
    fn a_connector_builds_with_the_system_roots_alone() {
        assert!(Tls::new(&[], true).is_ok());
    }
}
