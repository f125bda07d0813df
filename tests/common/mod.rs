//! What the facade's integration tests share: Acme's Standard Webhooks channel and shop account,
//! and a signed delivery of one customer message.

#![allow(dead_code)] // Each test binary uses its own part.

use unibox::channel::WebhookRequest;
use unibox::channels::webhook::WebhookSecret;
use unibox::secrecy::SecretString;
use unibox::vault::{Keyring, StoreKeys};
use unibox::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, TenantId, Timestamp};

/// The public sandbox secret of the `acme-orders` channel.
pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub(crate) fn channel_id() -> ChannelId {
    "acme-orders".parse().unwrap()
}

pub(crate) fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

/// The vault and audit keys of the tests' stores: fixed, so a reopened file still opens.
pub(crate) fn test_keys() -> StoreKeys {
    StoreKeys::try_from(Keyring::new().with_key(1, [7; 32])).unwrap()
}

/// Bob, an agent of Acme.
pub(crate) fn agent() -> Actor {
    Actor::user(tenant(), "bob".parse().unwrap(), Role::Agent)
}

/// Ann (an admin) connects Acme's Bangkok shop on the `acme-orders` channel.
pub(crate) async fn connect_shop(hub: &Hub) {
    let admin = Actor::user(tenant(), "ann".parse().unwrap(), Role::Admin);
    let account = ChannelAccount::new(tenant(), channel_id(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now());
    hub.ensure_account(&admin, account, None).await.unwrap();
}

/// A delivery of customer `cust-1001`'s message `m-1` saying `text`, signed with [`SECRET`].
pub(crate) fn customer_message(text: &str, display_name: Option<&str>) -> WebhookRequest {
    let mut customer = serde_json::json!({ "kind": "external", "id": "cust-1001" });
    if let Some(name) = display_name {
        customer["display_name"] = name.into();
    }
    let body = serde_json::json!({
        "account": "shop-bangkok",
        "events": [{ "kind": {
            "type": "message",
            "customer": customer,
            "direction": "inbound",
            "message_id": "m-1",
            "content": { "type": "text", "text": text }
        }}]
    })
    .to_string();
    let key = WebhookSecret::parse(SecretString::from(SECRET)).unwrap();
    let now = Timestamp::now().as_unix_seconds();
    WebhookRequest::post("https://inbox.example.com/webhooks/acme-orders".parse().unwrap(), body.clone())
        .with_header("webhook-id", "msg_1")
        .with_header("webhook-timestamp", &now.to_string())
        .with_header("webhook-signature", &key.sign("msg_1", now, body.as_bytes()))
}

/// What every durable assembly must leave in its directory after starting `starts` times with
/// tenant acme's account and `token`, ensured by the user `admin`: one account; no file holding the token's bytes
/// (SQLite file, WAL, journal); the token readable through the vault with `keys`; and acme's
/// audit trail one verified hash chain with a `channel.connect` record per start and the
/// vault's own record of sealing the token.
pub(crate) async fn assert_sealed_and_chained(
    dir: &std::path::Path,
    keys: &str,
    token: &str,
    admin: &str,
    starts: usize,
) {
    use unibox::TokenStore;
    use unibox::audit::{AuditQuery, actions, actor_name};
    use unibox::inbox::prelude::*;
    use unibox::secrecy::ExposeSecret;

    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        assert!(
            !bytes.windows(token.len()).any(|window| window == token.as_bytes()),
            "{} holds the token in plain text",
            path.display()
        );
    }
    assert!(files >= 1, "the store wrote no file");

    let keys = StoreKeys::try_from(Keyring::parse(keys).unwrap()).unwrap();
    let store = unibox::store::sqlite::SqliteStore::open(dir.join("inbox.db"), keys).await.unwrap();
    let accounts = store.inbox().accounts(&tenant()).await.unwrap();
    assert_eq!(accounts.len(), 1, "one account however many starts: {accounts:?}");
    let tokens = store.vault().get(&tenant(), accounts[0].id).await.unwrap().expect("the token is stored");
    assert_eq!(tokens.access_token.expose_secret(), token);

    let trail = store.audit_trail();
    let verification = trail.verify(&tenant()).await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    let records = trail.query(&tenant(), &AuditQuery::new().limit(500)).await.unwrap().items;
    let by = |actor: &str| {
        records
            .iter()
            .filter(|r| r.record.action == actions::CHANNEL_CONNECT && actor_name(&r.record.actor) == actor)
            .count()
    };
    assert_eq!(by(admin), starts, "each start's ensure_account is audited");
    assert_eq!(by("unibox-vault"), 1, "the vault recorded sealing the token once (unchanged tokens are not resealed)");
    let target = format!("channel_account:{}", accounts[0].id);
    assert!(records.iter().all(|r| r.record.target == target), "one name for the account in every record");
}
