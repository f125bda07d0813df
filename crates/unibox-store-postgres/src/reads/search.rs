//! Search over sealed messages: the blind trigram terms narrow the candidates, then each
//! candidate is opened and checked exactly (every query term occurs in its text, ignoring case).
//!
//! A term shorter than three characters has no trigram. A search whose terms are all that short
//! scans the tenant's messages newest first instead; a search mixing both looks up the long
//! terms' trigrams and checks all terms.

use unibox_core::inbox::SearchQuery;
use unibox_core::{Message, Result, TenantId};

use super::keyset;
use super::rows::{self, MESSAGE_COLUMNS};
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::sealing::Seal;

/// The most trigram terms one search looks up: any subset finds a superset of the matches (the
/// exact check does the rest), so a long query looks up an evenly spread sample.
const MAX_TERMS: usize = 24;

/// Candidates read per round while filling a page.
const BATCH: i64 = 200;

/// True when every whitespace-separated term of `query` occurs in `text`, ignoring case.
fn matches_all_terms(text: &str, query: &SearchQuery) -> bool {
    let haystack = text.to_lowercase();
    query.terms().iter().all(|term| haystack.contains(&term.to_lowercase()))
}

/// Up to `query.limit + 1` matching messages, newest first, from `query.before` on.
pub(crate) async fn search(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    query: &SearchQuery,
    operation: &'static str,
) -> Result<Vec<Message>> {
    let mut terms: Vec<i64> = Vec::new();
    for term in query.terms() {
        for blind in seal.terms(term) {
            if !terms.contains(&blind) {
                terms.push(blind);
            }
        }
    }
    if terms.len() > MAX_TERMS {
        let step = terms.len().div_ceil(MAX_TERMS);
        terms = terms.into_iter().step_by(step).collect();
    }
    let wanted = query.limit.saturating_add(1);
    let (mut at, mut id) = keyset(query.before);
    let mut found = Vec::new();
    loop {
        let rows = if terms.is_empty() {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.tenant = $1 AND (m.sent_at, m.id) < ($2, $3) \
                 AND m.unsent_at IS NULL ORDER BY m.sent_at DESC, m.id DESC LIMIT $4"
            );
            let statement = tx.prepare_cached(&sql).await.during(operation)?;
            tx.query(&statement, &[&tenant.as_str(), &at, &id, &BATCH]).await.during(operation)?
        } else {
            // The index answers first (MATERIALIZED): the tenant's messages holding every term
            // (`unibox_search_hits`, migration `message_search`: under row-level security the
            // GIN index cannot serve `@>`), then the newest of them.
            let sql = format!(
                "WITH hits AS MATERIALIZED (SELECT h.message FROM unibox_search_hits($4::BIGINT[]) h) \
                 SELECT {MESSAGE_COLUMNS} FROM hits JOIN messages m ON m.tenant = $1 AND m.id = hits.message \
                 WHERE (m.sent_at, m.id) < ($2, $3) ORDER BY m.sent_at DESC, m.id DESC LIMIT $5"
            );
            let statement = tx.prepare_cached(&sql).await.during(operation)?;
            tx.query(&statement, &[&tenant.as_str(), &at, &id, &terms, &BATCH]).await.during(operation)?
        };
        let exhausted = (rows.len() as i64) < BATCH;
        for row in &rows {
            let message = rows::message(row, tenant, seal, operation)?;
            (at, id) = (message.sent_at.as_unix_millis(), message.id.as_uuid());
            let text = message.content.searchable_text().map(|text| text.into_owned()).unwrap_or_default();
            if matches_all_terms(&text, query) {
                found.push(message);
                if found.len() == wanted {
                    return Ok(found);
                }
            }
        }
        if exhausted {
            return Ok(found);
        }
    }
}
