//! Sealing, opening and blinding one column value.
//!
//! A sealed column is a pair: the original column (kept for plain inboxes, and for values that
//! hold no personal data such as erased content) and a `*_sealed` BLOB column beside it. A
//! looked-up column (a platform message id, an identity value) holds the value's blind in hex
//! in a sealed inbox, and its sealed copy sits beside it for reading back.

use unibox_core::privacy::{SealedCell, hex};
use unibox_core::{Error, ErrorKind, Result};

use super::Sealer;

/// The fields sealed values are bound to (with the row id and tenant).
pub(crate) mod field {
    pub(crate) const MESSAGE_CONTENT: &str = "messages.content";
    pub(crate) const MESSAGE_REPLY_TO: &str = "messages.reply_to";
    pub(crate) const MESSAGE_PLATFORM_ID: &str = "messages.platform_message_id";
    pub(crate) const MESSAGE_BODY: &str = "messages.body";
    pub(crate) const CONTACT_NAME: &str = "contacts.display_name";
    pub(crate) const IDENTITY_VALUE: &str = "contact_identities.value";
    pub(crate) const ATTRIBUTE_VALUE: &str = "contact_attributes.value";
    pub(crate) const NOTE_BODY: &str = "notes.body";
    pub(crate) const EVENT_PAYLOAD: &str = "events.payload";
    pub(crate) const PENDING_PAYLOAD: &str = "pending_actions.payload";
    pub(crate) const JOURNAL_EVENT: &str = "inbound.event";
    pub(crate) const ORDER_BODY: &str = "orders.body";
    pub(crate) const REACTION_REACTOR: &str = "reactions.reactor";
    pub(crate) const REACTION_EMOJI: &str = "reactions.emoji";
    pub(crate) const PRIVACY_LINK_USER: &str = "privacy_user_links.platform_user_id";
    pub(crate) const PRIVACY_REQUEST_USER: &str = "privacy_requests.platform_user_id";
}

/// The blind indexes (each its own keyed PRF domain).
pub(crate) mod index {
    pub(crate) const PLATFORM_MESSAGE_ID: &str = "platform-message-id";
    pub(crate) const IDENTITY: &str = "contact-identity";
    pub(crate) const ORDER_BUYER: &str = "order-buyer";
    pub(crate) const REACTOR: &str = "reactor";
    pub(crate) const PRIVACY_USER: &str = "privacy-user";
    pub(crate) const CHANGE_AUTHOR: &str = "change-author";
}

/// How one platform message id is looked up ([`Sealer::message_keys`]).
#[derive(Debug)]
pub(crate) struct MessageKeys {
    /// The keys a stored message with this id may have in `messages`, to probe in order: the id
    /// itself (plain), or the keys its blind may have in the index's generations (sealed:
    /// usually none, then no message has it; see [`message_ids`](super::message_ids)).
    pub(crate) candidates: Vec<String>,
    /// The key of changes waiting for the message (`pending_actions`): the id itself (plain)
    /// or its bare blind (sealed).
    pub(crate) pending: String,
    blind: Option<[u8; 16]>,
}

impl Sealer {
    /// Whether values are sealed.
    pub(crate) fn is_sealed(&self) -> bool {
        matches!(self, Sealer::Sealed(..))
    }

    /// A value for a pair of columns: `(plain, sealed)`. Plain: the value and no blob; sealed:
    /// no plaintext and the blob.
    pub(crate) fn store(
        &self,
        field: &str,
        row: &[u8],
        value: Option<&str>,
    ) -> Result<(Option<String>, Option<Vec<u8>>)> {
        match (self, value) {
            (_, None) => Ok((None, None)),
            (Sealer::Plain, Some(value)) => Ok((Some(value.to_owned()), None)),
            (Sealer::Sealed(seal, _), Some(value)) => {
                Ok((None, Some(seal.seal(SealedCell::new(field, row), value.as_bytes())?)))
            }
        }
    }

    /// [`store`](Self::store) for a column that is never NULL: sealed, the plain column holds `""`.
    pub(crate) fn store_required(&self, field: &str, row: &[u8], value: &str) -> Result<(String, Option<Vec<u8>>)> {
        let (plain, sealed) = self.store(field, row, Some(value))?;
        Ok((plain.unwrap_or_default(), sealed))
    }

    /// The value of a pair of columns: the sealed blob opened when there is one, else the plain
    /// column (a plain inbox, or a value without personal data such as erased content).
    pub(crate) fn open(
        &self,
        field: &str,
        row: &[u8],
        plain: Option<String>,
        sealed: Option<Vec<u8>>,
    ) -> Result<Option<String>> {
        match (self, sealed) {
            (_, None) => Ok(plain),
            (Sealer::Sealed(seal, _), Some(blob)) => {
                let opened = seal.open(SealedCell::new(field, row), &blob)?;
                String::from_utf8(opened).map(Some).map_err(|_| {
                    Error::new(ErrorKind::Storage, "a sealed value opened to something that is not text").permanent()
                })
            }
            (Sealer::Plain, Some(_)) => Err(Error::new(
                ErrorKind::Configuration,
                "a sealed value was read through a plain inbox: open the file with SqliteStore and its keys",
            )),
        }
    }

    /// [`open`](Self::open) for a column that is never NULL.
    pub(crate) fn open_required(
        &self,
        field: &str,
        row: &[u8],
        plain: String,
        sealed: Option<Vec<u8>>,
    ) -> Result<String> {
        Ok(self.open(field, row, Some(plain), sealed)?.unwrap_or_default())
    }

    /// What an equality lookup compares: the value itself (plain), or its blind in hex (sealed).
    pub(crate) fn lookup(&self, index: &str, value: &str) -> String {
        match self {
            Sealer::Plain => value.to_owned(),
            Sealer::Sealed(seal, _) => hex(&seal.blind(index, value.as_bytes())),
        }
    }

    /// How a message with this platform id is looked up: the stored keys it may have in
    /// `messages` and the key of changes waiting for it. See [`MessageKeys`].
    pub(crate) fn message_keys(&self, platform_id: &str) -> MessageKeys {
        match self {
            Sealer::Plain => {
                MessageKeys { candidates: vec![platform_id.to_owned()], pending: platform_id.to_owned(), blind: None }
            }
            Sealer::Sealed(seal, ids) => {
                let blind = seal.blind(index::PLATFORM_MESSAGE_ID, platform_id.as_bytes());
                let pending = hex(&blind);
                let candidates = match ids {
                    Some(ids) => ids.candidates(&blind),
                    None => vec![pending.clone()],
                };
                MessageKeys { candidates, pending, blind: Some(blind) }
            }
        }
    }

    /// The key to store in `messages` for a new message whose `keys` found nothing (one id,
    /// one entry): the id (plain), or its blind in the index's current generation (sealed).
    pub(crate) fn new_message_key(&self, keys: &MessageKeys) -> String {
        match (self, keys.blind) {
            (Sealer::Sealed(_, Some(ids)), Some(blind)) => ids.assign(&blind),
            _ => keys.pending.clone(),
        }
    }

    /// What changes waiting for a message (`pending_actions`) are keyed by, from the key the
    /// message has in `messages`: the same (plain), or its bare blind (sealed).
    pub(crate) fn pending_key<'k>(&self, message_key: &'k str) -> &'k str {
        match self {
            Sealer::Plain => message_key,
            Sealer::Sealed(..) => super::message_ids::bare_blind(message_key),
        }
    }
}
