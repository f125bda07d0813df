//! The Telegram channel behind the hub, on the SQLite store: a redelivered update is stored once,
//! a wrong secret token is refused, a group's conversation continues after it becomes a
//! supergroup (and answers go to the supergroup), a command is stored as a command, and a user
//! who blocked the bot is unreachable.

mod common;

use std::sync::Arc;

use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{ConversationQuery, MessageQuery};
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, ContactIdentity, Content, DeliveryStatus, Hub, IdentityKind, Role,
    TenantId, Timestamp, TokenSet,
};
use unibox_store_sqlite::SqliteInbox;

use common::{BOT_ID, BOT_TOKEN, GROUP, SUPERGROUP};

fn channel_id() -> ChannelId {
    "acme-telegram".parse().unwrap()
}

#[tokio::test]
async fn redelivery_forgery_migration_commands_and_blocking_through_the_hub() {
    let api = common::fake_telegram().await;
    let inbox = Arc::new(SqliteInbox::open_in_memory().await.unwrap());
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

    // Telegram repeats an update until it gets a 2xx: the second delivery is a duplicate.
    let request = common::delivered(&common::fixture("start_payload"));
    let (first, response) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((response.status.as_u16(), first.events, first.stored), (200, 1, 1));
    let (again, response) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((response.status.as_u16(), again.duplicates), (200, 1));
    let forged = common::delivered_with(common::OTHER_SECRET_TOKEN, &common::fixture("start_payload"));
    assert_eq!(hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);

    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 1);
    let messages = hub.messages(&agent, conversations[0].id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(messages.len(), 1, "stored once");
    assert!(
        matches!(&messages[0].content, Content::Command(command) if command.name == "start" && command.arguments == "ref_2024-summer")
    );

    // A group writes, becomes a supergroup (Telegram announces it on both sides), writes again.
    for name in ["group_text", "migrate_to_chat_id", "migrate_from_chat_id", "supergroup_text"] {
        let (receipt, response) =
            hub.receive_webhook(&channel_id(), &common::delivered(&common::fixture(name))).await.unwrap();
        assert_eq!((response.status.as_u16(), receipt.stored), (200, 1), "{name}");
    }
    let identity =
        |value: &str| ContactIdentity { account: account.id, kind: IdentityKind::TelegramChatId, value: value.into() };
    let contact =
        inbox.contact_by_identity(&acme, &identity(SUPERGROUP)).await.unwrap().expect("the supergroup's contact");
    assert!(inbox.contact_by_identity(&acme, &identity(GROUP)).await.unwrap().is_none(), "the identity moved");
    let group_conversations =
        hub.conversations(&agent, &ConversationQuery::new().contact(contact.id)).await.unwrap().items;
    assert_eq!(group_conversations.len(), 1, "one conversation for the group and the supergroup");
    let history = hub.messages(&agent, group_conversations[0].id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(history.len(), 2, "the group's message and the supergroup's");

    let sent =
        hub.send(&agent, group_conversations[0].id, Content::text("The next sale starts Friday.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    let last = api.last_request().unwrap().json().unwrap();
    assert_eq!(last["chat_id"].to_string(), SUPERGROUP, "answers go to the supergroup");

    // A user who blocked the bot.
    let blocked = format!(
        r#"{{"update_id":735129001,"message":{{"message_id":7,"from":{{"id":{user},"is_bot":false,"first_name":"Niran"}},"chat":{{"id":{user},"first_name":"Niran","type":"private"}},"date":1732000000,"text":"hello"}}}}"#,
        user = common::BLOCKED_USER
    );
    hub.receive_webhook(&channel_id(), &common::delivered(blocked.as_bytes())).await.unwrap();
    let niran = inbox
        .contact_by_identity(
            &acme,
            &ContactIdentity {
                account: account.id,
                kind: IdentityKind::TelegramUserId,
                value: common::BLOCKED_USER.into(),
            },
        )
        .await
        .unwrap()
        .expect("the contact");
    let theirs = hub.conversations(&agent, &ConversationQuery::new().contact(niran.id)).await.unwrap().items;
    let outcome = hub.send(&agent, theirs[0].id, Content::text("Your parcel is on its way.")).await;
    let failed = match outcome {
        Ok(message) => message.delivery,
        Err(error) => {
            assert_eq!(error.kind(), unibox_core::ErrorKind::RecipientUnavailable);
            DeliveryStatus::failed_by(&error)
        }
    };
    assert!(matches!(&failed, DeliveryStatus::Failed { reason, .. } if reason.contains("blocked")), "{failed:?}");
    assert!(!format!("{failed:?}").contains(common::TOKEN_SECRET));
}
