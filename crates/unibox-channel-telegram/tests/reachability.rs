//! A user who blocked the bot becomes unreachable on their contact, through the hub, on the
//! memory store and on SQLite: a send the fake Bot API answers with 403 "Forbidden: bot was
//! blocked by the user" marks the contact (a later message alone does not clear it); a
//! `my_chat_member` block marks it and an unblock clears it.

mod common;

use std::sync::Arc;

use unibox_core::changes::ChangeLog;
use unibox_core::inbox::ConversationQuery;
use unibox_core::inbox::prelude::*;
use unibox_core::memory::{MemoryInbox, MemoryStore, MemoryTokenStore};
use unibox_core::outbox::Outbox;
use unibox_core::profiles::Reachability;
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, ContactId, ContactIdentity, Content, Hub, IdentityKind, Role,
    TenantId, Timestamp, TokenSet,
};
use unibox_store_sqlite::SqliteInbox;

use common::{BLOCKED_USER, BOT_ID, BOT_TOKEN, USER};

fn channel_id() -> ChannelId {
    "acme-telegram".parse().unwrap()
}

fn text_from(update_id: u64, user: &str, text: &str) -> Vec<u8> {
    format!(
        r#"{{"update_id":{update_id},"message":{{"message_id":{update_id},"from":{{"id":{user},"is_bot":false,"first_name":"Niran"}},"chat":{{"id":{user},"first_name":"Niran","type":"private"}},"date":1732000000,"text":"{text}"}}}}"#
    )
    .into_bytes()
}

async fn reachability(hub: &Hub, actor: &Actor, contact: ContactId) -> Reachability {
    Reachability::from_attributes(&hub.contact_profile(actor, contact).await.unwrap().attributes)
}

async fn blocked_and_back<B>(inbox: Arc<B>)
where
    B: ChannelAccounts + EventIngest + InboxReads + OutboundMessages + TeamWorkflow + Outbox + ChangeLog,
{
    let api = common::fake_telegram().await;
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .channel(channel_id(), Arc::new(common::sending_channel(&api)))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(common::clock())
        .build();
    let acme: TenantId = "acme".parse().unwrap();
    let account =
        ChannelAccount::new(acme.clone(), channel_id(), ChannelKind::TELEGRAM, BOT_ID, Timestamp::from_unix_seconds(0));
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account.clone(), Some(TokenSet::new(BOT_TOKEN))).await.unwrap();
    let agent = Actor::user(acme.clone(), "agent".parse().unwrap(), Role::Agent);
    let contact_of = |user: &str| {
        let identity =
            ContactIdentity { account: account.id, kind: IdentityKind::TelegramUserId, value: user.to_string() };
        let inbox = inbox.clone();
        let acme = acme.clone();
        async move { inbox.contact_by_identity(&acme, &identity).await.unwrap().expect("the contact").id }
    };

    // The send the platform refuses for good marks the contact.
    hub.receive_webhook(&channel_id(), &common::delivered(&text_from(735129001, BLOCKED_USER, "hello"))).await.unwrap();
    let niran = contact_of(BLOCKED_USER).await;
    assert_eq!(reachability(&hub, &agent, niran).await, Reachability::Reachable);
    let theirs = hub.conversations(&agent, &ConversationQuery::new().contact(niran)).await.unwrap().items;
    let error = hub.send(&agent, theirs[0].id, Content::text("Your parcel is on its way.")).await.unwrap_err();
    assert_eq!(error.kind(), unibox_core::ErrorKind::RecipientUnavailable);
    match reachability(&hub, &agent, niran).await {
        Reachability::Unreachable { since, reason } => {
            assert_eq!(since, Some(Timestamp::from_unix_seconds(common::NOW_SECONDS)));
            assert!(reason.as_deref().unwrap_or_default().contains("blocked"), "{reason:?}");
            assert!(!reason.unwrap_or_default().contains(common::TOKEN_SECRET));
        }
        Reachability::Reachable => panic!("the contact should be unreachable"),
    }
    // A message alone does not clear it: the unblock (my_chat_member, below) does.
    hub.receive_webhook(&channel_id(), &common::delivered(&text_from(735129002, BLOCKED_USER, "back"))).await.unwrap();
    assert!(reachability(&hub, &agent, niran).await.is_unreachable());

    // my_chat_member: blocked marks the contact, unblocked clears it.
    hub.receive_webhook(&channel_id(), &common::delivered(&text_from(735129003, USER, "hi"))).await.unwrap();
    let customer = contact_of(USER).await;
    hub.receive_webhook(&channel_id(), &common::delivered(&common::fixture("my_chat_member_blocked"))).await.unwrap();
    assert!(reachability(&hub, &agent, customer).await.is_unreachable());
    hub.receive_webhook(&channel_id(), &common::delivered(&common::fixture("my_chat_member_unblocked"))).await.unwrap();
    assert_eq!(reachability(&hub, &agent, customer).await, Reachability::Reachable);
}

#[tokio::test]
async fn a_blocked_bot_marks_the_contact_unreachable_on_the_memory_store() {
    blocked_and_back(Arc::new(MemoryInbox::new())).await;
}

#[tokio::test]
async fn a_blocked_bot_marks_the_contact_unreachable_on_sqlite() {
    blocked_and_back(Arc::new(SqliteInbox::open_in_memory().await.unwrap())).await;
}
