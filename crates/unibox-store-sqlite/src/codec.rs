//! How model values are written to and read from columns.
//!
//! Ids are 16-byte blobs, times are Unix milliseconds, structured values are serde_json text.

use rusqlite::Row;
use rusqlite::types::Type;
use serde::Serialize;
use serde::de::DeserializeOwned;
use unibox_core::inbox::Cursor;
use unibox_core::{ConversationStatus, Direction, Error, ErrorKind, Result, Timestamp};

/// The content of an unsent message: the text is erased for good.
pub(crate) const ERASED_CONTENT_JSON: &str = r#"{"type":"text","text":""}"#;

/// Serializes a model value for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|err| {
        Error::new(ErrorKind::InvalidInput, format!("the {what} cannot be encoded as JSON")).with_source(err)
    })
}

/// Reads a JSON column back into a model value; a value that does not parse is a conversion
/// failure (the database was changed by something else).
pub(crate) fn json_column<T: DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text)
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err)))
}

/// Reads a text column through a parser of the model (ids, names, statuses).
pub(crate) fn parsed_column<T>(
    row: &Row<'_>,
    index: usize,
    parse: impl FnOnce(&str) -> Result<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).map_err(|err| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err)))
}

/// Reads an optional time column.
pub(crate) fn time_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(index)?.map(Timestamp::from_unix_millis))
}

/// The stored form of an identity kind (its serde_json text, e.g. `"line_user_id"`).
pub(crate) use unibox_core::ingest::identity_kind_key;

/// The stored form of a direction.
pub(crate) fn direction_key(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// Parses a stored direction.
pub(crate) fn parse_direction(text: &str) -> Result<Direction> {
    match text {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        _ => Err(Error::new(ErrorKind::Storage, "unknown message direction in the database")),
    }
}

/// Parses a stored conversation status.
pub(crate) fn parse_status(text: &str) -> Result<ConversationStatus> {
    text.parse()
}

/// The keyset position to continue from: the cursor's `(time, id)`, or, for the first page,
/// a position after every possible row. A 17-byte blob sorts after every 16-byte id with the
/// same leading bytes, so `(i64::MAX, FF..FF 00)` is greater than any stored `(time, id)`.
pub(crate) fn keyset(cursor: Option<Cursor>) -> (i64, Vec<u8>) {
    match cursor {
        Some(cursor) => (cursor.at.as_unix_millis(), cursor.id.as_bytes().to_vec()),
        None => {
            let mut after_all = vec![0xFF; 16];
            after_all.push(0);
            (i64::MAX, after_all)
        }
    }
}

/// Fetch one row more than the page size to learn whether another page follows.
pub(crate) fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unibox_core::IdentityKind;

    #[test]
    fn identity_kinds_have_stable_keys() {
        assert_eq!(identity_kind_key(&IdentityKind::LineUserId).unwrap(), "\"line_user_id\"");
        assert_eq!(identity_kind_key(&IdentityKind::Other("viber".into())).unwrap(), r#"{"other":"viber"}"#);
    }

    #[test]
    fn erased_content_is_empty_text() {
        let content: unibox_core::Content = serde_json::from_str(ERASED_CONTENT_JSON).unwrap();
        assert_eq!(content, unibox_core::Content::text(""));
    }

    #[test]
    fn first_page_keyset_sorts_after_every_stored_key() {
        let (at, id) = keyset(None);
        assert_eq!(at, i64::MAX);
        assert!(id.as_slice() > [0xFF_u8; 16].as_slice());
    }
}
