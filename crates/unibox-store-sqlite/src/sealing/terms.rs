//! The blind full-text index of a sealed inbox: `message_terms`, an FTS5 table (contentless,
//! no positions) whose rows (rowid = `messages.seq`) hold, for each message, its blind search
//! terms ([`search_terms`]: the keyed 64-bit PRF of every trigram of its text), in hex. A search
//! looks up its terms' trigrams the same way (AND), then opens each candidate and checks it
//! exactly, so it finds what the plaintext trigram index found, Thai and CJK included, and
//! another tenant's key gives other tokens.

use unibox_core::privacy::{TenantSeal, search_terms};

/// The length of one token: a letter and 16 hex digits.
const TOKEN_LEN: usize = 17;

/// The index row of `text`: its blind terms' tokens, space-separated.
pub(crate) fn index_row(seal: &dyn TenantSeal, text: &str) -> String {
    let terms = search_terms(seal, text);
    let mut row = String::with_capacity(terms.len() * (TOKEN_LEN + 1));
    for term in terms {
        if !row.is_empty() {
            row.push(' ');
        }
        push_token(&mut row, term);
    }
    row
}

/// The tokens a query term's trigrams are looked up by.
pub(crate) fn query_tokens(seal: &dyn TenantSeal, term: &str) -> Vec<String> {
    search_terms(seal, term)
        .into_iter()
        .map(|term| {
            let mut token = String::with_capacity(TOKEN_LEN);
            push_token(&mut token, term);
            token
        })
        .collect()
}

fn push_token(out: &mut String, term: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // A letter first, so no token reads as a number or an FTS5 keyword.
    out.push('t');
    for shift in (0..16).rev() {
        out.push(char::from(HEX[((term >> (shift * 4)) & 0xf) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_a_letter_and_sixteen_hex_digits() {
        let mut token = String::new();
        push_token(&mut token, 0x0123_4567_89ab_cdef);
        assert_eq!(token, "t0123456789abcdef");
        token.clear();
        push_token(&mut token, u64::MAX);
        assert_eq!(token, format!("t{:016x}", u64::MAX));
        assert_eq!(token.len(), TOKEN_LEN);
    }
}
