//! The [`TokenStore`] conformance suite.
//!
//! Every check takes the store under test and uses fresh account ids, so all of them can share
//! one store. [`run_all`] runs them and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryTokenStore;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::tokens::run_all(&MemoryTokenStore::new()).await;
//! # });
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use secrecy::ExposeSecret;
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::{
    Channel, ChannelAccount, ChannelAccountId, ChannelKind, Error, ErrorKind, InboundEvent, Result, TenantId, TokenSet,
    TokenStatus, TokenStore,
};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{catch_panic, ok};

/// A long-lived Meta page token, shaped like the real thing.
const PAGE_TOKEN: &str = "EAAGm0PX4ZCpsBAKZCZBz7ZC9ZA3ZB4ZC5ZB6ZC7ZB8ZC9ZA0ZB1ZC2ZB3ZC4ZD";
/// A LINE channel access token.
const LINE_TOKEN: &str = "mF3fP0Gq9kXyL2zR7tV1sW4uB8nC6dE5aJ0hK3iO9pQ2rS7tU1vW4xY8zA6bC5dE=";
/// A Shopee refresh token.
const REFRESH_TOKEN: &str = "4e4b6f70736c7a5a6d4e52536f6c4a54";

fn tokens(access: &str) -> TokenSet {
    let mut set = TokenSet::new(access).expiring_at(fixtures::at(5_184_000)).with_refresh_token(REFRESH_TOKEN);
    set.refresh_expires_at = Some(fixtures::at(31_536_000));
    set.scopes = vec!["pages_messaging".to_string(), "pages_manage_metadata".to_string()];
    set
}

#[track_caller]
fn assert_same_tokens(actual: Option<TokenSet>, expected: &TokenSet, what: &str) {
    let Some(actual) = actual else { panic!("{what}: expected tokens, got None") };
    assert_eq!(actual.access_token.expose_secret(), expected.access_token.expose_secret(), "{what}: access token");
    assert_eq!(
        actual.refresh_token.as_ref().map(|t| t.expose_secret().to_string()),
        expected.refresh_token.as_ref().map(|t| t.expose_secret().to_string()),
        "{what}: refresh token"
    );
    assert_eq!(actual.expires_at, expected.expires_at, "{what}: expiry");
    assert_eq!(actual.refresh_expires_at, expected.refresh_expires_at, "{what}: refresh expiry");
    assert_eq!(actual.scopes, expected.scopes, "{what}: scopes");
}

/// What `put` stores, `get` returns, every field; a second `put` replaces it.
pub async fn put_then_get_round_trips(store: &dyn TokenStore) {
    let tenant = fixtures::tenant("acme");
    let account = ChannelAccountId::new();
    let first = tokens(PAGE_TOKEN);
    ok(store.put(&tenant, account, first.clone()).await, "put");
    assert_same_tokens(ok(store.get(&tenant, account).await, "get"), &first, "get after put");

    let rotated = TokenSet::new(LINE_TOKEN);
    ok(store.put(&tenant, account, rotated.clone()).await, "put (replace)");
    assert_same_tokens(ok(store.get(&tenant, account).await, "get"), &rotated, "get after replacing");
}

/// Revoking one account's tokens leaves every other account's working.
pub async fn revoking_one_account_leaves_others_working(store: &dyn TokenStore) {
    let tenant = fixtures::tenant("acme");
    let (page, line) = (ChannelAccountId::new(), ChannelAccountId::new());
    let (page_tokens, line_tokens) = (tokens(PAGE_TOKEN), TokenSet::new(LINE_TOKEN));
    ok(store.put(&tenant, page, page_tokens).await, "put");
    ok(store.put(&tenant, line, line_tokens.clone()).await, "put");

    assert!(ok(store.revoke(&tenant, page, fixtures::at(60)).await, "revoke"), "revoking stored tokens returns true");
    assert!(ok(store.get(&tenant, page).await, "get").is_none(), "revoked tokens are gone");
    assert_same_tokens(ok(store.get(&tenant, line).await, "get"), &line_tokens, "the other account");
    assert_eq!(ok(store.status(&tenant, line).await, "status"), TokenStatus::Active { expires_at: None });
    assert!(!ok(store.revoke(&tenant, page, fixtures::at(120)).await, "revoke again"), "nothing left to revoke");
}

/// Status goes Missing, then Active with the expiry, then Revoked with the time; a new `put`
/// (reconnecting the account) makes it Active again.
pub async fn status_moves_from_missing_to_active_to_revoked(store: &dyn TokenStore) {
    let tenant = fixtures::tenant("acme");
    let account = ChannelAccountId::new();
    assert_eq!(ok(store.status(&tenant, account).await, "status"), TokenStatus::Missing);
    assert!(!ok(store.revoke(&tenant, account, fixtures::at(0)).await, "revoke"), "nothing to revoke yet");
    assert_eq!(ok(store.status(&tenant, account).await, "status"), TokenStatus::Missing, "revoking nothing is a no-op");

    ok(store.put(&tenant, account, tokens(PAGE_TOKEN)).await, "put");
    let active = TokenStatus::Active { expires_at: Some(fixtures::at(5_184_000)) };
    assert_eq!(ok(store.status(&tenant, account).await, "status"), active);

    ok(store.revoke(&tenant, account, fixtures::at(60)).await, "revoke");
    assert_eq!(ok(store.status(&tenant, account).await, "status"), TokenStatus::Revoked { at: fixtures::at(60) });

    ok(store.put(&tenant, account, TokenSet::new(LINE_TOKEN)).await, "put after revoke");
    assert_eq!(ok(store.status(&tenant, account).await, "status"), TokenStatus::Active { expires_at: None });
}

/// Another tenant can neither read, see, nor revoke an account's tokens, even with its id; and
/// its own tokens under that id do not touch the owner's.
pub async fn tenants_cannot_read_or_revoke_each_others_tokens(store: &dyn TokenStore) {
    let (owner, intruder): (TenantId, TenantId) = (fixtures::tenant("acme"), fixtures::tenant("globex"));
    let account = ChannelAccountId::new();
    let owned = tokens(PAGE_TOKEN);
    ok(store.put(&owner, account, owned.clone()).await, "put");

    assert!(ok(store.get(&intruder, account).await, "get").is_none(), "another tenant reads nothing");
    assert_eq!(ok(store.status(&intruder, account).await, "status"), TokenStatus::Missing, "nor sees a status");
    assert!(!ok(store.revoke(&intruder, account, fixtures::at(1)).await, "revoke"), "nor revokes anything");
    assert_same_tokens(ok(store.get(&owner, account).await, "get"), &owned, "the owner's tokens after the attempts");

    let theirs = TokenSet::new(LINE_TOKEN);
    ok(store.put(&intruder, account, theirs.clone()).await, "put as another tenant");
    assert_same_tokens(ok(store.get(&owner, account).await, "get"), &owned, "the owner's tokens are not overwritten");
    assert_same_tokens(ok(store.get(&intruder, account).await, "get"), &theirs, "the other tenant's own tokens");
    ok(store.revoke(&intruder, account, fixtures::at(2)).await, "revoke as another tenant");
    assert!(ok(store.get(&owner, account).await, "get").is_some(), "the other tenant's revoke left the owner's");
}

/// Tokens never appear in `Debug` output: not of a [`TokenSet`], a [`TokenStatus`], nor the store.
pub async fn debug_output_never_shows_tokens(store: &dyn TokenStore) {
    let tenant = fixtures::tenant("acme");
    let account = ChannelAccountId::new();
    let set = tokens(PAGE_TOKEN);
    ok(store.put(&tenant, account, set.clone()).await, "put");
    let status = ok(store.status(&tenant, account).await, "status");
    let fetched = ok(store.get(&tenant, account).await, "get");
    let outputs = [
        format!("{set:?}"),
        format!("{set:#?}"),
        format!("{fetched:?}"),
        format!("{status:?}"),
        format!("{store:?}"),
        format!("{store:#?}"),
    ];
    for output in outputs {
        for secret in [PAGE_TOKEN, REFRESH_TOKEN, &PAGE_TOKEN[..12], &REFRESH_TOKEN[..12]] {
            assert!(!output.contains(secret), "Debug output reveals a token: {output}");
        }
    }
}

/// A channel that counts refresh requests and refuses them, to watch what `get_fresh` does.
#[derive(Debug, Default)]
struct CountingChannel {
    capabilities: Capabilities,
    refreshes: AtomicUsize,
}

#[async_trait]
impl Channel for CountingChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::LINE
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::SignatureInvalid, "the token suite's channel receives no webhooks"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
        Err(Error::new(ErrorKind::Unsupported, "the token suite's channel does not send"))
    }
    async fn refresh_tokens(&self, _account: &ChannelAccount, _tokens: &TokenSet) -> Result<TokenSet> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        Err(Error::new(ErrorKind::TokenInvalid, "the token suite's channel refuses every refresh"))
    }
}

/// `get_fresh` (what the hub calls before a send) hands out tokens that do not expire as
/// stored, without asking the channel to refresh; missing tokens are `None`.
pub async fn get_fresh_hands_out_unexpiring_tokens_without_a_refresh(store: &dyn TokenStore) {
    let tenant = fixtures::tenant("acme");
    let account = fixtures::account(&tenant, "acme-line", ChannelKind::LINE, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
    let channel = CountingChannel::default();
    assert!(ok(store.get_fresh(&account, &channel).await, "get_fresh").is_none(), "nothing stored yet");
    let stored = TokenSet::new(LINE_TOKEN);
    ok(store.put(&tenant, account.id, stored.clone()).await, "put");
    for _ in 0..3 {
        assert_same_tokens(ok(store.get_fresh(&account, &channel).await, "get_fresh"), &stored, "get_fresh");
    }
    assert_eq!(channel.refreshes.load(Ordering::SeqCst), 0, "tokens without expiry were refreshed");
}

/// Revoked tokens are never handed out for a send: `get_fresh` answers `None` or fails with
/// `TokenInvalid`, and another account's tokens are still handed out.
pub async fn get_fresh_never_hands_out_revoked_tokens(store: &dyn TokenStore) {
    let tenant = fixtures::tenant("acme");
    let revoked = fixtures::account(&tenant, "acme-line", ChannelKind::LINE, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
    let other = fixtures::account(&tenant, "acme-page", ChannelKind::MESSENGER, "104729348273645");
    let channel = CountingChannel::default();
    ok(store.put(&tenant, revoked.id, TokenSet::new(LINE_TOKEN)).await, "put");
    ok(store.put(&tenant, other.id, TokenSet::new(PAGE_TOKEN)).await, "put");
    ok(store.revoke(&tenant, revoked.id, fixtures::at(60)).await, "revoke");
    match store.get_fresh(&revoked, &channel).await {
        Ok(None) => {}
        Ok(Some(_)) => panic!("get_fresh handed out revoked tokens"),
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::TokenInvalid, "revoked tokens: {error}");
            assert!(!error.to_string().contains(LINE_TOKEN), "the error shows the token");
        }
    }
    assert_same_tokens(ok(store.get_fresh(&other, &channel).await, "get_fresh"), &TokenSet::new(PAGE_TOKEN), "other");
}

type Check = for<'a> fn(&'a dyn TokenStore) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("put_then_get_round_trips", |s| Box::pin(put_then_get_round_trips(s))),
    ("revoking_one_account_leaves_others_working", |s| Box::pin(revoking_one_account_leaves_others_working(s))),
    ("status_moves_from_missing_to_active_to_revoked", |s| Box::pin(status_moves_from_missing_to_active_to_revoked(s))),
    ("tenants_cannot_read_or_revoke_each_others_tokens", |s| {
        Box::pin(tenants_cannot_read_or_revoke_each_others_tokens(s))
    }),
    ("debug_output_never_shows_tokens", |s| Box::pin(debug_output_never_shows_tokens(s))),
    ("get_fresh_hands_out_unexpiring_tokens_without_a_refresh", |s| {
        Box::pin(get_fresh_hands_out_unexpiring_tokens_without_a_refresh(s))
    }),
    ("get_fresh_never_hands_out_revoked_tokens", |s| Box::pin(get_fresh_never_hands_out_revoked_tokens(s))),
];

/// Runs every check against `store` and panics with the name and message of each that failed.
///
/// ```
/// use unibox_core::memory::MemoryTokenStore;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// unibox_testkit::tokens::run_all(&MemoryTokenStore::new()).await;
/// # });
/// ```
pub async fn run_all(store: &dyn TokenStore) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(store)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "token store conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
