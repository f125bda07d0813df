//! A deterministic message corpus for search benchmarks: texts of twelve made-up words from a
//! vocabulary of 3,000 (a Zipf-like skew, so low word numbers are frequent) and one Thai word.
//!
//! Every backend's search bench builds its fixture from the same texts, so their numbers describe
//! the same data: a pair such as `word(300 + 7 * i)` and `word(900 + 11 * i)` occurs together in a
//! few dozen messages per million, and `word(2_500)` in a few hundred.
//!
//! ```
//! use unibox_testkit::corpus;
//! assert_eq!(corpus::text(7), corpus::text(7));
//! assert_ne!(corpus::word(1), corpus::word(2));
//! assert_eq!(corpus::text(7).split(' ').count(), corpus::WORDS_PER_MESSAGE + 1);
//! ```

/// English-like words per message (one Thai word follows them).
pub const WORDS_PER_MESSAGE: usize = 12;
/// Distinct made-up words.
pub const VOCABULARY: u64 = 3_000;

const SYLLABLES: [&str; 24] = [
    "ka", "ro", "mi", "ten", "su", "lor", "ba", "nek", "vi", "dal", "po", "rin", "ge", "tho", "mas", "el", "qu", "ari",
    "fen", "zo", "lum", "pe", "sta", "wy",
];
const THAI: [&str; 40] = [
    "สวัสดี",
    "ครับ",
    "ค่ะ",
    "ขอบคุณ",
    "สั่งซื้อ",
    "เสื้อ",
    "สีแดง",
    "ไซส์",
    "ส่ง",
    "เชียงใหม่",
    "กรุงเทพ",
    "โอนเงิน",
    "คืนเงิน",
    "พัสดุ",
    "ติดตาม",
    "ราคา",
    "ลดราคา",
    "โปรโมชั่น",
    "สินค้า",
    "หมด",
    "รอ",
    "วันนี้",
    "พรุ่งนี้",
    "ได้ไหม",
    "ยกเลิก",
    "เปลี่ยน",
    "ขนาด",
    "สีดำ",
    "รองเท้า",
    "กระเป๋า",
    "ที่อยู่",
    "เบอร์",
    "โทร",
    "ด่วน",
    "ช้า",
    "เร็ว",
    "ดีมาก",
    "ชอบ",
    "ไม่",
    "ใช่",
];

/// Word `n` of the made-up vocabulary: two or three syllables, all distinct.
///
/// ```
/// assert_eq!(unibox_testkit::corpus::word(0), "kaka");
/// ```
pub fn word(n: u64) -> String {
    let base = SYLLABLES.len() as u64;
    let (a, b, c) = (n % base, (n / base) % base, (n / base / base) % base);
    let mut word = format!("{}{}", SYLLABLES[a as usize], SYLLABLES[b as usize]);
    if n >= base * base {
        word.push_str(SYLLABLES[c as usize]);
    }
    word
}

/// A deterministic pseudo-random stream (SplitMix64): `mix(n)` for consecutive `n`.
///
/// ```
/// assert_ne!(unibox_testkit::corpus::mix(1), unibox_testkit::corpus::mix(2));
/// ```
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Message `n`'s text: twelve words, skewed toward low word numbers, then one Thai word.
///
/// ```
/// assert!(unibox_testkit::corpus::text(0).is_char_boundary(0));
/// ```
pub fn text(n: u64) -> String {
    let mut words = Vec::with_capacity(WORDS_PER_MESSAGE + 1);
    for i in 0..WORDS_PER_MESSAGE as u64 {
        let r = mix(n * 31 + i);
        // Squaring a uniform draw skews it toward small word numbers.
        let u = (r % 10_000) as f64 / 10_000.0;
        words.push(word(((u * u) * VOCABULARY as f64) as u64));
    }
    words.push(THAI[(mix(n ^ 0xABCD) % THAI.len() as u64) as usize].to_owned());
    words.join(" ")
}

/// The two-word queries the search benches cycle through: mid-frequency pairs that occur together
/// in a few dozen messages per million.
///
/// ```
/// assert_eq!(unibox_testkit::corpus::two_word_queries().len(), 16);
/// ```
pub fn two_word_queries() -> Vec<String> {
    (0..16).map(|i| format!("{} {}", word(300 + i * 7), word(900 + i * 11))).collect()
}

/// The single rarer word the search benches also look up (a few hundred messages per million).
///
/// ```
/// assert!(!unibox_testkit::corpus::rare_word().is_empty());
/// ```
pub fn rare_word() -> String {
    word(2_500)
}
