//! Row keys shared by the writers and readers: what a sealed value is bound to, and how a
//! looked-up value is blinded.

use unibox_core::{ChannelAccountId, ContactId};
use uuid::Uuid;

use crate::sealing::{Seal, index};

/// What `contact_identities.value` holds for an identity: the blind of kind and value.
pub(crate) fn identity_lookup(seal: &Seal, kind: &str, value: &str) -> String {
    seal.lookup(index::IDENTITY, &format!("{kind}\u{0}{value}"))
}

/// The row id a sealed identity value is bound to: the account, the kind's key and the value's
/// blind, which together are the identity's primary key.
pub(crate) fn identity_row(account: &[u8; 16], kind: &str, lookup: &str) -> Vec<u8> {
    let mut row = Vec::with_capacity(16 + kind.len() + 1 + lookup.len());
    row.extend_from_slice(account);
    row.extend_from_slice(kind.as_bytes());
    row.push(0);
    row.extend_from_slice(lookup.as_bytes());
    row
}

/// The row id an event's sealed payload is bound to: the account and the event id.
pub(crate) fn event_row(account: ChannelAccountId, event_id: &str) -> Vec<u8> {
    let mut row = account.as_bytes().to_vec();
    row.extend_from_slice(event_id.as_bytes());
    row
}

/// The row id a pending change's sealed payload is bound to.
pub(crate) fn pending_row(account: ChannelAccountId, platform_message_id: &str, event_id: &str) -> Vec<u8> {
    let mut row = account.as_bytes().to_vec();
    row.extend_from_slice(platform_message_id.as_bytes());
    row.push(0);
    row.extend_from_slice(event_id.as_bytes());
    row
}

/// The row id a reaction's sealed values are bound to: the message and the reactor's blind.
pub(crate) fn reaction_row(message: &[u8; 16], lookup: &str) -> Vec<u8> {
    let mut row = Vec::with_capacity(16 + lookup.len());
    row.extend_from_slice(message);
    row.extend_from_slice(lookup.as_bytes());
    row
}

/// The row a sealed attribute value is bound to: the contact and the attribute's name.
pub(crate) fn attribute_row(contact: ContactId, name: &str) -> Vec<u8> {
    let mut row = contact.as_bytes().to_vec();
    row.extend_from_slice(name.as_bytes());
    row
}

/// The row id an order's sealed body is bound to: the account and the platform's order id (as
/// the SQLite store's).
pub(crate) fn order_row(account: &Uuid, order_id: &str) -> Vec<u8> {
    let mut row = account.as_bytes().to_vec();
    row.extend_from_slice(order_id.as_bytes());
    row
}

/// What `orders.buyer_id` holds: the blind of the buyer's identity kind and id.
pub(crate) fn buyer_lookup(seal: &Seal, kind: &str, id: &str) -> String {
    seal.lookup(index::ORDER_BUYER, &format!("{kind}\u{0}{id}"))
}
