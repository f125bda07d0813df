//! The token lifecycle: refresh ahead of expiry, once per account across every caller and
//! process, and "reauthorization required" when the platform refuses for good.
//!
//! In one process, callers of an account queue on a per-account async mutex: the first one
//! refreshes, the others find fresh tokens when their turn comes. Across processes sharing a
//! backend, the refresher must also hold the account's lease in the backend; a process that
//! cannot take it waits for the new revision to appear. The lease holder re-reads the tokens
//! after taking the lease (someone may have finished a refresh just before) and stores the
//! result with a compare-and-swap on the revision it read, so a refresh token is sent to the
//! platform by one holder only, and only while it is the current one.

use std::sync::Arc;
use std::time::Instant;

use unibox_core::audit::AuditOutcome;
use unibox_core::{Channel, ChannelAccount, Error, ErrorKind, Result, SealedSlot, SealedTokens, Timestamp, TokenSet};

use crate::VaultEvent;
use crate::vault::{Turn, Vault, account_target};

/// What one refresh attempt under the lease came to.
enum Attempt {
    /// The answer for the caller.
    Done(Result<Option<TokenSet>>),
    /// The tokens changed under us (a reconnect); look again.
    Again,
}

/// What makes tokens due for a refresh beyond the refresh margin.
#[derive(Clone, Copy, Debug, Default)]
struct Trigger {
    /// Refresh if the tokens are still this revision (a forced refresh).
    stale: Option<u64>,
    /// Refresh if the tokens expire before this time (a platform's expiry notice).
    horizon: Option<Timestamp>,
}

impl Vault {
    /// [`TokenStore::get_fresh`](unibox_core::TokenStore::get_fresh) for the vault.
    pub(crate) async fn fresh(&self, account: &ChannelAccount, channel: &dyn Channel) -> Result<Option<TokenSet>> {
        self.fresh_when(account, channel, Trigger::default()).await
    }

    /// [`fresh`](Self::fresh), also refreshing tokens that expire before `horizon` (an
    /// expiring-authorization push names a time beyond the refresh margin). The same
    /// single flight and lease: tokens someone already refreshed past the horizon are not
    /// refreshed again.
    pub(crate) async fn fresh_before(
        &self,
        account: &ChannelAccount,
        channel: &dyn Channel,
        horizon: Timestamp,
    ) -> Result<Option<TokenSet>> {
        self.fresh_when(account, channel, Trigger { horizon: Some(horizon), ..Trigger::default() }).await
    }

    /// Refreshes the account's tokens now, whatever their expiry, through the same single
    /// flight as [`get_fresh`](unibox_core::TokenStore::get_fresh): the tokens current when
    /// the call starts are refreshed once, however many callers ask at the same time; callers
    /// whose tokens were replaced while they waited get the new ones, so a single-use refresh
    /// token is still sent once. A call made after a refresh finished refreshes again. For
    /// platform notices such as Shopee's expiring-authorization push. `None` when the account
    /// has no tokens.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # use std::sync::Arc;
    /// # use unibox_core::memory::MemorySealedBackend;
    /// # use unibox_core::{ChannelAccount, ChannelKind, Timestamp};
    /// # use unibox_vault::{Keyring, Vault};
    /// # #[derive(Debug)] struct Webhook(unibox_core::channel::Capabilities);
    /// # #[unibox_core::async_trait] impl unibox_core::Channel for Webhook {
    /// #     fn kind(&self) -> ChannelKind { ChannelKind::WEBHOOK }
    /// #     fn capabilities(&self) -> &unibox_core::channel::Capabilities { &self.0 }
    /// #     fn verify<'r>(&self, _: &'r unibox_core::channel::WebhookRequest) -> unibox_core::Result<unibox_core::channel::Verified<'r>> { unreachable!() }
    /// #     fn parse(&self, _: &unibox_core::channel::Verified<'_>) -> unibox_core::Result<Vec<unibox_core::InboundEvent>> { Ok(vec![]) }
    /// #     async fn send(&self, _: &unibox_core::channel::SendRequest<'_>) -> unibox_core::Result<unibox_core::channel::SendReceipt> { unreachable!() }
    /// # }
    /// let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [7; 32]))).build();
    /// let account = ChannelAccount::new("acme".parse().unwrap(), "shop".parse().unwrap(), ChannelKind::SHOPEE, "600000012", Timestamp::now());
    /// // No tokens stored: nothing to refresh.
    /// assert!(vault.refresh_now(&account, &Webhook(Default::default())).await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn refresh_now(&self, account: &ChannelAccount, channel: &dyn Channel) -> Result<Option<TokenSet>> {
        let current = match self.slot(account).await? {
            Some(current) => current,
            None => return Ok(None),
        };
        self.fresh_when(account, channel, Trigger { stale: Some(current.revision), ..Trigger::default() }).await
    }

    /// Refreshes when the tokens are due as `trigger` says.
    async fn fresh_when(
        &self,
        account: &ChannelAccount,
        channel: &dyn Channel,
        trigger: Trigger,
    ) -> Result<Option<TokenSet>> {
        let current = match self.slot(account).await? {
            Some(current) => current,
            None => return Ok(None),
        };
        if !self.needs_refresh(&current, trigger) {
            return self.open_tokens(&account.tenant, account.id, &current).await.map(Some);
        }
        let flight = self.flight(account);
        let _turn = flight.lock().await;
        // Checked: a configured lease of years must not panic here.
        let give_up_at = Instant::now().checked_add(self.inner.lease.saturating_mul(2));
        loop {
            let current = match self.slot(account).await? {
                Some(current) => current,
                None => return Ok(None),
            };
            if !self.needs_refresh(&current, trigger) {
                return self.open_tokens(&account.tenant, account.id, &current).await.map(Some);
            }
            let now = self.now();
            let until = now.saturating_add(self.inner.lease);
            let backend = &self.inner.backend;
            if backend.try_lease(&account.tenant, account.id, &self.inner.holder, now, until).await? {
                let attempt = self.refresh_under_lease(account, channel, trigger).await;
                if let Err(error) = backend.release_lease(&account.tenant, account.id, &self.inner.holder).await {
                    // It expires on its own; only a delay for the next refresher.
                    tracing::warn!(target: "unibox::vault", %error, account = %account.id, "could not release a refresh lease");
                }
                match attempt {
                    Attempt::Done(result) => return result,
                    Attempt::Again => continue,
                }
            }
            // Another process is refreshing: wait for its result rather than refresh twice.
            if give_up_at.is_some_and(|at| Instant::now() >= at) {
                if self.expired(&current) {
                    return Err(Error::new(
                        ErrorKind::PlatformUnavailable,
                        "another process holds the refresh lease of these expired tokens and has not finished; try again",
                    )
                    .temporary());
                }
                return self.open_tokens(&account.tenant, account.id, &current).await.map(Some);
            }
            tokio::time::sleep(self.inner.lease_poll).await;
        }
    }

    /// Refreshes while holding the lease.
    async fn refresh_under_lease(&self, account: &ChannelAccount, channel: &dyn Channel, trigger: Trigger) -> Attempt {
        let (tenant, id) = (&account.tenant, account.id);
        // Read again now that nobody else can refresh: a refresh that finished between our
        // read and our lease has already used the refresh token we read.
        let current = match self.slot(account).await {
            Ok(Some(current)) => current,
            Ok(None) => return Attempt::Done(Ok(None)),
            Err(error) => return Attempt::Done(Err(error)),
        };
        let tokens = match self.open_tokens(tenant, id, &current).await {
            Ok(tokens) => tokens,
            Err(error) => return Attempt::Done(Err(error)),
        };
        if !self.needs_refresh(&current, trigger) {
            return Attempt::Done(Ok(Some(tokens)));
        }
        // Never act on an answer that arrives after the lease could have passed to someone else.
        let deadline = self.inner.lease.saturating_sub(self.inner.lease / 5);
        let answer = tokio::time::timeout(deadline, channel.refresh_tokens(account, &tokens)).await;
        let target = account_target(id);
        match answer {
            Ok(Ok(fresh)) => {
                let stored = async {
                    let sealed = self.seal_tokens(tenant, id, &fresh).await?;
                    self.inner.backend.swap_sealed(tenant, id, current.revision, sealed, fresh.expires_at).await
                };
                match stored.await {
                    Ok(true) => {
                        self.audit(tenant, "channel.refresh", target, AuditOutcome::Success).await;
                        self.emit(VaultEvent::Refreshed { tenant: tenant.clone(), account: id });
                        Attempt::Done(Ok(Some(fresh)))
                    }
                    Ok(false) => Attempt::Again,
                    Err(error) => Attempt::Done(Err(error)),
                }
            }
            Ok(Err(error)) if error.kind() == ErrorKind::TokenInvalid => {
                self.audit(tenant, "channel.refresh", target, AuditOutcome::Failed { error: error.kind().to_string() })
                    .await;
                Attempt::Done(Err(self.require_reauthorization(account, &error).await))
            }
            Ok(Err(error)) if error.kind() == ErrorKind::Unsupported => {
                if self.expired(&current) {
                    Attempt::Done(Err(Error::new(
                        ErrorKind::TokenInvalid,
                        format!(
                            "the tokens of the {} account {} expired and its channel cannot refresh them; reconnect it",
                            account.kind, account.display_name
                        ),
                    )))
                } else {
                    Attempt::Done(Ok(Some(tokens)))
                }
            }
            other => {
                let error = match other {
                    Ok(Err(error)) => error,
                    _ => Error::new(ErrorKind::PlatformUnavailable, "the token refresh took longer than the lease")
                        .temporary(),
                };
                self.audit(tenant, "channel.refresh", target, AuditOutcome::Failed { error: error.kind().to_string() })
                    .await;
                // A passing failure: the current tokens serve until they expire; the next use retries.
                if self.expired(&current) { Attempt::Done(Err(error)) } else { Attempt::Done(Ok(Some(tokens))) }
            }
        }
    }

    /// The platform refused the refresh for good: revoke the tokens (nobody may try that
    /// refresh token again), tell subscribers, and return the error sends fail with.
    async fn require_reauthorization(&self, account: &ChannelAccount, cause: &Error) -> Error {
        let reason = format!("the {} platform refused to refresh the account's tokens", account.kind);
        if let Err(error) = self.inner.backend.revoke_sealed(&account.tenant, account.id, self.now()).await {
            tracing::error!(target: "unibox::vault", %error, account = %account.id, "could not revoke refused tokens");
        }
        self.emit(VaultEvent::ReauthorizationRequired {
            tenant: account.tenant.clone(),
            account: account.id,
            reason: reason.clone(),
        });
        Error::new(
            ErrorKind::TokenInvalid,
            format!(
                "{reason} ({}); an admin must reconnect the {} account {}",
                cause.message(),
                account.kind,
                account.display_name
            ),
        )
        .permanent()
    }

    /// The account's sealed tokens; `None` when missing, an error when revoked.
    async fn slot(&self, account: &ChannelAccount) -> Result<Option<SealedTokens>> {
        match self.inner.backend.sealed(&account.tenant, account.id).await? {
            SealedSlot::Active(sealed) => Ok(Some(sealed)),
            SealedSlot::Missing => Ok(None),
            SealedSlot::Revoked { at } => Err(Error::new(
                ErrorKind::TokenInvalid,
                format!(
                    "the tokens of the {} account {} were revoked at {at}; reconnect it",
                    account.kind, account.display_name
                ),
            )
            .permanent()),
        }
    }

    /// Due within the margin or before the trigger's horizon, or still the revision a forced
    /// refresh was asked for.
    fn needs_refresh(&self, sealed: &SealedTokens, trigger: Trigger) -> bool {
        let margin: Timestamp = self.now().saturating_add(self.inner.refresh_margin);
        let due_by = trigger.horizon.map_or(margin, |horizon| horizon.max(margin));
        sealed.expires_at.is_some_and(|at| at <= due_by) || trigger.stale == Some(sealed.revision)
    }

    fn expired(&self, sealed: &SealedTokens) -> bool {
        sealed.expires_at.is_some_and(|at| at <= self.now())
    }

    fn flight(&self, account: &ChannelAccount) -> Turn {
        let mut flights = self.inner.flights.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Drop turns nobody waits on, so the map stays as small as the accounts being refreshed.
        flights.retain(|_, turn| Arc::strong_count(turn) > 1);
        flights.entry((account.tenant.clone(), account.id)).or_default().clone()
    }
}
