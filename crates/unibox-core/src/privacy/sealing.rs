//! Conversation data sealed at rest: the [`DataKeys`] port a store seals with, and the rules a
//! blind full-text index follows ([`search_trigrams`]).
//!
//! A store that seals conversation data (message content, notes, contact names and identities,
//! event payloads) asks [`DataKeys::for_writing`] once per call for the tenant's
//! [`TenantSeal`], then seals and opens values synchronously (a SQLite writer thread cannot
//! await). Each sealed value is bound to its [`SealedCell`] (table and column, row id) and its
//! tenant, so a value copied into another row or tenant does not open.
//!
//! Equality lookups that ingest needs (a contact by its platform identity, a message by its
//! platform id) store a [`TenantSeal::blind`] value instead of the plaintext: a keyed PRF of the
//! value, equal for equal values within one tenant and unrelated across tenants. Full-text
//! search stores [`TenantSeal::term`] values of every [`search_trigrams`] of a message's text.
//!
//! `unibox-vault` implements the port over each tenant's data key, so crypto-shredding a tenant
//! makes all of its sealed conversation data unreadable at once.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Result, TenantId};

/// The length of a [`TenantSeal::blind`] value, in bytes (128 bits: collisions within a tenant
/// are as likely as guessing a 128-bit key).
pub const BLIND_LEN: usize = 16;

/// Where a sealed value lives: bound into its associated data, so it opens only there.
///
/// ```
/// use unibox_core::privacy::SealedCell;
/// let cell = SealedCell::new("messages.content", b"0123456789abcdef");
/// assert_eq!(cell.field, "messages.content");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedCell<'a> {
    /// The table and column (`"messages.content"`).
    pub field: &'a str,
    /// The row's identity (a message id, a contact id, an event id).
    pub row: &'a [u8],
}

/// Bytes in lowercase hex, two digits a byte: how stores write a blind into a lookup column
/// and how a cell's row id enters its associated data.
///
/// ```
/// assert_eq!(unibox_core::privacy::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
/// assert_eq!(unibox_core::privacy::hex(&[]), "");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

impl<'a> SealedCell<'a> {
    /// The cell `field` of row `row`.
    pub const fn new(field: &'a str, row: &'a [u8]) -> Self {
        SealedCell { field, row }
    }
}

/// One tenant's keys for conversation data: seal, open and blind synchronously.
///
/// Implementations keep keys out of `Debug`. [`open`](TenantSeal::open) fails with
/// [`ErrorKind::TokenInvalid`](crate::ErrorKind::TokenInvalid) once the tenant's keys were
/// destroyed (crypto-shredded) and with [`ErrorKind::Storage`](crate::ErrorKind::Storage) for a
/// value that was altered or belongs to another cell or tenant.
///
/// ```
/// use unibox_core::privacy::{SealedCell, TenantSeal};
/// fn roundtrip(seal: &dyn TenantSeal) -> unibox_core::Result<()> {
///     let cell = SealedCell::new("notes.body", b"note-1");
///     let sealed = seal.seal(cell, b"call back at 3pm")?;
///     assert_eq!(seal.open(cell, &sealed)?, b"call back at 3pm");
///     Ok(())
/// }
/// ```
pub trait TenantSeal: Send + Sync + fmt::Debug {
    /// Seals `plaintext` for `cell` (a fresh random nonce each time).
    fn seal(&self, cell: SealedCell<'_>, plaintext: &[u8]) -> Result<Vec<u8>>;

    /// Opens what [`seal`](TenantSeal::seal) sealed for the same cell and tenant.
    fn open(&self, cell: SealedCell<'_>, sealed: &[u8]) -> Result<Vec<u8>>;

    /// A keyed PRF of `value` in the index `index` (HMAC-SHA256 under a key of its own,
    /// truncated to [`BLIND_LEN`] bytes): equal values give equal blinds within the tenant and
    /// index, and nothing about the value can be learnt from it without the key.
    fn blind(&self, index: &str, value: &[u8]) -> [u8; BLIND_LEN];

    /// A keyed 64-bit PRF of a search term (SipHash-2-4 under a key of its own): many per
    /// message are computed, so it is the fast one.
    fn term(&self, term: &str) -> u64;
}

/// Where a store gets each tenant's [`TenantSeal`]. Object-safe; `unibox-vault`'s `Vault`
/// implements it.
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::privacy::DataKeys;
/// fn keys_for_a_store(keys: Arc<dyn DataKeys>) -> Arc<dyn DataKeys> { keys }
/// ```
#[async_trait]
pub trait DataKeys: Send + Sync + fmt::Debug {
    /// The tenant's seal for writing: creates the tenant's first data key if it has none.
    async fn for_writing(&self, tenant: &TenantId) -> Result<Arc<dyn TenantSeal>>;

    /// The tenant's seal for reading: never creates a key. For a tenant without keys (never
    /// written, or crypto-shredded) every [`open`](TenantSeal::open) fails with
    /// [`ErrorKind::TokenInvalid`](crate::ErrorKind::TokenInvalid) and blinds match nothing stored.
    async fn for_reading(&self, tenant: &TenantId) -> Result<Arc<dyn TenantSeal>>;
}

/// The terms a blind full-text index stores for `text`, and looks up for a query term: every
/// run of three characters of the lowercased text that contains no whitespace, each once.
///
/// A query term (whitespace-free) occurs in a text, ignoring case, only if each of its
/// trigrams is among the text's, so looking up a term's trigrams never misses a match; the
/// candidates are then checked exactly. Characters, not bytes: Thai and CJK, written without
/// spaces, are indexed like any other script.
///
/// ```
/// use unibox_core::privacy::search_trigrams;
/// assert_eq!(search_trigrams("Order 12"), vec!["ord", "rde", "der"]);
/// assert_eq!(search_trigrams("สวัสดี").len(), 4);
/// assert!(search_trigrams("ab").is_empty());
/// ```
pub fn search_trigrams(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::<String>::new();
    let mut out = Vec::new();
    visit_search_trigrams(text, |trigram| {
        if !seen.contains(trigram) {
            seen.insert(trigram.to_owned());
            out.push(trigram.to_owned());
        }
    });
    out
}

/// The blind search terms of `text` under `seal`: [`TenantSeal::term`] of each of its
/// [`search_trigrams`], sorted and without repeats. This is what a store's blind full-text index
/// holds for a message (and looks up for a query term), written once here so every backend
/// indexes the same terms.
///
/// It allocates once for the lowercased text and once for the terms, however long the text:
/// it runs for every stored message on the ingest path.
///
/// ```
/// use unibox_core::privacy::{SealedCell, TenantSeal, search_terms};
/// # #[derive(Debug)] struct Seal;
/// # impl TenantSeal for Seal {
/// #     fn seal(&self, _: SealedCell<'_>, p: &[u8]) -> unibox_core::Result<Vec<u8>> { Ok(p.to_vec()) }
/// #     fn open(&self, _: SealedCell<'_>, s: &[u8]) -> unibox_core::Result<Vec<u8>> { Ok(s.to_vec()) }
/// #     fn blind(&self, _: &str, _: &[u8]) -> [u8; 16] { [0; 16] }
/// #     fn term(&self, term: &str) -> u64 { term.bytes().fold(7, |h, b| h * 31 + u64::from(b)) }
/// # }
/// let terms = search_terms(&Seal, "Order ORDER order 12");
/// assert_eq!(terms.len(), 3); // "ord", "rde", "der", each once
/// assert!(terms.windows(2).all(|pair| pair[0] < pair[1]));
/// ```
pub fn search_terms(seal: &dyn TenantSeal, text: &str) -> Vec<u64> {
    let mut terms = Vec::with_capacity(text.len());
    visit_search_trigrams(text, |trigram| terms.push(seal.term(trigram)));
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// Calls `visit` with every whitespace-free run of three characters of the lowercased text, in
/// order, repeats included; no allocation beyond the lowercased copy.
fn visit_search_trigrams(text: &str, mut visit: impl FnMut(&str)) {
    let lower = text.to_lowercase();
    // Byte offsets of the last three characters' starts; `run` counts the characters since the
    // last whitespace, so a window is visited only when its three characters are all non-space.
    let mut starts = [0usize; 3];
    let mut run = 0usize;
    for (offset, c) in lower.char_indices() {
        if c.is_whitespace() {
            run = 0;
            continue;
        }
        starts = [starts[1], starts[2], offset];
        run += 1;
        if run >= 3 {
            visit(&lower[starts[0]..offset + c.len_utf8()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[0xab; 16]).len(), 32);
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn every_query_term_trigram_is_a_text_trigram() {
        let text = "สวัสดีครับ ありがとうございます Where is my ORDER #1234?";
        let indexed = search_trigrams(text);
        for term in ["สวัสดี", "ครับ", "ありがとう", "order", "#12", "where"] {
            for trigram in search_trigrams(term) {
                assert!(indexed.contains(&trigram), "{trigram} of {term}");
            }
        }
        assert!(!indexed.iter().any(|t| t.contains(' ')));
    }

    #[test]
    fn trigrams_skip_every_window_with_whitespace() {
        assert_eq!(search_trigrams("ab cde\tfg\u{3000}hij"), vec!["cde", "hij"]);
        assert_eq!(search_trigrams("ÄÖÜß"), vec!["äöü", "öüß"]);
        assert_eq!(search_trigrams("abab ababab"), vec!["aba", "bab"]);
    }
}
