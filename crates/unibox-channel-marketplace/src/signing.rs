//! The parts of Lazada's and TikTok Shop's API request signatures they share: parameters
//! sorted by name and concatenated as `key1value1key2value2…`, and hex.
//!
//! Lazada signs `api_path + sorted(params)` and writes UPPERCASE hex; TikTok Shop signs
//! `secret + path + sorted(params) + body + secret` and writes lowercase hex. Both sort by
//! byte order of the names (ASCII), and both leave out `sign` itself.

/// `key1value1key2value2…` of `parameters` sorted by name (byte order), leaving out the
/// names in `skip` and parameters whose value is empty (as the platforms' official SDKs do).
///
/// ```
/// use unibox_channel_marketplace::signing::sorted_concatenation;
/// let params = [("timestamp", "1517820392000"), ("app_key", "123456"), ("sign", "X"), ("note", "")];
/// assert_eq!(sorted_concatenation(&params, &["sign"]), "app_key123456timestamp1517820392000");
/// ```
pub fn sorted_concatenation(parameters: &[(&str, &str)], skip: &[&str]) -> String {
    let mut kept: Vec<&(&str, &str)> =
        parameters.iter().filter(|(name, value)| !value.is_empty() && !skip.contains(name)).collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(kept.iter().map(|(k, v)| k.len() + v.len()).sum());
    for (name, value) in kept {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn encode(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(digits[usize::from(byte >> 4)]));
        out.push(char::from(digits[usize::from(byte & 0x0f)]));
    }
    out
}

/// Lowercase hex.
///
/// ```
/// assert_eq!(unibox_channel_marketplace::signing::encode_hex_lower(&[0xab, 0x01]), "ab01");
/// ```
pub fn encode_hex_lower(bytes: &[u8]) -> String {
    encode(bytes, LOWER)
}

/// UPPERCASE hex (Lazada's `sign`).
///
/// ```
/// assert_eq!(unibox_channel_marketplace::signing::encode_hex_upper(&[0xab, 0x01]), "AB01");
/// ```
pub fn encode_hex_upper(bytes: &[u8]) -> String {
    encode(bytes, UPPER)
}

/// Hex of either case to bytes; `None` for an odd length or a non-hex digit.
///
/// ```
/// use unibox_channel_marketplace::signing::decode_hex;
/// assert_eq!(decode_hex("aB01"), Some(vec![0xab, 0x01]));
/// assert_eq!(decode_hex("abc"), None);
/// ```
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_bytes_not_by_locale_and_empty_values_are_left_out() {
        let params = [("b", "2"), ("B", "1"), ("a_b", "3"), ("ab", "4"), ("c", "")];
        assert_eq!(sorted_concatenation(&params, &[]), "B1a_b3ab4b2");
    }

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_hex(&encode_hex_lower(&bytes)).unwrap(), bytes);
        assert_eq!(decode_hex(&encode_hex_upper(&bytes)).unwrap(), bytes);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex(""), Some(vec![]));
    }
}
