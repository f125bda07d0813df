//! Lowercase hex, as Meta and the marketplaces (Shopee, Lazada, TikTok Shop) write signatures.
//!
//! ```
//! use unibox_core::channel::hex;
//! assert_eq!(hex::encode(&[0x00, 0x9f, 0xff]), "009fff");
//! assert_eq!(hex::decode_exact::<3>("009FFF"), Some([0x00, 0x9f, 0xff]));
//! assert_eq!(hex::decode_exact::<3>("009ff"), None);
//! ```

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
///
/// ```
/// assert_eq!(unibox_core::channel::hex::encode(b"\x01\xab"), "01ab");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

fn value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Decodes exactly `N` bytes of hex (either case); `None` for any other length or a non-hex digit.
///
/// ```
/// assert_eq!(unibox_core::channel::hex::decode_exact::<2>("01AB"), Some([0x01, 0xab]));
/// assert_eq!(unibox_core::channel::hex::decode_exact::<2>("01ag"), None);
/// ```
pub fn decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        out[i] = (value(pair[0])? << 4) | value(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_digits() {
        let bytes = [0x00, 0x9f, 0xa0, 0xff];
        assert_eq!(encode(&bytes), "009fa0ff");
        assert_eq!(decode_exact::<4>("009FA0ff"), Some(bytes));
        assert_eq!(decode_exact::<4>("009fa0f"), None);
        assert_eq!(decode_exact::<4>("009fa0fg"), None);
        assert_eq!(decode_exact::<2>("é1"), None);
    }
}
