//! The one table from NATS failures to unibox error kinds.

use std::fmt::Display;

use unibox_core::{Error, ErrorKind};

/// A failure talking to NATS: temporary, since the client reconnects by itself and the change
/// log holds every event meanwhile. The NATS error's text names no credentials (the client
/// never puts the URL's user or password in it).
pub(crate) fn unavailable(operation: &'static str, error: impl Display) -> Error {
    Error::new(ErrorKind::Storage, format!("the NATS bus is unavailable: {error}"))
        .temporary()
        .with_operation(operation)
}

/// A stream or subject NATS refused as configured.
pub(crate) fn misconfigured(operation: &'static str, error: impl Display) -> Error {
    Error::new(ErrorKind::Configuration, format!("NATS refused the bus configuration: {error}"))
        .with_operation(operation)
}
