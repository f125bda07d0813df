//! Full-text search: an FTS5 trigram index narrows the candidates, and `unibox_matches`
//! (a Rust function registered on every connection) decides exactly.
//!
//! A trigram index can only look up terms of three characters or more. A search whose terms
//! are all shorter scans the tenant's messages newest first instead, stopping at the page size;
//! a search mixing both looks up the long terms and filters by all of them.

use rusqlite::{Connection, params};
use unibox_core::inbox::{Page, SearchQuery};
use unibox_core::{Message, Result, TenantId};

use crate::apply::search_text;
use crate::codec::{fetch_limit, keyset};
use crate::error::SqlResultExt;
use crate::rows::{finish_message_page, message_from_row, open_messages};
use crate::sealing::Sealer;
use unibox_core::privacy::TenantSeal;

const OP: &str = "sqlite.search";

/// True when every whitespace-separated term of `query` occurs in `text`, ignoring case.
pub(crate) fn matches_all_terms(text: &str, query: &str) -> bool {
    let haystack = text.to_lowercase();
    query.split_whitespace().all(|term| haystack.contains(&term.to_lowercase()))
}

/// The most trigrams one search looks up. Any subset of a query's trigrams finds a superset of
/// its matches (the exact filter does the rest), so a long query looks up an evenly spread
/// sample instead of hundreds of index terms.
const MAX_TRIGRAMS: usize = 24;

/// The FTS5 query for the terms the trigram index can look up (three characters or more): their
/// trigrams, each a quoted single-token phrase so no character of the user's text is read as
/// query syntax, joined by AND. `None` if no term is long enough.
///
/// The index stores no positions (`detail = none`), so it answers which messages contain every
/// trigram, not whether the trigrams are adjacent; `unibox_matches` then checks each candidate.
pub(crate) fn trigram_query(query: &SearchQuery) -> Option<String> {
    let mut trigrams: Vec<String> = Vec::new();
    for term in query.terms() {
        let chars: Vec<char> = term.chars().collect();
        for window in chars.windows(3) {
            let trigram: String = window.iter().collect();
            if !trigrams.contains(&trigram) {
                trigrams.push(trigram);
            }
        }
    }
    if trigrams.is_empty() {
        return None;
    }
    let step = trigrams.len().div_ceil(MAX_TRIGRAMS);
    let phrases: Vec<String> =
        trigrams.iter().step_by(step).map(|trigram| format!("\"{}\"", trigram.replace('"', "\"\""))).collect();
    Some(phrases.join(" AND "))
}

/// Search through the trigram index (CROSS JOIN keeps the index lookup as the outer loop),
/// filtered exactly by `unibox_matches`.
pub(crate) const SEARCH_INDEXED: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM message_search s CROSS JOIN messages m ON m.seq = s.rowid \
     WHERE message_search MATCH ?1 AND m.tenant = ?2 AND (m.sent_at, m.id) < (?3, ?4) \
     AND unibox_matches(s.text, ?5) ORDER BY m.sent_at DESC, m.id DESC LIMIT ?6"
);

/// Search by walking the tenant's messages newest first (the index order) and stopping at
/// the page size: for queries whose terms are all too short for trigrams.
pub(crate) const SEARCH_SCAN: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m CROSS JOIN message_search s ON s.rowid = m.seq \
     WHERE m.tenant = ?1 AND (m.sent_at, m.id) < (?2, ?3) AND unibox_matches(s.text, ?4) \
     ORDER BY m.sent_at DESC, m.id DESC LIMIT ?5"
);

/// Search in a sealed inbox through the blind index: every message holding all the looked-up
/// tokens, newest first; each is opened and checked exactly in Rust.
pub(crate) const SEARCH_SEALED_INDEXED: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM message_terms s CROSS JOIN messages m ON m.seq = s.rowid \
     WHERE message_terms MATCH ?1 AND m.tenant = ?2 AND (m.sent_at, m.id) < (?3, ?4) \
     ORDER BY m.sent_at DESC, m.id DESC"
);

/// Search in a sealed inbox for terms too short for trigrams: the tenant's messages newest
/// first, each opened and checked, until the page is full.
pub(crate) const SEARCH_SEALED_SCAN: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.tenant = ?1 AND (m.sent_at, m.id) < (?2, ?3) ORDER BY m.sent_at DESC, m.id DESC"
);

/// The FTS5 query over the blind index for the query's terms of three characters or more:
/// their trigrams' tokens (a bounded, evenly spread sample), joined by AND.
fn blind_query(seal: &dyn TenantSeal, query: &SearchQuery) -> Option<String> {
    let mut tokens: Vec<String> = Vec::new();
    for term in query.terms() {
        for token in crate::sealing::terms::query_tokens(seal, term) {
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
    }
    if tokens.is_empty() {
        return None;
    }
    let step = tokens.len().div_ceil(MAX_TRIGRAMS);
    Some(tokens.iter().step_by(step).map(|token| format!("\"{token}\"")).collect::<Vec<_>>().join(" AND "))
}

/// A sealed inbox's search: candidates from the blind index (or a scan), opened and filtered.
fn search_sealed(
    conn: &Connection,
    tenant: &TenantId,
    query: &SearchQuery,
    seal: &dyn TenantSeal,
) -> Result<Page<Message>> {
    let (before_at, before_id) = keyset(query.before);
    let wanted = query.limit + 1;
    let blind = blind_query(seal, query);
    let mut statement = match blind {
        Some(_) => conn.prepare_cached(SEARCH_SEALED_INDEXED).during(OP)?,
        None => conn.prepare_cached(SEARCH_SEALED_SCAN).during(OP)?,
    };
    let mut rows = match &blind {
        Some(fts) => statement.query(params![fts, tenant.as_str(), before_at, before_id]).during(OP)?,
        None => statement.query(params![tenant.as_str(), before_at, before_id]).during(OP)?,
    };
    let mut found = Vec::with_capacity(wanted.min(64));
    while let Some(row) = rows.next().during(OP)? {
        let message = message_from_row(row, tenant).during(OP)?.open(OP)?;
        let text = search_text(&message.content);
        if text.is_some_and(|text| matches_all_terms(&text, &query.text)) {
            found.push(message);
            if found.len() >= wanted {
                break;
            }
        }
    }
    finish_message_page(conn, tenant, found, query.limit, OP)
}

/// Runs a validated search for `tenant`.
pub(crate) fn search(conn: &Connection, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
    if let Sealer::Sealed(seal, _) = crate::sealing::current(OP)? {
        return search_sealed(conn, tenant, query, seal.as_ref());
    }
    let (before_at, before_id) = keyset(query.before);
    let limit = fetch_limit(query.limit);
    let rows = match trigram_query(query) {
        Some(fts) => {
            let mut statement = conn.prepare_cached(SEARCH_INDEXED).during(OP)?;
            let rows = statement
                .query_map(params![fts, tenant.as_str(), before_at, before_id, query.text, limit], |row| {
                    message_from_row(row, tenant)
                })
                .during(OP)?;
            open_messages(rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?, OP)?
        }
        None => {
            let mut statement = conn.prepare_cached(SEARCH_SCAN).during(OP)?;
            let rows = statement
                .query_map(params![tenant.as_str(), before_at, before_id, query.text, limit], |row| {
                    message_from_row(row, tenant)
                })
                .during(OP)?;
            open_messages(rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?, OP)?
        }
    };
    finish_message_page(conn, tenant, rows, query.limit, OP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_must_occur_ignoring_case() {
        assert!(matches_all_terms("Where is my ORDER #1234?", "order 1234"));
        assert!(matches_all_terms("Where is my ORDER #1234?", "  ORD  is "));
        assert!(!matches_all_terms("Where is my ORDER #1234?", "order 999"));
        assert!(matches_all_terms("ÉCOLE", "école"));
    }

    #[test]
    fn thai_and_japanese_terms_match_inside_words() {
        assert!(matches_all_terms("สวัสดีครับ ต้องการคืนเงิน", "คืนเงิน"));
        assert!(matches_all_terms("注文した商品がまだ届きません", "商品 届き"));
        assert!(!matches_all_terms("注文した商品がまだ届きません", "返金"));
    }

    #[test]
    fn trigram_query_looks_up_quoted_trigrams_of_long_terms_only() {
        let query = SearchQuery::new("order a \"x\"y NEAR ok");
        let expected = r#""ord" AND "rde" AND "der" AND """x""" AND "x""y" AND "NEA" AND "EAR""#;
        assert_eq!(trigram_query(&query).as_deref(), Some(expected));
        assert_eq!(trigram_query(&SearchQuery::new("a ok")), None);
        let thai = r#""คืน" AND "ืนเ" AND "นเง" AND "เงิ" AND "งิน""#;
        assert_eq!(trigram_query(&SearchQuery::new("คืนเงิน")).as_deref(), Some(thai));
    }

    #[test]
    fn long_queries_look_up_a_bounded_sample_of_trigrams() {
        let query = SearchQuery::new("abcdefghijklmnopqrstuvwxyz0123456789".repeat(5));
        let fts = trigram_query(&query).unwrap_or_default();
        let looked_up = fts.split(" AND ").count();
        assert!((1..=MAX_TRIGRAMS).contains(&looked_up), "{looked_up} trigrams");
    }
}
