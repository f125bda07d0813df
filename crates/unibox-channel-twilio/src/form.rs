//! Twilio's form parameters: decoded as `application/x-www-form-urlencoded` (`+` is a space,
//! percent escapes are UTF-8), kept sorted by name and then value, as the signature needs them.
//!
//! The decoder is this crate's own, with exactly `url::form_urlencoded::parse`'s results (a
//! property test compares them), built for the few microseconds a webhook may take:
//!
//! - the separators (`&`, `=`) and the escapes (`+`, `%`) are found by `memchr`'s vectorized
//!   scans, not byte by byte; the body's UTF-8 is checked once, so the names and values without escapes (most of
//!   Twilio's) are borrowed from it with no per-piece check or copy;
//! - each parameter carries its name's first eight bytes as a big-endian integer, so sorting
//!   and the lookups by name compare integers and fall back to the strings only on a tie (a
//!   repeated name, or names sharing eight bytes).

use std::borrow::Cow;
use std::cmp::Ordering;

/// One parameter, with the sort key of its name.
#[derive(Debug, PartialEq, Eq)]
struct Pair<'a> {
    /// The name's first eight bytes, big-endian, zero-padded: ordered like the names themselves
    /// wherever they differ (a shorter name that is a prefix of a longer one pads with 0, which
    /// is less than any byte it could be compared with, except 0, where the tie falls back to
    /// the names).
    key: u64,
    name: Cow<'a, str>,
    value: Cow<'a, str>,
}

impl Pair<'_> {
    fn order(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key).then_with(|| self.name.cmp(&other.name)).then_with(|| self.value.cmp(&other.value))
    }
}

fn key_of(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut key = [0u8; 8];
    let length = bytes.len().min(8);
    key[..length].copy_from_slice(&bytes[..length]);
    u64::from_be_bytes(key)
}

/// The parameters of one webhook, sorted by (name, value) with exact repeats removed: the
/// order and the set Twilio's own validator signs (`sorted(set(values))` per name), and one
/// that lets a field be found by binary search.
#[derive(Debug, Default)]
pub(crate) struct Form<'a> {
    pairs: Vec<Pair<'a>>,
}

/// A parameter given twice with different values where one is expected.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Repeated<'n>(pub(crate) &'n str);

impl<'a> Form<'a> {
    /// Decodes an `application/x-www-form-urlencoded` body; undecodable UTF-8 becomes U+FFFD
    /// (so it cannot match a signature Twilio made over the real text).
    pub(crate) fn parse(body: &'a [u8]) -> Self {
        // Checked once for the whole body: then every piece without escapes is a `str` slice
        // (the separators are ASCII, so they are character boundaries).
        let mut reader = Reader {
            body,
            text: std::str::from_utf8(body).ok(),
            escapes: memchr::memchr2_iter(b'+', b'%', body).peekable(),
        };
        let mut pairs = Vec::with_capacity(24);
        let (mut start, mut equals) = (0, None);
        for at in memchr::memchr2_iter(b'&', b'=', body) {
            if body[at] == b'=' {
                equals.get_or_insert(at);
                continue;
            }
            reader.push(&mut pairs, start, equals, at);
            (start, equals) = (at + 1, None);
        }
        reader.push(&mut pairs, start, equals, body.len());
        Self::sorted(pairs)
    }

    /// The top-level string, number and boolean members of a JSON object body, as parameters;
    /// `None` when the body is not a JSON object.
    pub(crate) fn from_json(body: &[u8]) -> Option<Form<'static>> {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).ok()?;
        let pairs = object
            .into_iter()
            .filter_map(|(name, value)| {
                let text = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Number(number) => number.to_string(),
                    serde_json::Value::Bool(flag) => flag.to_string(),
                    _ => return None,
                };
                Some(Pair { key: key_of(&name), name: Cow::Owned(name), value: Cow::Owned(text) })
            })
            .collect();
        Some(Form::sorted(pairs))
    }

    fn sorted(mut pairs: Vec<Pair<'a>>) -> Self {
        pairs.sort_unstable_by(Pair::order);
        pairs.dedup();
        Form { pairs }
    }

    /// How many (name, value) pairs.
    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Every (name, value), sorted.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|pair| (pair.name.as_ref(), pair.value.as_ref()))
    }

    /// Every value of `name`, sorted.
    pub(crate) fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        let key = key_of(name);
        let start = self.pairs.partition_point(|pair| (pair.key, pair.name.as_ref()) < (key, name));
        self.pairs[start..]
            .iter()
            .take_while(move |pair| pair.key == key && pair.name == name)
            .map(|pair| pair.value.as_ref())
    }

    /// The value of `name`: `None` when absent, an error when it is given with two different values.
    pub(crate) fn get<'n>(&self, name: &'n str) -> Result<Option<&str>, Repeated<'n>> {
        let mut values = self.values(name);
        let first = values.next();
        match values.next() {
            Some(_) => Err(Repeated(name)),
            None => Ok(first),
        }
    }

    /// The parameters as a JSON object (a repeated name holds an array), to keep a webhook
    /// unibox has no mapping for whole.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for (name, value) in self.pairs() {
            let value = serde_json::Value::String(value.to_owned());
            match object.get_mut(name) {
                Some(serde_json::Value::Array(values)) => values.push(value),
                Some(first) => *first = serde_json::Value::Array(vec![first.take(), value]),
                None => {
                    object.insert(name.to_owned(), value);
                }
            }
        }
        serde_json::Value::Object(object)
    }
}

/// Reads the pieces of one body, in order.
struct Reader<'a, I: Iterator<Item = usize>> {
    body: &'a [u8],
    /// The body, when it is UTF-8.
    text: Option<&'a str>,
    /// Where the body has a `+` or a `%`, ascending.
    escapes: std::iter::Peekable<I>,
}

impl<'a, I: Iterator<Item = usize>> Reader<'a, I> {
    /// The parameter `body[start..end]`, its name ending at `equals` if there is one; nothing
    /// for an empty piece.
    fn push(&mut self, pairs: &mut Vec<Pair<'a>>, start: usize, equals: Option<usize>, end: usize) {
        if end <= start {
            return;
        }
        let (name, value) = match equals {
            Some(equals) => (self.piece(start, equals), self.piece(equals + 1, end)),
            None => (self.piece(start, end), Cow::Borrowed("")),
        };
        pairs.push(Pair { key: key_of(&name), name, value });
    }

    /// `body[from..to]` decoded; pieces come in ascending order.
    fn piece(&mut self, from: usize, to: usize) -> Cow<'a, str> {
        while self.escapes.next_if(|at| *at < from).is_some() {}
        let escaped = self.escapes.peek().is_some_and(|at| *at < to);
        match self.text {
            Some(text) if !escaped => Cow::Borrowed(&text[from..to]),
            _ => decode(&self.body[from..to]),
        }
    }
}

/// One name or value: `+` to a space, `%XX` to its byte (a `%` not followed by two hex digits
/// stays as it is), then UTF-8 with U+FFFD for what is not.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if !bytes.iter().any(|byte| matches!(byte, b'+' | b'%')) {
        return String::from_utf8_lossy(bytes);
    }
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, after)) = rest.split_first() {
        rest = after;
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => match (rest.first().and_then(|h| hex_value(*h)), rest.get(1).and_then(|l| hex_value(*l))) {
                (Some(high), Some(low)) => {
                    decoded.push(high << 4 | low);
                    rest = &rest[2..];
                }
                _ => decoded.push(b'%'),
            },
            other => decoded.push(other),
        }
    }
    match String::from_utf8(decoded) {
        Ok(text) => Cow::Owned(text),
        Err(invalid) => Cow::Owned(String::from_utf8_lossy(invalid.as_bytes()).into_owned()),
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The same pairs as `url::form_urlencoded::parse`, which Twilio's own validators match,
        /// on bodies made of the bytes that matter (separators, escapes, hex digits, non-UTF-8).
        #[test]
        fn decodes_exactly_like_form_urlencoded(body in proptest::collection::vec(
            prop_oneof![
                Just(b'&'), Just(b'='), Just(b'+'), Just(b'%'), Just(b'a'), Just(b'F'), Just(b'0'), Just(b'9'),
                Just(b'g'), Just(0u8), Just(0xe0u8), Just(0xb8u8), Just(0xffu8), any::<u8>(),
            ],
            0..64,
        )) {
            let mut expected: Vec<(Cow<'_, str>, Cow<'_, str>)> = url::form_urlencoded::parse(&body).collect();
            expected.sort_unstable();
            expected.dedup();
            let expected: Vec<(&str, &str)> = expected.iter().map(|(n, v)| (n.as_ref(), v.as_ref())).collect();
            let form = Form::parse(&body);
            prop_assert_eq!(form.pairs().collect::<Vec<_>>(), expected.clone());
            // Every name is found by its lookup, with all its values.
            for (name, _) in &expected {
                let values: Vec<&str> = expected.iter().filter(|(n, _)| n == name).map(|(_, v)| *v).collect();
                prop_assert_eq!(form.values(name).collect::<Vec<_>>(), values);
            }
        }
    }

    #[test]
    fn percent_escapes_plus_and_repeats_decode_and_sort() {
        let form = Form::parse(
            b"To=%2B14155550100&Body=plan+5+potato&Digits=5678&Digits=1234&Body2=%E0%B8%AA%E0%B8%A7%E0%B8%B1",
        );
        assert_eq!(form.get("To"), Ok(Some("+14155550100")));
        assert_eq!(form.get("Body"), Ok(Some("plan 5 potato")));
        assert_eq!(form.get("Body2"), Ok(Some("สวั")));
        assert_eq!(form.values("Digits").collect::<Vec<_>>(), ["1234", "5678"]);
        assert_eq!(form.get("Digits"), Err(Repeated("Digits")));
        assert_eq!(form.get("Missing"), Ok(None));
        let names: Vec<&str> = form.pairs().map(|(k, _)| k).collect();
        assert_eq!(names, ["Body", "Body2", "Digits", "Digits", "To"]);
    }

    #[test]
    fn an_exact_repeat_counts_once_like_twilios_validator() {
        let form = Form::parse(b"A=1&A=1&B=2");
        assert_eq!(form.len(), 2);
        assert_eq!(form.get("A"), Ok(Some("1")));
    }

    #[test]
    fn json_objects_become_parameters() {
        let form = Form::from_json(br#"{"MessageSid":"SM1","NumMedia":0,"Nested":{"a":1}}"#).unwrap();
        assert_eq!(form.get("NumMedia"), Ok(Some("0")));
        assert_eq!(form.get("Nested"), Ok(None));
        assert!(Form::from_json(b"[1,2]").is_none());
        assert_eq!(Form::parse(b"A=1&A=2").to_json(), serde_json::json!({"A": ["1", "2"]}));
    }
}
