//! Clock times in the tenant's time zone: opening hours and quiet hours.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unibox_core::{Error, ErrorKind, Result, Timestamp};

/// A day of the week, spelled `mon` … `sun` in rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    fn of(day: jiff::civil::Weekday) -> Self {
        use jiff::civil::Weekday as J;
        match day {
            J::Monday => Weekday::Mon,
            J::Tuesday => Weekday::Tue,
            J::Wednesday => Weekday::Wed,
            J::Thursday => Weekday::Thu,
            J::Friday => Weekday::Fri,
            J::Saturday => Weekday::Sat,
            J::Sunday => Weekday::Sun,
        }
    }
}

/// A time of day, `HH:MM` in rules (`24:00` is the end of the day).
///
/// ```
/// use unibox_ai::ClockTime;
/// let nine: ClockTime = "09:00".parse().unwrap();
/// assert_eq!(nine.minutes(), 540);
/// assert!("25:00".parse::<ClockTime>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl FromStr for ClockTime {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid =
            || Error::new(ErrorKind::InvalidInput, format!("{s:?} is not a time of day (HH:MM, 00:00 to 24:00)"));
        let (hours, minutes) = s.split_once(':').ok_or_else(invalid)?;
        let (hours, minutes): (u16, u16) =
            (hours.parse().map_err(|_| invalid())?, minutes.parse().map_err(|_| invalid())?);
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
            return Err(invalid());
        }
        Ok(ClockTime(hours * 60 + minutes))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A span of the day; `start` after `end` wraps past midnight (`22:00`–`07:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyWindow {
    /// From (inclusive).
    pub start: ClockTime,
    /// To (exclusive).
    pub end: ClockTime,
}

impl DailyWindow {
    /// Whether `minute` (after midnight) falls inside.
    pub fn contains(&self, minute: u16) -> bool {
        if self.start <= self.end {
            (self.start.0..self.end.0).contains(&minute)
        } else {
            minute >= self.start.0 || minute < self.end.0
        }
    }
}

/// Opening hours on some days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// The days.
    pub days: Vec<Weekday>,
    /// Opening.
    pub open: ClockTime,
    /// Closing.
    pub close: ClockTime,
}

/// A local time: the day of the week and the minute of the day in a time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LocalTime {
    pub(crate) day: Weekday,
    pub(crate) minute: u16,
}

/// A time zone by IANA name (`Asia/Bangkok`), checked when the rules are loaded.
#[derive(Clone, Debug)]
pub(crate) struct Zone(jiff::tz::TimeZone);

impl Zone {
    pub(crate) fn named(name: &str) -> Result<Self> {
        jiff::tz::TimeZone::get(name).map(Zone).map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("unknown time zone {name:?}; use an IANA name such as Asia/Bangkok"),
            )
        })
    }

    pub(crate) fn local(&self, at: Timestamp) -> Result<LocalTime> {
        let instant = jiff::Timestamp::from_millisecond(at.as_unix_millis())
            .map_err(|_| Error::new(ErrorKind::InvalidInput, "the time is outside the supported range"))?;
        let zoned = instant.to_zoned(self.0.clone());
        let minute = u16::try_from(zoned.hour()).unwrap_or(0) * 60 + u16::try_from(zoned.minute()).unwrap_or(0);
        Ok(LocalTime { day: Weekday::of(zoned.weekday()), minute })
    }
}
