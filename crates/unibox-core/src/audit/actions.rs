//! The audit vocabulary: one dotted verb per kind of action, so records from every part of
//! the SDK (and the embedding application) can be queried by the same names.

/// A send to a customer ended: `Success` once the platform accepted it, `Failed` when it
/// failed for good or its outcome became unknown. Recorded by the agent's send when it ends at
/// once, otherwise by the delivery worker (actor [`DELIVERY_WORKER`]) when it ends later.
pub const MESSAGE_SEND: &str = "message.send";
/// A send was recorded and queued for a later attempt (the platform was busy or rate-limited
/// the first attempt); its [`MESSAGE_SEND`] record follows when the delivery ends.
pub const MESSAGE_QUEUE: &str = "message.queue";
/// A person resolved a send whose outcome was unknown.
pub const MESSAGE_RESOLVE: &str = "message.resolve";
/// An internal note was added.
pub const NOTE_ADD: &str = "note.add";
/// A conversation was assigned, unassigned or transferred.
pub const CONVERSATION_ASSIGN: &str = "conversation.assign";
/// A conversation's status changed (open, pending, snoozed, resolved, reopened).
pub const CONVERSATION_STATUS: &str = "conversation.status";
/// A conversation's tags changed.
pub const CONVERSATION_TAG: &str = "conversation.tag";
/// A contact was edited or merged.
pub const CONTACT_EDIT: &str = "contact.edit";
/// An automatic reply was triggered.
pub const AUTO_REPLY_TRIGGERED: &str = "auto_reply.triggered";
/// A channel account was connected.
pub const CHANNEL_CONNECT: &str = "channel.connect";
/// A channel account's tokens were refreshed.
pub const CHANNEL_REFRESH: &str = "channel.refresh";
/// A channel account's tokens were revoked.
pub const CHANNEL_REVOKE: &str = "channel.revoke";
/// A channel account was disconnected.
pub const CHANNEL_DISCONNECT: &str = "channel.disconnect";
/// A tenant setting changed.
pub const SETTINGS_CHANGE: &str = "settings.change";
/// A member's role, restrictions or teams changed.
pub const ROLE_CHANGE: &str = "role.change";
/// A member was removed.
pub const MEMBER_REMOVE: &str = "member.remove";
/// A data export was requested.
pub const EXPORT_REQUEST: &str = "data.export";
/// A tenant's or a contact's data was exported ([`Hub::export_data`](crate::Hub::export_data)).
pub const PRIVACY_EXPORT: &str = "privacy.export";
/// A deletion was requested.
pub const DELETION_REQUEST: &str = "data.delete";
/// Retention purged a tenant's expired data (target `tenant:<id>`).
pub const DATA_PURGE: &str = "data.purge";
/// A deletion request was carried out: the contacts it named are erased. The target is the
/// request (`deletion_request:<confirmation code>`), never the person.
pub const DATA_ERASE: &str = "data.erase";
/// A user signed in (a session was created).
pub const LOGIN: &str = "session.login";
/// A user signed out.
pub const LOGOUT: &str = "session.logout";
/// A session was ended by someone else, by a role change, or by timeout.
pub const SESSION_TERMINATE: &str = "session.terminate";
/// A second factor was checked.
pub const SECOND_FACTOR: &str = "session.second_factor";

/// Message credits were bought (recorded by the application through
/// [`Hub::record_credits`](crate::Hub::record_credits)).
pub const CREDITS_PURCHASE: &str = "credits.purchase";
/// Message credits were corrected by hand (a grant, a chargeback).
pub const CREDITS_ADJUST: &str = "credits.adjust";

/// The automation the delivery worker acts as in audit records.
pub const DELIVERY_WORKER: &str = "unibox-delivery";

/// Every verb above, for validation and documentation.
pub const ALL: [&str; 27] = [
    MESSAGE_SEND,
    MESSAGE_QUEUE,
    MESSAGE_RESOLVE,
    NOTE_ADD,
    CONVERSATION_ASSIGN,
    CONVERSATION_STATUS,
    CONVERSATION_TAG,
    CONTACT_EDIT,
    AUTO_REPLY_TRIGGERED,
    CHANNEL_CONNECT,
    CHANNEL_REFRESH,
    CHANNEL_REVOKE,
    CHANNEL_DISCONNECT,
    SETTINGS_CHANGE,
    ROLE_CHANGE,
    MEMBER_REMOVE,
    EXPORT_REQUEST,
    DELETION_REQUEST,
    PRIVACY_EXPORT,
    DATA_PURGE,
    DATA_ERASE,
    LOGIN,
    LOGOUT,
    SESSION_TERMINATE,
    SECOND_FACTOR,
    CREDITS_PURCHASE,
    CREDITS_ADJUST,
];
