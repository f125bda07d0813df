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

/// The content of an unsent message: the text is erased for good.
pub(crate) const ERASED_CONTENT_JSON: &str = r#"{"type":"text","text":""}"#;

/// The stored form of an identity kind and the search text of a content: the rules every
/// backend shares.
pub(crate) use unibox_core::ingest::{identity_kind_key, search_text};

/// The stored form of a direction.
pub(crate) fn direction_key(direction: unibox_core::Direction) -> &'static str {
    match direction {
        unibox_core::Direction::Inbound => "inbound",
        unibox_core::Direction::Outbound => "outbound",
    }
}

/// Parses a stored direction.
pub(crate) fn parse_direction(text: &str, operation: &'static str) -> Result<unibox_core::Direction> {
    match text {
        "inbound" => Ok(unibox_core::Direction::Inbound),
        "outbound" => Ok(unibox_core::Direction::Outbound),
        _ => Err(corrupt(operation, "message direction")),
    }
}
