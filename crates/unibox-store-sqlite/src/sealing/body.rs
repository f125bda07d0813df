//! A stored message's body sealed as one value: its platform id, the platform id it replies to
//! and its content, in `messages.body_sealed` (schema version 19).
//!
//! Ingest seals these three together, so storing a message takes one AEAD call instead of three
//! and reading it back one open instead of three. The columns of each part
//! (`content_sealed`, `reply_to_sealed`, `platform_message_id_sealed`) stay for what is written
//! part by part: outbound messages (their platform id arrives after the send), restored
//! exports, and rows of earlier builds. A row holds either a body or its parts, never both.
//!
//! An edit or an unsend first [`split`]s a message's body into its parts, so the content it
//! replaces is not kept inside the body.
//!
//! The sealed plaintext is `[1][u32 length][platform id][u32 length or u32::MAX][reply-to][content]`
//! (lengths big-endian; `u32::MAX`: no reply-to), bound to the row's message id and the field
//! `messages.body`.

use rusqlite::{OptionalExtension, params};
use unibox_core::privacy::SealedCell;
use unibox_core::{Error, ErrorKind, Result, TenantId};

use super::Sealer;
use super::cells::field;
use crate::error::SqlResultExt;
use crate::writer::WriteTx;

/// The format version, the first byte of every body.
const VERSION: u8 = 1;
const NO_REPLY: u32 = u32::MAX;

/// A body's parts, as stored or opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Body {
    pub(crate) platform_id: Option<String>,
    pub(crate) reply_to: Option<String>,
    pub(crate) content_json: String,
}

/// Seals a message's parts as one body, bound to `row` (the message id). `None` for a plain
/// inbox: the parts are stored in their own columns, in plaintext.
pub(crate) fn seal(
    sealer: &Sealer,
    row: &[u8],
    platform_id: &str,
    reply_to: Option<&str>,
    content_json: &str,
) -> Result<Option<Vec<u8>>> {
    let Sealer::Sealed(seal, _) = sealer else {
        return Ok(None);
    };
    let mut plain = Vec::with_capacity(9 + platform_id.len() + reply_to.map_or(0, str::len) + content_json.len());
    plain.push(VERSION);
    put(&mut plain, Some(platform_id))?;
    put(&mut plain, reply_to)?;
    plain.extend_from_slice(content_json.as_bytes());
    let sealed = seal.seal(SealedCell::new(field::MESSAGE_BODY, row), &plain);
    zeroize(&mut plain);
    sealed.map(Some)
}

/// Opens a body sealed by [`seal`] for the message `row`.
pub(crate) fn open(sealer: &Sealer, row: &[u8], sealed: &[u8]) -> Result<Body> {
    let Sealer::Sealed(seal, _) = sealer else {
        return Err(Error::new(
            ErrorKind::Configuration,
            "a sealed value was read through a plain inbox: open the file with SqliteStore and its keys",
        ));
    };
    let mut plain = seal.open(SealedCell::new(field::MESSAGE_BODY, row), sealed)?;
    let body = decode(&plain);
    zeroize(&mut plain);
    body
}

fn put(out: &mut Vec<u8>, part: Option<&str>) -> Result<()> {
    match part {
        None => out.extend_from_slice(&NO_REPLY.to_be_bytes()),
        Some(part) => {
            let len = u32::try_from(part.len())
                .ok()
                .filter(|len| *len != NO_REPLY)
                .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "a message id is too long to store"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    Ok(())
}

fn decode(plain: &[u8]) -> Result<Body> {
    let corrupt = || Error::new(ErrorKind::Storage, "a sealed message body is malformed").permanent();
    let (&version, mut rest) = plain.split_first().ok_or_else(corrupt)?;
    if version != VERSION {
        return Err(corrupt());
    }
    let mut take = || -> Result<Option<String>> {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_be_bytes(*len);
        if len == NO_REPLY {
            rest = tail;
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| corrupt())?;
        if tail.len() < len {
            return Err(corrupt());
        }
        let (part, tail) = tail.split_at(len);
        rest = tail;
        String::from_utf8(part.to_vec()).map(Some).map_err(|_| corrupt())
    };
    let platform_id = take()?;
    let reply_to = take()?;
    let content_json = String::from_utf8(rest.to_vec()).map_err(|_| corrupt())?;
    Ok(Body { platform_id, reply_to, content_json })
}

fn zeroize(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// Moves the parts of message `seq`'s body (when it has one) into their own sealed columns, and
/// clears the body: an edit or unsend then replaces or erases the content column alone.
pub(crate) fn split(tx: &WriteTx<'_>, sealer: &Sealer, tenant: &TenantId, seq: i64, row: &[u8]) -> Result<()> {
    const OP: &str = "sqlite.split_message_body";
    if !sealer.is_sealed() {
        return Ok(());
    }
    let sealed: Option<Vec<u8>> = tx
        .prepare_cached("SELECT body_sealed FROM messages WHERE tenant = ?1 AND seq = ?2 AND body_sealed IS NOT NULL")
        .during(OP)?
        .query_row(params![tenant.as_str(), seq], |row| row.get(0))
        .optional()
        .during(OP)?;
    let Some(sealed) = sealed else {
        return Ok(());
    };
    let body = open(sealer, row, &sealed)?;
    let (_, content_sealed) = sealer.store_required(field::MESSAGE_CONTENT, row, &body.content_json)?;
    let (_, reply_to_sealed) = sealer.store(field::MESSAGE_REPLY_TO, row, body.reply_to.as_deref())?;
    let (_, platform_id_sealed) = sealer.store(field::MESSAGE_PLATFORM_ID, row, body.platform_id.as_deref())?;
    tx.prepare_cached(
        "UPDATE messages SET body_sealed = NULL, content_sealed = ?3, reply_to_sealed = ?4, \
           platform_message_id_sealed = ?5 WHERE tenant = ?1 AND seq = ?2",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), seq, content_sealed, reply_to_sealed, platform_id_sealed])
    .during(OP)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(platform_id: &str, reply_to: Option<&str>, content: &str) -> Vec<u8> {
        let mut plain = vec![VERSION];
        put(&mut plain, Some(platform_id)).unwrap();
        put(&mut plain, reply_to).unwrap();
        plain.extend_from_slice(content.as_bytes());
        plain
    }

    #[test]
    fn parts_round_trip_with_and_without_a_reply_and_with_any_text() {
        for (id, reply, content) in [
            ("603217948172", Some("603217948100"), r#"{"type":"text","text":"สวัสดีครับ"}"#),
            ("m_AbC", None, ""),
            ("", Some(""), "{}"),
        ] {
            let body = decode(&encoded(id, reply, content)).unwrap();
            assert_eq!(body.platform_id.as_deref(), Some(id));
            assert_eq!(body.reply_to.as_deref(), reply);
            assert_eq!(body.content_json, content);
        }
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        let good = encoded("603217948172", Some("1"), "{}");
        for bad in [vec![], vec![2], good[..3].to_vec(), {
            let mut long = good.clone();
            long[4] = 0xff;
            long
        }] {
            assert_eq!(decode(&bad).unwrap_err().kind(), ErrorKind::Storage);
        }
    }
}
