//! The redaction step: personal data masked out of text before it leaves the process for an AI
//! provider or any other processor.
//!
//! Masked by default: e-mail addresses, phone numbers (international `+66 81 234 5678`,
//! `0066…`, Thai and other national numbers with a trunk `0` such as `081-234-5678` or
//! `02 123 4567`, North American `(415) 555-0132`) and card-like numbers (13 to 19 digits that
//! pass the Luhn check). An application adds its own patterns (national ids, order references)
//! with [`Redactor::with_pattern`].

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use crate::{Error, ErrorKind, Result};

/// The placeholder an e-mail address becomes.
pub const EMAIL: &str = "[email]";
/// The placeholder a phone number becomes.
pub const PHONE: &str = "[phone]";
/// The placeholder a card-like number becomes.
pub const CARD: &str = "[card]";

struct Builtin {
    email: Regex,
    card: Regex,
    phones: [Regex; 3],
}

fn builtin() -> &'static Builtin {
    static BUILTIN: OnceLock<Builtin> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        // The patterns are constants; a failure to compile them is a bug caught by every test.
        let compile = |pattern: &str| Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern: {e}"));
        Builtin {
            email: compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
            card: compile(r"[0-9](?:[ \-]?[0-9]){12,18}"),
            phones: [
                // International: a `+` or `00` prefix, country code, then groups.
                compile(r"(?:\+|00)[0-9]{1,3}(?:[ .\-]?\(?[0-9]{1,4}\)?){2,6}"),
                // National with a trunk 0 (Thailand: 02-123-4567, 081-234-5678, 0812345678).
                compile(r"0[0-9]{1,2}[ .\-]?[0-9]{3}[ .\-]?[0-9]{3,4}"),
                // North American: (415) 555-0132, 415-555-0132.
                compile(r"\(?[0-9]{3}\)?[ .\-][0-9]{3}[ .\-][0-9]{4}"),
            ],
        }
    })
}

/// Masks personal data out of text. Cheap to clone; share one per process.
///
/// ```
/// use unibox_core::privacy::Redactor;
/// let redactor = Redactor::new().with_pattern("order", r"TH-[0-9]{5}").unwrap();
/// let text = "I'm somchai@example.co.th, call 081-234-5678 or +66 2 123 4567; card 4111 1111 1111 1111, order TH-20931";
/// assert_eq!(
///     redactor.redact(text),
///     "I'm [email], call [phone] or [phone]; card [card], order [order]"
/// );
/// // Dates, amounts and short numbers stay.
/// assert_eq!(redactor.redact("2024-11-21: 3 items, 1,250 THB"), "2024-11-21: 3 items, 1,250 THB");
/// ```
#[derive(Clone, Default)]
pub struct Redactor {
    extra: Vec<(Regex, String)>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.extra.iter().map(|(_, name)| name.as_str()).collect();
        f.debug_struct("Redactor").field("extra_patterns", &names).finish()
    }
}

impl Redactor {
    /// The built-in rules: e-mail addresses, phone numbers, card-like numbers.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Also masks every match of `pattern` (a [`regex`](https://docs.rs/regex) pattern) as
    /// `[name]`. `InvalidInput` when the pattern does not compile or `name` is empty.
    pub fn with_pattern(mut self, name: &str, pattern: &str) -> Result<Self> {
        if name.trim().is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "a redaction pattern needs a name"));
        }
        let regex = Regex::new(pattern).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("the redaction pattern {name:?} does not compile: {e}"))
        })?;
        self.extra.push((regex, format!("[{name}]")));
        Ok(self)
    }

    /// `text` with every match masked; borrowed unchanged when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let rules = builtin();
        let mut text = Cow::Borrowed(text);
        for (regex, placeholder) in &self.extra {
            text = replace(text, regex, |_| true, placeholder);
        }
        text = replace(text, &rules.email, |_| true, EMAIL);
        text = replace(text, &rules.card, luhn_valid, CARD);
        for phone in &rules.phones {
            text = replace(text, phone, phone_like, PHONE);
        }
        text
    }
}

/// Masks `text` with the default [`Redactor`].
///
/// ```
/// assert_eq!(unibox_core::privacy::redact("โทร 0812345678 ค่ะ"), "โทร [phone] ค่ะ");
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    static DEFAULT: OnceLock<Redactor> = OnceLock::new();
    DEFAULT.get_or_init(Redactor::new).redact(text)
}

/// Replaces the matches of `regex` that `accept` and that are not part of a longer number.
fn replace<'a>(text: Cow<'a, str>, regex: &Regex, accept: fn(&str) -> bool, placeholder: &str) -> Cow<'a, str> {
    let mut output = String::new();
    let mut copied = 0;
    for found in regex.find_iter(&text) {
        let before = text[..found.start()].chars().next_back();
        let after = text[found.end()..].chars().next();
        // Thai and other scripts put digits right after letters ("โทร0812345678"), so only a
        // neighbouring digit (a longer number) disqualifies a match, not a letter.
        let inside_a_number = before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit());
        if inside_a_number || !accept(found.as_str()) {
            continue;
        }
        output.push_str(&text[copied..found.start()]);
        output.push_str(placeholder);
        copied = found.end();
    }
    if copied == 0 {
        return text;
    }
    output.push_str(&text[copied..]);
    Cow::Owned(output)
}

fn digits(candidate: &str) -> Vec<u32> {
    candidate.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn checksum every payment card number satisfies.
fn luhn_valid(candidate: &str) -> bool {
    let digits = digits(candidate);
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

/// E.164 numbers have at most 15 digits; national ones at least 8 with the trunk prefix.
fn phone_like(candidate: &str) -> bool {
    (8..=15).contains(&digits(candidate).len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thai_and_international_phone_formats_are_masked() {
        for phone in [
            "081-234-5678",
            "0812345678",
            "02-123-4567",
            "02 123 4567",
            "+66 81 234 5678",
            "+66812345678",
            "+66-2-123-4567",
            "0066 81 234 5678",
            "+44 20 7946 0958",
            "+1 (415) 555-0132",
            "(415) 555-0132",
        ] {
            let text = format!("call me at {phone} please");
            assert_eq!(redact(&text), "call me at [phone] please", "{phone}");
        }
        assert_eq!(redact("เบอร์0812345678นะคะ"), "เบอร์[phone]นะคะ");
    }

    #[test]
    fn only_luhn_valid_card_numbers_are_masked_as_cards() {
        assert_eq!(redact("4111111111111111"), "[card]");
        assert_eq!(redact("5500-0000-0000-0004 exp 12/29"), "[card] exp 12/29");
        // Sixteen digits failing the checksum are not a card (and too long for a phone).
        assert_eq!(redact("tracking 4111111111111112"), "tracking 4111111111111112");
    }

    #[test]
    fn e_mails_and_extra_patterns_are_masked_and_bad_patterns_are_typed_errors() {
        assert_eq!(redact("write to a.b+c@shop.example.com!"), "write to [email]!");
        let redactor = Redactor::new().with_pattern("national_id", r"[0-9]-[0-9]{4}-[0-9]{5}-[0-9]{2}-[0-9]").unwrap();
        assert_eq!(redactor.redact("id 1-1037-02345-67-8"), "id [national_id]");
        assert_eq!(Redactor::new().with_pattern("x", "(").unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(Redactor::new().with_pattern(" ", "a").unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn ordinary_numbers_stay_and_unchanged_text_is_borrowed() {
        let text = "order 1042 of 2024-11-21, 3 items for 1,250.00 THB";
        assert!(matches!(redact(text), Cow::Borrowed(_)));
    }
}
