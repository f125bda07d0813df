//! The unified model: what every platform's data becomes once it is inside unibox.

mod account;
mod contact;
mod content;
mod conversation;
mod event;
mod message;
mod note;

pub use account::{ChannelAccount, ChannelAccountState, ChannelKind};
pub use contact::{Contact, ContactIdentity, IdentityKind, PlatformUser};
pub use content::{Button, ButtonAction, Content, ContentKind, ContentKinds, Media, MediaSource, QuickReply};
pub use conversation::{Conversation, ConversationStatus};
pub use event::{DeliveryUpdate, EventKind, InboundEvent, InboundMessage, OrderUpdate};
pub use message::{Author, DeliveryStatus, Direction, Message, Reaction};
pub use note::InternalNote;
