//! The Messenger Platform shape that Facebook Messenger and Instagram Direct share: inbound
//! `entry[].messaging[]` events and the Send API. The two adapter crates differ only in the
//! [`MessagingPlatform`] they pass.

mod channel;
mod inbound;
mod outbound;
mod profile;

pub use channel::{HUMAN_AGENT_WINDOW, MessagingChannel, MessagingChannelBuilder, STANDARD_WINDOW, TokenRefresh};
pub use inbound::parse_events;
pub use outbound::{MAX_BUTTONS, MAX_QUICK_REPLIES, MessagingSender, SenderAction};

use unibox_core::{ChannelKind, IdentityKind};

/// What distinguishes Messenger from Instagram on the shared Messenger Platform.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessagingPlatform {
    /// The channel kind events and errors are reported under.
    pub channel: ChannelKind,
    /// The webhook `object` (`page`, `instagram`).
    pub object: &'static str,
    /// The kind of the customer ids (PSID, IGSID).
    pub identity: IdentityKind,
    /// Sends buttons as a one-element generic template (Instagram) instead of a button
    /// template (Messenger).
    pub buttons_as_generic_template: bool,
    /// Uploads of reusable attachments are supported (`is_reusable`, `attachment_id`).
    pub reusable_attachments: bool,
}

impl MessagingPlatform {
    /// Facebook Messenger: `object: page`, page-scoped ids.
    pub fn messenger() -> Self {
        MessagingPlatform {
            channel: ChannelKind::MESSENGER,
            object: "page",
            identity: IdentityKind::PageScopedId,
            buttons_as_generic_template: false,
            reusable_attachments: true,
        }
    }

    /// Instagram Direct: `object: instagram`, Instagram-scoped ids.
    pub fn instagram() -> Self {
        MessagingPlatform {
            channel: ChannelKind::INSTAGRAM,
            object: "instagram",
            identity: IdentityKind::InstagramScopedId,
            buttons_as_generic_template: true,
            reusable_attachments: false,
        }
    }
}
