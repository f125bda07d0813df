//! The blind full-text index of a sealed inbox: `message_terms`, an FTS5 table (contentless,
//! no positions) whose rows (rowid = `messages.seq`) hold, for each message, the keyed 64-bit
//! PRF ([`TenantSeal::term`](unibox_core::privacy::TenantSeal::term)) of every trigram of its
//! text ([`search_trigrams`]), in hex. A search looks up its terms' trigrams the same way (AND),
//! then opens each candidate and checks it exactly, so it finds what the plaintext trigram index
//! found, Thai and CJK included, and another tenant's key gives other tokens.

use unibox_core::privacy::{TenantSeal, search_trigrams};

/// The index row of `text`: its trigrams' tokens, space-separated.
pub(crate) fn index_row(seal: &dyn TenantSeal, text: &str) -> String {
    let trigrams = search_trigrams(text);
    let mut row = String::with_capacity(trigrams.len() * 17);
    for trigram in trigrams {
        if !row.is_empty() {
            row.push(' ');
        }
        push_token(&mut row, seal.term(&trigram));
    }
    row
}

/// The tokens a query term's trigrams are looked up by.
pub(crate) fn query_tokens(seal: &dyn TenantSeal, term: &str) -> Vec<String> {
    search_trigrams(term)
        .into_iter()
        .map(|trigram| {
            let mut token = String::with_capacity(16);
            push_token(&mut token, seal.term(&trigram));
            token
        })
        .collect()
}

fn push_token(out: &mut String, term: u64) {
    use std::fmt::Write;
    // A letter first, so no token reads as a number or an FTS5 keyword.
    let _ = write!(out, "t{term:016x}");
}
