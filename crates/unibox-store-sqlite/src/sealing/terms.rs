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
    let mut row = Vec::with_capacity(terms.len() * (TOKEN_LEN + 1));
    for term in terms {
        if !row.is_empty() {
            row.push(b' ');
        }
        row.extend_from_slice(&token(term));
    }
    // ASCII only: one check for the whole row.
    String::from_utf8(row).unwrap_or_default()
}

/// The tokens a query term's trigrams are looked up by.
pub(crate) fn query_tokens(seal: &dyn TenantSeal, term: &str) -> Vec<String> {
    search_terms(seal, term).into_iter().map(|term| token(term).iter().copied().map(char::from).collect()).collect()
}

/// The token of a term: `t` (a letter first, so no token reads as a number or an FTS5
/// keyword) and the term in 16 lowercase hex digits.
fn token(term: u64) -> [u8; TOKEN_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut token = [b't'; TOKEN_LEN];
    for (digit, byte) in token[1..].iter_mut().enumerate() {
        *byte = HEX[((term >> (60 - 4 * digit)) & 0xf) as usize];
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_a_letter_and_sixteen_hex_digits() {
        assert_eq!(&token(0x0123_4567_89ab_cdef), b"t0123456789abcdef");
        assert_eq!(token(u64::MAX).to_vec(), format!("t{:016x}", u64::MAX).into_bytes());
        assert_eq!(&token(0), b"t0000000000000000");
    }
}
