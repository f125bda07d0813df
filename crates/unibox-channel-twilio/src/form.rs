//! Twilio's form parameters: decoded as `application/x-www-form-urlencoded` (`+` is a space,
//! percent escapes are UTF-8), kept sorted by name and then value, as the signature needs them.
//!
//! The decoder is this crate's own, with exactly `url::form_urlencoded::parse`'s results (a
//! property test compares them) and a fast path: most of Twilio's names and values have no `+`
//! or `%`, and those are borrowed from the body after one scan, without the per-byte iterator
//! chain that made decoding most of a webhook's cost.

use std::borrow::Cow;

/// The parameters of one webhook, sorted by (name, value) with exact repeats removed: the
/// order and the set Twilio's own validator signs (`sorted(set(values))` per name), and one
/// that lets a field be found by binary search.
#[derive(Debug, Default)]
pub(crate) struct Form<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// A parameter given twice with different values where one is expected.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Repeated<'n>(pub(crate) &'n str);

impl<'a> Form<'a> {
    /// Decodes an `application/x-www-form-urlencoded` body; undecodable UTF-8 becomes U+FFFD
    /// (so it cannot match a signature Twilio made over the real text).
    pub(crate) fn parse(body: &'a [u8]) -> Self {
        let mut pairs = Vec::with_capacity(body.iter().filter(|b| **b == b'&').count() + 1);
        for piece in body.split(|byte| *byte == b'&').filter(|piece| !piece.is_empty()) {
            let (name, value) = match piece.iter().position(|byte| *byte == b'=') {
                Some(equals) => (&piece[..equals], &piece[equals + 1..]),
                None => (piece, &piece[piece.len()..]),
            };
            pairs.push((decode(name), decode(value)));
        }
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
                Some((Cow::Owned(name), Cow::Owned(text)))
            })
            .collect();
        Some(Form::sorted(pairs))
    }

    fn sorted(mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        Form { pairs }
    }

    /// Every (name, value), sorted.
    pub(crate) fn pairs(&self) -> &[(Cow<'a, str>, Cow<'a, str>)] {
        &self.pairs
    }

    /// Every value of `name`, sorted.
    pub(crate) fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        let start = self.pairs.partition_point(|(key, _)| key.as_ref() < name);
        self.pairs[start..].iter().take_while(move |(key, _)| key == name).map(|(_, value)| value.as_ref())
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
        for (name, value) in &self.pairs {
            let value = serde_json::Value::String(value.to_string());
            match object.get_mut(name.as_ref()) {
                Some(serde_json::Value::Array(values)) => values.push(value),
                Some(first) => *first = serde_json::Value::Array(vec![first.take(), value]),
                None => {
                    object.insert(name.to_string(), value);
                }
            }
        }
        serde_json::Value::Object(object)
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
                Just(b'g'), Just(0xe0u8), Just(0xb8u8), Just(0xffu8), any::<u8>(),
            ],
            0..64,
        )) {
            let mut expected: Vec<(Cow<'_, str>, Cow<'_, str>)> = url::form_urlencoded::parse(&body).collect();
            expected.sort_unstable();
            expected.dedup();
            let form = Form::parse(&body);
            prop_assert_eq!(form.pairs(), expected.as_slice());
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
        let names: Vec<&str> = form.pairs().iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(names, ["Body", "Body2", "Digits", "Digits", "To"]);
    }

    #[test]
    fn an_exact_repeat_counts_once_like_twilios_validator() {
        let form = Form::parse(b"A=1&A=1&B=2");
        assert_eq!(form.pairs().len(), 2);
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
