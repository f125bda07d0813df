//! Twilio's form parameters: decoded with `url::form_urlencoded` (`+` is a space, percent
//! escapes are UTF-8), kept sorted by name and then value, as the signature needs them.

use std::borrow::Cow;

use url::form_urlencoded;

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
        pairs.extend(form_urlencoded::parse(body));
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

#[cfg(test)]
mod tests {
    use super::*;

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
