//! Reading the loosely typed fields both platforms send: ids that are sometimes strings and
//! sometimes numbers (Lazada's `seller_id` is `"1234567"` in order pushes, `20240305` in IM
//! pushes and `"null"` in authorization pushes), and Unix times in seconds or milliseconds.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use unibox_core::Timestamp;

/// An id sent as a string or an integer; `None` for `null`, `""` and `"null"`. Integers are
/// read as integers, never through a float, so ids above 2^53 keep every digit.
///
/// ```
/// use unibox_channel_marketplace::lenient::Id;
/// let ids: Vec<Id> = serde_json::from_str(r#"["1234567", 20240305, null, "null", 18446744073709551615]"#).unwrap();
/// let ids: Vec<Option<String>> = ids.into_iter().map(|id| id.0).collect();
/// assert_eq!(ids, [Some("1234567".into()), Some("20240305".into()), None, None, Some("18446744073709551615".into())]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Id(pub Option<String>);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl<'de> Visitor<'de> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id as a string or an integer")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Id, E> {
                let value = value.trim();
                Ok(Id((!value.is_empty() && value != "null").then(|| value.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Id, E> {
                Ok(Id(Some(value.to_string())))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Id, E> {
                Ok(Id(Some(value.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Id, E> {
                Ok(Id(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Id, E> {
                Ok(Id(None))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// A Unix time the platform sends in seconds or in milliseconds (Lazada mixes both, sometimes
/// in one payload): values from 10^11 up are milliseconds (10^11 seconds is the year 5138).
///
/// ```
/// use unibox_channel_marketplace::lenient::unix_time;
/// use unibox_core::Timestamp;
/// assert_eq!(unix_time(1_603_698_638), Timestamp::from_unix_seconds(1_603_698_638));
/// assert_eq!(unix_time(1_603_766_859_530), Timestamp::from_unix_millis(1_603_766_859_530));
/// ```
pub fn unix_time(value: i64) -> Timestamp {
    if value.unsigned_abs() >= 100_000_000_000 {
        Timestamp::from_unix_millis(value)
    } else {
        Timestamp::from_unix_seconds(value)
    }
}
