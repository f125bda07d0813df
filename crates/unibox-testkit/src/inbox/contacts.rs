//! Contact profiles and merging two contacts found to be one person.

use unibox_core::inbox::{ConversationQuery, MessageQuery};
use unibox_core::store::Store;
use unibox_core::workflow::ContactUpdate;
use unibox_core::{Author, ContactIdentity, ErrorKind, EventKind, IdentityKind, PlatformUser};

use super::support::{all_conversations, assert_kind, ingest, ok, tenant_with_account, text_in_conversation};
use crate::fixtures::{self, AccountEvents, THAI_ORDER_TEXT, THAI_SHIPPING_TEXT, at};

/// An edit sets the display name and attributes; a name the team chose survives names the
/// platform reports later; removing an attribute removes it; invalid edits change nothing.
pub async fn contact_update_sets_name_and_attributes_and_the_name_sticks(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user().with_name("Somchai");
    let conversation = text_in_conversation(store, &events, &customer, "m-1", THAI_ORDER_TEXT, at(0)).await;
    let contact = ok(store.reads.conversation(&tenant, conversation).await, "conversation").contact;

    let update = ContactUpdate::new()
        .display_name(" Somchai Jaidee ")
        .attribute("email", "somchai@example.co.th")
        .attribute("phone", "+66812345678");
    let profile = ok(store.workflow.update_contact(&tenant, contact, &update).await, "update_contact");
    check_eq!(profile.contact.display_name.as_deref(), Some("Somchai Jaidee"), "trimmed");
    check_eq!(profile.attributes.len(), 2);
    check_eq!(ok(store.workflow.contact_profile(&tenant, contact).await, "contact_profile"), profile);

    let renamed = fixtures::line_user().with_name("S.");
    ingest(store, vec![events.text("e-2", &renamed, "m-2", THAI_SHIPPING_TEXT, at(600))]).await;
    let after = ok(store.reads.contact(&tenant, contact).await, "contact");
    check_eq!(after.display_name.as_deref(), Some("Somchai Jaidee"), "the team's name outranks the platform's");

    let removed = ok(
        store.workflow.update_contact(&tenant, contact, &ContactUpdate::new().remove_attribute("phone")).await,
        "remove attribute",
    );
    check_eq!(removed.attributes.keys().collect::<Vec<_>>(), vec!["email"]);
    check_eq!(removed.contact.display_name.as_deref(), Some("Somchai Jaidee"), "untouched fields stay");

    let blank = ContactUpdate::new().display_name("   ");
    assert_kind(store.workflow.update_contact(&tenant, contact, &blank).await, ErrorKind::InvalidInput, "blank name");
    check_eq!(
        ok(store.workflow.contact_profile(&tenant, contact).await, "contact_profile"),
        removed,
        "nothing changed"
    );

    let (globex, _, _) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let update = ContactUpdate::new().attribute("vip", "yes");
    assert_kind(store.workflow.update_contact(&globex, contact, &update).await, ErrorKind::NotFound, "foreign contact");
    assert_kind(store.workflow.contact_profile(&globex, contact).await, ErrorKind::NotFound, "foreign profile");
}

/// One attribute of a page of contacts is read at once: contacts without it, unknown ids and
/// another tenant's contacts are left out.
pub async fn one_attribute_of_many_contacts_is_read_at_once(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let first = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let second_user = unibox_core::PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000beef");
    let second = text_in_conversation(store, &events, &second_user, "m-2", THAI_SHIPPING_TEXT, at(10)).await;
    let first = ok(store.reads.conversation(&tenant, first).await, "conversation").contact;
    let second = ok(store.reads.conversation(&tenant, second).await, "conversation").contact;
    let picture = ContactUpdate::new().attribute("platform.picture_url", "https://profile.example/1.jpg");
    ok(store.workflow.update_contact(&tenant, first, &picture).await, "update_contact");
    let other = ContactUpdate::new().attribute("email", "b@example.com");
    ok(store.workflow.update_contact(&tenant, second, &other).await, "update_contact");

    let unknown = unibox_core::ContactId::new();
    let found = ok(
        store.workflow.contacts_attribute(&tenant, &[first, second, unknown], "platform.picture_url").await,
        "contacts_attribute",
    );
    check_eq!(found.len(), 1, "only the contact that has it");
    check_eq!(found.get(&first).map(String::as_str), Some("https://profile.example/1.jpg"));
    check!(ok(store.workflow.contacts_attribute(&tenant, &[], "email").await, "empty").is_empty());

    let (globex, _, _) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let foreign = ok(store.workflow.contacts_attribute(&globex, &[first], "platform.picture_url").await, "foreign");
    check!(foreign.is_empty(), "another tenant's contact is left out");
}

/// A customer who wrote on LINE and on Messenger becomes one contact: both identities, both
/// conversations, the duplicate's messages authored by the kept contact, merged attributes;
/// the duplicate is gone, and later messages on its identity reach the kept contact.
pub async fn merging_contacts_moves_identities_conversations_and_messages(store: &Store) {
    let (tenant, line, line_events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let messenger = fixtures::messenger_account(&tenant);
    ok(store.accounts.save_account(&messenger).await, "save_account");
    let messenger_events = AccountEvents::new(&messenger);
    // LINE sends no name without a profile call; Messenger's webhook had one.
    let line_user = unibox_core::PlatformUser::new(IdentityKind::LineUserId, fixtures::LINE_USER_ID);
    let messenger_user = fixtures::messenger_user().with_name("Somchai J.");
    let on_line = text_in_conversation(store, &line_events, &line_user, "l-1", THAI_ORDER_TEXT, at(100)).await;
    let on_messenger =
        text_in_conversation(store, &messenger_events, &messenger_user, "f-1", THAI_SHIPPING_TEXT, at(50)).await;
    let keep = ok(store.reads.conversation(&tenant, on_line).await, "conversation").contact;
    let duplicate = ok(store.reads.conversation(&tenant, on_messenger).await, "conversation").contact;
    ok(store.workflow.update_contact(&tenant, keep, &ContactUpdate::new().attribute("tier", "gold")).await, "update");
    let update = ContactUpdate::new().attribute("tier", "silver").attribute("email", "somchai@example.co.th");
    ok(store.workflow.update_contact(&tenant, duplicate, &update).await, "update");

    let merged = ok(store.workflow.merge_contacts(&tenant, keep, duplicate).await, "merge_contacts");
    check_eq!(merged.contact.id, keep);
    check_eq!(merged.contact.display_name.as_deref(), Some("Somchai J."), "the kept contact had no name");
    check_eq!(merged.contact.created_at, at(50), "the earlier first message");
    check_eq!(merged.attributes.get("tier").map(String::as_str), Some("gold"), "the kept contact's value wins");
    check_eq!(merged.attributes.get("email").map(String::as_str), Some("somchai@example.co.th"));
    let mut accounts: Vec<_> = merged.contact.identities.iter().map(|i| i.account).collect();
    accounts.sort();
    let mut expected = vec![line.id, messenger.id];
    expected.sort();
    check_eq!(accounts, expected, "both identities");

    assert_kind(store.reads.contact(&tenant, duplicate).await, ErrorKind::NotFound, "the duplicate is gone");
    let identity =
        ContactIdentity { account: messenger.id, kind: IdentityKind::PageScopedId, value: messenger_user.id.clone() };
    let found = ok(store.reads.contact_by_identity(&tenant, &identity).await, "contact_by_identity");
    check_eq!(found.map(|c| c.id), Some(keep));
    let conversations = all_conversations(store, &tenant, ConversationQuery::new().contact(keep)).await;
    let mut ids: Vec<_> = conversations.iter().map(|c| c.id).collect();
    ids.sort();
    let mut expected = vec![on_line, on_messenger];
    expected.sort();
    check_eq!(ids, expected, "both conversations follow the contact");
    let messages = ok(store.reads.messages(&tenant, on_messenger, &MessageQuery::new()).await, "messages");
    check!(messages.items.iter().all(|m| m.author == Author::Contact(keep)), "messages are the kept contact's");

    let again = text_in_conversation(store, &messenger_events, &messenger_user, "f-2", "ยังอยู่ไหมคะ", at(700)).await;
    check_eq!(again, on_messenger, "a later message lands in the same conversation");
    let latest = ok(store.reads.messages(&tenant, on_messenger, &MessageQuery::new().limit(1)).await, "messages");
    check_eq!(latest.items[0].author.clone(), Author::Contact(keep));
}

/// Merging a contact into itself is `InvalidInput`; two contacts with conversations on the
/// same account is a `Conflict`; another tenant's contact is `NotFound`; none changes anything.
pub async fn merging_contacts_refuses_self_same_account_and_foreign_contacts(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let first = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let other = fixtures::customer(IdentityKind::LineUserId, 9);
    let second = text_in_conversation(store, &events, &other, "m-2", THAI_SHIPPING_TEXT, at(5)).await;
    let a = ok(store.reads.conversation(&tenant, first).await, "conversation").contact;
    let b = ok(store.reads.conversation(&tenant, second).await, "conversation").contact;
    assert_kind(store.workflow.merge_contacts(&tenant, a, a).await, ErrorKind::InvalidInput, "merge into itself");
    assert_kind(store.workflow.merge_contacts(&tenant, a, b).await, ErrorKind::Conflict, "same account");
    check_eq!(ok(store.reads.contact(&tenant, b).await, "contact").id, b, "the refused merge changed nothing");
    check_eq!(ok(store.reads.conversation(&tenant, second).await, "conversation").contact, b);

    let (globex, _, globex_events) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let theirs = text_in_conversation(store, &globex_events, &fixtures::shopee_buyer(), "s-1", "hello", at(0)).await;
    let c = ok(store.reads.conversation(&globex, theirs).await, "conversation").contact;
    assert_kind(store.workflow.merge_contacts(&tenant, a, c).await, ErrorKind::NotFound, "foreign duplicate");
    assert_kind(store.workflow.merge_contacts(&globex, c, a).await, ErrorKind::NotFound, "foreign kept contact");
    check_eq!(ok(store.reads.contact(&globex, c).await, "contact").id, c);
}

/// A customer whose platform id changes (a Telegram group upgraded to a supergroup) keeps its
/// contact and conversation: the identity reads the new id, messages under it land in the same
/// conversation, a redelivered change is a duplicate, and a change to an id another contact
/// already has moves nothing.
pub async fn a_changed_customer_id_keeps_the_contact_and_conversation(store: &Store) {
    let (tenant, account, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let group = PlatformUser::new(IdentityKind::TelegramChatId, "-4012345678").with_name("Acme buyers");
    let conversation = text_in_conversation(store, &events, &group, "g-1", THAI_ORDER_TEXT, at(0)).await;
    let contact = ok(store.reads.conversation(&tenant, conversation).await, "conversation").contact;
    let supergroup = PlatformUser::new(IdentityKind::TelegramChatId, "-1002233445566");
    let moved = events.event(
        "migrate-1",
        EventKind::CustomerIdChanged { customer: supergroup.clone(), previous_id: group.id.clone() },
        at(10),
    );
    let outcomes = ingest(store, vec![moved.clone()]).await;
    check_eq!(outcomes.len(), 1);
    check_eq!(ingest(store, vec![moved]).await, vec![unibox_core::inbox::IngestOutcome::Duplicate], "redelivery");

    let after = text_in_conversation(store, &events, &supergroup, "s-1", THAI_SHIPPING_TEXT, at(20)).await;
    check_eq!(after, conversation, "the supergroup's messages continue the group's conversation");
    let identities = ok(store.reads.contact(&tenant, contact).await, "contact").identities;
    let expected =
        vec![ContactIdentity { account: account.id, kind: IdentityKind::TelegramChatId, value: supergroup.id.clone() }];
    check_eq!(identities, expected, "the identity reads the new id");
    let old = ContactIdentity { account: account.id, kind: IdentityKind::TelegramChatId, value: group.id.clone() };
    check_eq!(ok(store.reads.contact_by_identity(&tenant, &old).await, "by old identity"), None);

    // Another chat exists already under the id a later change names: nothing moves.
    let other = PlatformUser::new(IdentityKind::TelegramChatId, "-1009988776655");
    text_in_conversation(store, &events, &other, "o-1", THAI_ORDER_TEXT, at(30)).await;
    let clash = events.event(
        "migrate-2",
        EventKind::CustomerIdChanged { customer: other.clone(), previous_id: supergroup.id.clone() },
        at(40),
    );
    ingest(store, vec![clash]).await;
    let identities = ok(store.reads.contact(&tenant, contact).await, "contact").identities;
    check_eq!(identities, expected, "a taken id is never moved onto");
}
