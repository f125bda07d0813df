//! Channel accounts: saving, listing, routing.

use unibox_core::store::Store;
use unibox_core::{ChannelAccountState, ChannelId, ChannelKind, ErrorKind};

use super::support::{assert_kind, ingest, ok, tenant_with_account};
use crate::fixtures::{self, LINE_BOT_ID, SHOPEE_SHOP_ID};

fn channel(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap_or_else(|e| panic!("invalid channel id {name:?}: {e}"))
}

/// Webhook events are routed by (channel, platform account id) across tenants, and nothing else
/// matches.
pub async fn accounts_are_routed_by_channel_and_platform_id(store: &Store) {
    let (_, line, _) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let (_, shop, _) = tenant_with_account(store, "globex", fixtures::shopee_account).await;

    let routed = ok(store.accounts.route(&line.channel, LINE_BOT_ID).await, "route");
    check_eq!(routed.as_ref(), Some(&line), "the LINE bot id routes to acme's LINE account");
    let routed = ok(store.accounts.route(&shop.channel, SHOPEE_SHOP_ID).await, "route");
    check_eq!(routed.as_ref(), Some(&shop), "the shop id routes to globex's Shopee account");

    let unknown = ok(store.accounts.route(&line.channel, "Uffffffffffffffffffffffffffffffff").await, "route");
    check_eq!(unknown, None, "an unknown platform account id routes nowhere");
    let wrong_channel = ok(store.accounts.route(&shop.channel, LINE_BOT_ID).await, "route");
    check_eq!(wrong_channel, None, "a platform account id is matched only on its own channel");
}

/// Saving an account with the same id replaces it.
pub async fn saving_an_account_twice_replaces_it(store: &Store) {
    let (tenant, account, _) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let renamed = account.clone().with_display_name("Acme Thailand LINE");
    ok(store.accounts.save_account(&renamed).await, "save_account (rename)");

    check_eq!(ok(store.accounts.account(&tenant, account.id).await, "account"), renamed);
    check_eq!(ok(store.accounts.accounts(&tenant).await, "accounts"), vec![renamed.clone()], "still one account");
    let routed = ok(store.accounts.route(&account.channel, LINE_BOT_ID).await, "route");
    check_eq!(routed, Some(renamed), "routing sees the replaced account");
}

/// A platform account id belongs to one account per channel; an account id to one tenant.
pub async fn account_with_a_taken_platform_id_is_a_conflict(store: &Store) {
    let (_, line, _) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let intruder_tenant = fixtures::tenant("globex");

    let same_platform_id = fixtures::line_account(&intruder_tenant);
    assert_kind(
        store.accounts.save_account(&same_platform_id).await,
        ErrorKind::Conflict,
        "saving a second account with the same channel and platform account id",
    );
    let routed = ok(store.accounts.route(&line.channel, LINE_BOT_ID).await, "route");
    check_eq!(routed.map(|a| a.id), Some(line.id), "the conflict did not take the route over");

    let mut hijack = line.clone();
    hijack.tenant = intruder_tenant.clone();
    assert_kind(store.accounts.save_account(&hijack).await, ErrorKind::Conflict, "saving another tenant's account id");
    check!(ok(store.accounts.accounts(&intruder_tenant).await, "accounts").is_empty(), "the intruder got no account");

    let other_channel = fixtures::account(&intruder_tenant, "line-2", ChannelKind::LINE, LINE_BOT_ID);
    ok(store.accounts.save_account(&other_channel).await, "the same platform id on another channel is allowed");
    let routed = ok(store.accounts.route(&channel("line-2"), LINE_BOT_ID).await, "route");
    check_eq!(routed.map(|a| a.id), Some(other_channel.id));
}

/// `accounts` lists exactly the tenant's accounts.
pub async fn accounts_are_listed_per_tenant(store: &Store) {
    let (acme, line, _) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let shop = fixtures::shopee_account(&acme);
    ok(store.accounts.save_account(&shop).await, "save_account");
    let (globex, messenger, _) = tenant_with_account(store, "globex", fixtures::messenger_account).await;

    let mut ids: Vec<_> = ok(store.accounts.accounts(&acme).await, "accounts").into_iter().map(|a| a.id).collect();
    ids.sort();
    let mut expected = vec![line.id, shop.id];
    expected.sort();
    check_eq!(ids, expected, "acme lists its two accounts");
    check_eq!(ok(store.accounts.accounts(&globex).await, "accounts"), vec![messenger], "globex lists its one account");
    check!(ok(store.accounts.accounts(&fixtures::tenant("initech")).await, "accounts").is_empty());
}

/// An authorization-revoked event marks the account as needing reauthorization.
pub async fn authorization_revoked_requires_reauthorization(store: &Store) {
    let (tenant, account, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let reason = "The user has not authorized application 1234567890";
    ingest(store, vec![events.authorization_revoked("deauth-1", reason, fixtures::at(0))]).await;

    let stored = ok(store.accounts.account(&tenant, account.id).await, "account");
    check_eq!(
        stored.state,
        ChannelAccountState::ReauthorizationRequired { reason: reason.to_string() },
        "the account needs reauthorization"
    );
    let routed = ok(store.accounts.route(&account.channel, &account.platform_account_id).await, "route");
    check_eq!(routed.map(|a| a.state), Some(stored.state), "routing sees the new state");
}
