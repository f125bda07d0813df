//! Conversation data sealed at rest: each tenant's [`TenantSeal`], from the [`DataKeys`] the
//! store attaches (the vault), and how one column value is sealed, opened or blinded with it.
//!
//! Unlike the SQLite store, a PostgreSQL store has one mode: conversation data is always sealed.
//! A seal is fetched (asynchronously, cached by the vault) before a transaction starts, so no
//! statement can reach a sealed column without it.

use std::fmt;
use std::sync::{Arc, OnceLock, Weak};

use unibox_core::privacy::{DataKeys, SealedCell, TenantSeal, hex, search_terms};
use unibox_core::{Error, ErrorKind, Result, TenantId};

/// The fields sealed values are bound to (with the row id and tenant). The same names as the
/// SQLite store's, so an export reads the same.
pub(crate) mod field {
    pub(crate) const MESSAGE_CONTENT: &str = "messages.content";
    pub(crate) const MESSAGE_REPLY_TO: &str = "messages.reply_to";
    pub(crate) const MESSAGE_PLATFORM_ID: &str = "messages.platform_message_id";
    pub(crate) const CONTACT_NAME: &str = "contacts.display_name";
    pub(crate) const IDENTITY_VALUE: &str = "contact_identities.value";
    pub(crate) const NOTE_BODY: &str = "notes.body";
    pub(crate) const ATTRIBUTE_VALUE: &str = "contact_attributes.value";
    pub(crate) const ORDER_BODY: &str = "orders.body";
    pub(crate) const EVENT_PAYLOAD: &str = "events.payload";
    pub(crate) const PENDING_PAYLOAD: &str = "pending_actions.payload";
    pub(crate) const REACTION_REACTOR: &str = "reactions.reactor";
    pub(crate) const REACTION_EMOJI: &str = "reactions.emoji";
    pub(crate) const PRIVACY_LINK_USER: &str = "privacy_user_links.platform_user_id";
    pub(crate) const PRIVACY_REQUEST_USER: &str = "privacy_requests.platform_user_id";
}

/// The blind indexes (each its own keyed PRF domain), as the SQLite store's.
pub(crate) mod index {
    pub(crate) const PLATFORM_MESSAGE_ID: &str = "platform-message-id";
    pub(crate) const IDENTITY: &str = "contact-identity";
    pub(crate) const ORDER_BUYER: &str = "order-buyer";
    pub(crate) const REACTOR: &str = "reactor";
    pub(crate) const PRIVACY_USER: &str = "privacy-user";
    pub(crate) const CHANGE_AUTHOR: &str = "change-author";
}

/// Whether a job writes or only reads (a read never creates a tenant's data key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// The inbox's keys, attached once by the store.
#[derive(Default)]
pub(crate) struct Keys {
    /// Weak: the keys (the store's vault) hold the inbox as their backend.
    keys: OnceLock<Weak<dyn DataKeys>>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys").field("attached", &self.keys.get().is_some()).finish()
    }
}

impl Keys {
    pub(crate) fn attach(&self, keys: Weak<dyn DataKeys>) -> Result<()> {
        self.keys
            .set(keys)
            .map_err(|_| Error::new(ErrorKind::Configuration, "the PostgreSQL inbox already has its keys"))
    }

    /// The seal of `tenant` for a job.
    pub(crate) async fn seal(&self, tenant: &TenantId, access: Access) -> Result<Seal> {
        let keys = self.keys.get().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "the PostgreSQL inbox seals conversation data and has no keys: attach them (PostgresInbox::attach_keys)",
            )
        })?;
        let keys = keys.upgrade().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the keys of this PostgreSQL inbox were dropped; keep them alive")
        })?;
        let seal = match access {
            Access::Write => keys.for_writing(tenant).await?,
            Access::Read => keys.for_reading(tenant).await?,
        };
        Ok(Seal(seal))
    }
}

/// One tenant's seal, as the columns use it.
#[derive(Clone, Debug)]
pub(crate) struct Seal(Arc<dyn TenantSeal>);

impl Seal {
    /// Seals `value` for `field` of the row `row`.
    pub(crate) fn seal(&self, field: &str, row: &[u8], value: &str) -> Result<Vec<u8>> {
        self.0.seal(SealedCell::new(field, row), value.as_bytes())
    }

    /// [`seal`](Self::seal) of an optional value.
    pub(crate) fn seal_opt(&self, field: &str, row: &[u8], value: Option<&str>) -> Result<Option<Vec<u8>>> {
        value.map(|value| self.seal(field, row, value)).transpose()
    }

    /// Opens what [`seal`](Self::seal) sealed for the same field and row.
    pub(crate) fn open(&self, field: &str, row: &[u8], sealed: &[u8]) -> Result<String> {
        let opened = self.0.open(SealedCell::new(field, row), sealed)?;
        String::from_utf8(opened).map_err(|_| {
            Error::new(ErrorKind::Storage, "a sealed value opened to something that is not text").permanent()
        })
    }

    /// [`open`](Self::open) of an optional value.
    pub(crate) fn open_opt(&self, field: &str, row: &[u8], sealed: Option<&[u8]>) -> Result<Option<String>> {
        sealed.map(|sealed| self.open(field, row, sealed)).transpose()
    }

    /// What an equality lookup compares: the value's blind in `index`, in hex.
    pub(crate) fn lookup(&self, index: &str, value: &str) -> String {
        hex(&self.0.blind(index, value.as_bytes()))
    }

    /// The blind search terms of `text`, as stored (the 64-bit PRF's bits as a BIGINT).
    pub(crate) fn terms(&self, text: &str) -> Vec<i64> {
        search_terms(self.0.as_ref(), text).into_iter().map(|term| i64::from_ne_bytes(term.to_ne_bytes())).collect()
    }
}
