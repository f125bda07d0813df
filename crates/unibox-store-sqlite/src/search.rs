//! Full-text search: an FTS5 trigram index narrows the candidates, and `unibox_matches`
//! (a Rust function registered on every connection) decides exactly.
//!
//! A trigram index can only look up terms of three characters or more. A search whose terms
//! are all shorter scans the tenant's messages newest first instead, stopping at the page size;
//! a search mixing both looks up the long terms and filters by all of them.

use rusqlite::{Connection, params};
use unibox_core::inbox::{Page, SearchQuery};
use unibox_core::{Message, Result, TenantId};

use crate::codec::{fetch_limit, keyset};
use crate::error::SqlResultExt;
use crate::rows::{finish_message_page, message_from_row};

const OP: &str = "sqlite.search";

/// True when every whitespace-separated term of `query` occurs in `text`, ignoring case.
pub(crate) fn matches_all_terms(text: &str, query: &str) -> bool {
    let haystack = text.to_lowercase();
    query.split_whitespace().all(|term| haystack.contains(&term.to_lowercase()))
}

/// The FTS5 query for the terms the trigram index can look up (three characters or more), each
/// a quoted phrase so no character of the user's text is read as query syntax; `None` if no
/// term is long enough.
pub(crate) fn trigram_query(query: &SearchQuery) -> Option<String> {
    let phrases: Vec<String> = query
        .terms()
        .into_iter()
        .filter(|term| term.chars().count() >= 3)
        .map(|term| format!("\"{}\"", term.replace('"', "\"\"")))
        .collect();
    if phrases.is_empty() { None } else { Some(phrases.join(" AND ")) }
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

/// Runs a validated search for `tenant`.
pub(crate) fn search(conn: &Connection, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
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
            rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?
        }
        None => {
            let mut statement = conn.prepare_cached(SEARCH_SCAN).during(OP)?;
            let rows = statement
                .query_map(params![tenant.as_str(), before_at, before_id, query.text, limit], |row| {
                    message_from_row(row, tenant)
                })
                .during(OP)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?
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
    fn trigram_query_quotes_terms_and_skips_short_ones() {
        let query = SearchQuery::new("refund a \"x\"y NEAR ok");
        assert_eq!(trigram_query(&query).as_deref(), Some(r#""refund" AND """x""y" AND "NEAR""#));
        assert_eq!(trigram_query(&SearchQuery::new("a ok")), None);
    }
}
