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

/// A date and time as Lazada writes them (`2024-11-19 10:15:00 +0800`; the offset may be
/// missing, then UTC); `None` for anything else.
///
/// ```
/// use unibox_channel_marketplace::lenient::datetime;
/// use unibox_core::Timestamp;
/// assert_eq!(datetime("2024-11-19 10:15:00 +0800"), Some(Timestamp::from_unix_seconds(1_731_982_500)));
/// assert_eq!(datetime("2024-11-19 02:15:00"), Some(Timestamp::from_unix_seconds(1_731_982_500)));
/// assert_eq!(datetime("19/11/2024"), None);
/// ```
pub fn datetime(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (date, rest) = text.split_once(' ')?;
    let (time, offset) = match rest.trim().split_once(' ') {
        Some((time, offset)) => (time, Some(offset.trim())),
        None => (rest.trim(), None),
    };
    let mut date_parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date_parts.next()??, date_parts.next()??, date_parts.next()??);
    let mut time_parts = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (time_parts.next()??, time_parts.next()??, time_parts.next().flatten().unwrap_or(0));
    if date_parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0..61).contains(&second) {
        return None;
    }
    let offset_seconds = match offset {
        None | Some("") | Some("Z") => 0,
        Some(offset) => {
            let (sign, digits) = match offset.as_bytes().first()? {
                b'+' => (1, &offset[1..]),
                b'-' => (-1, &offset[1..]),
                _ => return None,
            };
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(Timestamp::from_unix_seconds(days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
