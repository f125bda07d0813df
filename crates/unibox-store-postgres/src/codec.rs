//! How model values are written to and read from columns: ids are UUIDs, times are BIGINT
//! Unix milliseconds, structured values are serde_json text.

use serde::Serialize;
use serde::de::DeserializeOwned;
use unibox_core::{Error, ErrorKind, Result};

use crate::error::corrupt;

/// Serializes a model value for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, format!("the {what} cannot be encoded as JSON")))
}

/// Reads a JSON column back into a model value; one that does not parse is corrupt (the
/// database was changed by something else).
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, operation: &'static str, what: &'static str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(operation, what))
}

/// Reads a text column through a parser of the model (ids, names), corrupt when it refuses.
pub(crate) fn parsed<T>(
    text: &str,
    operation: &'static str,
    what: &'static str,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Result<T> {
    parse(text).map_err(|_| corrupt(operation, what))
}
