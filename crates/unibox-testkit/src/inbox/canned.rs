//! Canned replies: saved per tenant by shortcut, replaced, listed, deleted.

use unibox_core::ErrorKind;
use unibox_core::store::Store;
use unibox_core::workflow::CannedReply;

use super::support::{assert_kind, ok};
use crate::fixtures::{self, at};

/// Saving twice replaces; listing is by shortcut and per tenant; deleting removes; another
/// tenant's shortcut is `NotFound`; an invalid reply is `InvalidInput` and stores nothing.
pub async fn canned_replies_are_saved_replaced_listed_and_deleted(store: &Store) {
    let acme = fixtures::tenant("acme");
    let globex = fixtures::tenant("globex");
    let reply = |tenant, shortcut: &str, body: &str, t| CannedReply::new(tenant, shortcut, body, at(t)).unwrap();
    let shipping = reply(acme.clone(), "shipping", "สวัสดีค่ะ คุณ{{contact.first_name}} สินค้าจัดส่งวันนี้ค่ะ", 0);
    ok(store.workflow.save_canned_reply(&shipping).await, "save");
    ok(store.workflow.save_canned_reply(&reply(acme.clone(), "greeting", "Hi {{contact.name}}!", 1)).await, "save");
    ok(
        store.workflow.save_canned_reply(&reply(globex.clone(), "shipping", "Globex ships on Mondays.", 2)).await,
        "save",
    );
    let replaced = reply(acme.clone(), "shipping", "Your order {{custom.order}} ships today.", 3);
    ok(store.workflow.save_canned_reply(&replaced).await, "save again");

    let listed = ok(store.workflow.canned_replies(&acme).await, "canned_replies");
    check_eq!(listed.iter().map(|r| r.shortcut.as_str()).collect::<Vec<_>>(), vec!["greeting", "shipping"]);
    check_eq!(ok(store.workflow.canned_reply(&acme, "shipping").await, "canned_reply"), replaced);

    let mut invalid = replaced.clone();
    invalid.shortcut = "Not Plain".into();
    assert_kind(store.workflow.save_canned_reply(&invalid).await, ErrorKind::InvalidInput, "invalid shortcut");
    let mut unknown_variable = replaced.clone();
    unknown_variable.body = "Hi {{contact.email}}".into();
    assert_kind(store.workflow.save_canned_reply(&unknown_variable).await, ErrorKind::InvalidInput, "unknown variable");
    check_eq!(ok(store.workflow.canned_reply(&acme, "shipping").await, "canned_reply"), replaced, "nothing was stored");

    ok(store.workflow.delete_canned_reply(&acme, "shipping").await, "delete");
    assert_kind(store.workflow.canned_reply(&acme, "shipping").await, ErrorKind::NotFound, "deleted");
    assert_kind(store.workflow.delete_canned_reply(&acme, "shipping").await, ErrorKind::NotFound, "deleted twice");
    check_eq!(
        ok(store.workflow.canned_reply(&globex, "shipping").await, "other tenant's").body,
        "Globex ships on Mondays."
    );
    assert_kind(
        store.workflow.canned_reply(&globex, "greeting").await,
        ErrorKind::NotFound,
        "acme's shortcut as globex",
    );
}
