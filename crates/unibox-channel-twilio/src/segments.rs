//! SMS segments: how many parts a text is sent (and billed) as.
//!
//! A text that fits the GSM-7 alphabet is sent 7 bits a character: 160 characters fit one
//! SMS, and a longer text is split into parts of 153 (each part loses 7 characters to the
//! concatenation header). The extension characters `^ { } \ [ ~ ] | €` and form feed take two
//! (an escape and the character) and are never split across parts. Any other character (Thai,
//! emoji, `ก`, curly quotes) makes the whole text UCS-2: 70 UTF-16 units in one SMS, parts of
//! 67, a surrogate pair never split. So a Thai text costs far more segments than an English one
//! of the same length.
//!
//! Twilio reports the count it bills (`num_segments`); the channel meters that, and this count
//! only when Twilio gives none.

/// How a text is encoded on the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsEncoding {
    /// The GSM 03.38 7-bit alphabet (with its extension table).
    Gsm7,
    /// UTF-16 (UCS-2 with surrogate pairs).
    Ucs2,
}

/// How a text is sent as SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmsSegments {
    /// The encoding.
    pub encoding: SmsEncoding,
    /// The number of segments (parts); an empty text is one.
    pub segments: u32,
    /// The text's length in the encoding's units: septets for GSM-7, UTF-16 units for UCS-2.
    pub units: usize,
}

/// One SMS: 160 septets or 70 UTF-16 units; parts of a longer one: 153 or 67.
const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// The septets of a GSM-7 character: 1 for the basic table, 2 for the extension table, `None`
/// for a character GSM-7 cannot encode.
fn gsm7_septets(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "\u{c}^{}\\[~]|€";
    // The common case first: ASCII letters, digits and space are all in the basic table.
    if c.is_ascii_alphanumeric() || c == ' ' || BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Splits units into parts of `part` without breaking a character (its width), after checking
/// whether the whole fits in one message of `single`.
fn parts(widths: impl Iterator<Item = usize> + Clone, single: usize, part: usize) -> (u32, usize) {
    let units: usize = widths.clone().sum();
    if units <= single {
        return (1, units);
    }
    let (mut segments, mut filled) = (1u32, 0usize);
    for width in widths {
        if filled + width > part {
            segments += 1;
            filled = 0;
        }
        filled += width;
    }
    (segments, units)
}

/// How `text` is sent as SMS: its encoding and number of segments.
///
/// ```
/// use unibox_channel_twilio::{sms_segments, SmsEncoding};
/// assert_eq!(sms_segments(&"a".repeat(160)).segments, 1);
/// assert_eq!(sms_segments(&"a".repeat(161)).segments, 2);
/// // `€` is an extension character: two septets.
/// assert_eq!(sms_segments(&"€".repeat(80)).segments, 1);
/// // Thai is UCS-2: 70 characters a segment, 67 a part.
/// let thai = sms_segments("สวัสดีครับ พัสดุของคุณออกจากคลังสินค้าที่กรุงเทพฯ เมื่อเช้านี้แล้ว ขอบคุณครับ");
/// assert_eq!((thai.encoding, thai.segments), (SmsEncoding::Ucs2, 2));
/// ```
pub fn sms_segments(text: &str) -> SmsSegments {
    let gsm7: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    match gsm7 {
        Some(septets) => {
            let (segments, units) = parts(septets.into_iter(), GSM7_SINGLE, GSM7_PART);
            SmsSegments { encoding: SmsEncoding::Gsm7, segments, units }
        }
        None => {
            let (segments, units) = parts(text.chars().map(char::len_utf16), UCS2_SINGLE, UCS2_PART);
            SmsSegments { encoding: SmsEncoding::Ucs2, segments, units }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str) -> (SmsEncoding, u32, usize) {
        let s = sms_segments(text);
        (s.encoding, s.segments, s.units)
    }

    #[test]
    fn gsm7_limits_are_160_then_parts_of_153() {
        assert_eq!(count(""), (SmsEncoding::Gsm7, 1, 0));
        assert_eq!(count(&"x".repeat(160)), (SmsEncoding::Gsm7, 1, 160));
        assert_eq!(count(&"x".repeat(161)), (SmsEncoding::Gsm7, 2, 161));
        assert_eq!(count(&"x".repeat(306)), (SmsEncoding::Gsm7, 2, 306));
        assert_eq!(count(&"x".repeat(307)), (SmsEncoding::Gsm7, 3, 307));
        assert_eq!(
            count("Your order #TH-20931 left Bangkok: 2 boxes @ £12, ¿ok? Ñandu & Ødegaard"),
            (SmsEncoding::Gsm7, 1, 71)
        );
    }

    #[test]
    fn extension_characters_count_two_and_are_never_split() {
        assert_eq!(count(&"{".repeat(80)), (SmsEncoding::Gsm7, 1, 160));
        assert_eq!(count(&"{".repeat(81)), (SmsEncoding::Gsm7, 2, 162));
        // 152 plain septets then `€`: the pair does not fit the first part's last septet.
        let text = format!("{}€{}", "x".repeat(152), "x".repeat(10));
        assert_eq!(count(&text), (SmsEncoding::Gsm7, 2, 164));
    }

    #[test]
    fn ucs2_limits_are_70_then_parts_of_67_and_surrogates_stay_whole() {
        assert_eq!(count(&"ก".repeat(70)), (SmsEncoding::Ucs2, 1, 70));
        assert_eq!(count(&"ก".repeat(71)), (SmsEncoding::Ucs2, 2, 71));
        assert_eq!(count(&"ก".repeat(134)), (SmsEncoding::Ucs2, 2, 134));
        assert_eq!(count(&"ก".repeat(135)), (SmsEncoding::Ucs2, 3, 135));
        // One emoji turns an English text into UCS-2; each emoji is a surrogate pair.
        assert_eq!(count(&format!("{}👍", "x".repeat(68))), (SmsEncoding::Ucs2, 1, 70));
        assert_eq!(count(&format!("{}👍", "x".repeat(66))).1, 1);
        assert_eq!(count(&format!("{}👍x", "x".repeat(68))), (SmsEncoding::Ucs2, 2, 71));
        let text = format!("{}👍{}", "x".repeat(66), "x".repeat(10));
        assert_eq!(count(&text), (SmsEncoding::Ucs2, 2, 78));
    }

    #[test]
    fn the_same_length_costs_more_in_thai() {
        let english = "Your parcel left our Bangkok warehouse this morning, thank you for shopping";
        let thai = "พัสดุของคุณออกจากคลังสินค้าที่กรุงเทพฯ เมื่อเช้านี้แล้ว ขอบคุณที่อุดหนุนค่ะ";
        assert_eq!(sms_segments(english).segments, 1);
        assert_eq!(sms_segments(thai).segments, 2);
    }
}
