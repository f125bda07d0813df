//! Shopee ids as exact decimal strings.
//!
//! Shopee writes the same id as a JSON string in one place (`"conversation_id":
//! "709122092476686867"` in pushes) and as a bare number in another (`conversation_id` in
//! `send_message` answers, `from_id`, `item_id`), and ids pass 2^53, where a float loses
//! digits. [`Id`] accepts a string or an integer and keeps the digits exactly; a number with a
//! fraction or exponent, or one past `u64`, is refused instead of being rounded through `f64`.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A Shopee id, kept as its exact decimal (or opaque string) form; empty when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Id(pub(crate) String);

impl Id {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty() || self.0 == "0"
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id as a string or an integer")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Id, E> {
                Ok(Id(value.to_owned()))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<Id, E> {
                Ok(Id(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Id, E> {
                Ok(Id(value.to_string()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Id, E> {
                Ok(Id(value.to_string()))
            }

            fn visit_f64<E: de::Error>(self, _value: f64) -> Result<Id, E> {
                Err(E::custom("an id is an integer; a fraction, an exponent or a number past u64 would lose digits"))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Id, E> {
                Ok(Id::default())
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_past_two_to_the_53_keep_every_digit() {
        // 2^53 + 1 is the first integer an f64 cannot hold.
        let id: Id = serde_json::from_str("9007199254740993").unwrap();
        assert_eq!(id.as_str(), "9007199254740993");
        let id: Id = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(id.as_str(), "18446744073709551615");
        let id: Id = serde_json::from_str(r#""709122092476686867""#).unwrap();
        assert_eq!(id.as_str(), "709122092476686867");
        assert!(serde_json::from_str::<Id>("18446744073709551616").is_err(), "past u64 is a float: refused");
        assert!(serde_json::from_str::<Id>("7.09e17").is_err());
        assert!(serde_json::from_str::<Id>("null").unwrap().is_empty());
    }
}
