//! Identifiers. Each is its own type, so a `TenantId` can never be passed where a
//! `ConversationId` is expected.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::{Error, ErrorKind};

const MAX_NAME_LEN: usize = 128;

fn validate_name(kind: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() || value.len() > MAX_NAME_LEN {
        return Err(Error::new(ErrorKind::InvalidInput, format!("{kind} must be 1 to {MAX_NAME_LEN} bytes long")));
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@')))
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{kind} may contain only ASCII letters, digits and - _ . : @ (found {bad:?})"),
        ));
    }
    Ok(())
}

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident, $label:literal, $example:literal) => {
        $(#[$doc])*
        ///
        /// Names are 1 to 128 bytes of ASCII letters, digits and `- _ . : @`, so they are safe
        /// in URLs, logs and file names.
        ///
        /// ```
        #[doc = concat!("use unibox_core::", stringify!($name), ";")]
        #[doc = concat!("let id: ", stringify!($name), " = \"", $example, "\".parse().unwrap();")]
        #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
        #[doc = concat!("assert!(\"has space\".parse::<", stringify!($name), ">().is_err());")]
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates and wraps a name.
            pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
                let value = value.as_ref();
                validate_name($label, value)?;
                Ok(Self(Arc::from(value)))
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::new(&*value).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_id!(
    /// A tenant (workspace): the unit of isolation. Every query is scoped to one.
    TenantId, "tenant id", "acme"
);
name_id!(
    /// The name under which a configured [`Channel`](crate::Channel) is registered with the
    /// [`Hub`](crate::Hub); it is also the channel's webhook route.
    ChannelId, "channel id", "acme-line"
);
name_id!(
    /// A user of the embedding application: an agent, an admin or a viewer.
    UserId, "user id", "agent-7"
);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// A UUIDv7, so ids sort by creation time.
        ///
        /// ```
        #[doc = concat!("use unibox_core::", stringify!($name), ";")]
        #[doc = concat!("let a = ", stringify!($name), "::new();")]
        #[doc = concat!("let b: ", stringify!($name), " = a.to_string().parse().unwrap();")]
        /// assert_eq!(a, b);
        /// ```
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (for example one read back from storage).
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// The 16 bytes of the UUID, for compact storage.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Reads an id from 16 bytes.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Uuid::parse_str(s).map(Self).map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        concat!("not a valid ", stringify!($name), " (expected a UUID)"),
                    )
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

uuid_id!(
    /// A connected channel account: one page, phone number, bot, LINE channel or shop.
    ChannelAccountId
);
uuid_id!(
    /// A contact (customer), who may have one identity on each channel.
    ContactId
);
uuid_id!(
    /// A conversation between the business and one contact on one channel account.
    ConversationId
);
uuid_id!(
    /// A message in a conversation.
    MessageId
);
uuid_id!(
    /// An internal note on a conversation, never sent to the customer.
    NoteId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reject_empty_long_and_unsafe_values() {
        assert!(TenantId::new("").is_err());
        assert!(TenantId::new("a".repeat(129)).is_err());
        assert!(TenantId::new("../etc").is_err());
        assert!(TenantId::new("t/1").is_err());
        assert!(TenantId::new("acme-co_1.eu").is_ok());
    }

    #[test]
    fn names_deserialize_with_validation() {
        let ok: TenantId = serde_json::from_str("\"acme\"").unwrap();
        assert_eq!(ok.as_str(), "acme");
        assert!(serde_json::from_str::<TenantId>("\"a b\"").is_err());
    }

    #[test]
    fn uuid_ids_round_trip_through_bytes() {
        let id = MessageId::new();
        assert_eq!(MessageId::from_bytes(*id.as_bytes()), id);
    }
}
