//! Disconnecting a platform: the token revoked at the platform where it can be, deleted
//! locally at once, the account's queued sends ended, everything else left working.

use crate::audit::{AuditOutcome, actions, targets};
use crate::hub::Hub;
use crate::outbox::AttemptOutcome;
use crate::{Action, Actor, ChannelAccount, ChannelAccountId, ChannelAccountState, Error, ErrorKind, Resource, Result};

/// What happened at the platform when an account was disconnected.
///
/// ```
/// use unibox_core::hub::PlatformRevocation;
/// assert!(PlatformRevocation::Revoked.is_revoked());
/// assert!(!PlatformRevocation::Unsupported.is_revoked());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformRevocation {
    /// The platform confirmed the token is revoked.
    Revoked,
    /// The platform has no revoke call (or the channel does not implement one,
    /// [`Capabilities::token_revocation`](crate::channel::Capabilities::token_revocation)):
    /// revoke the token in the platform's console if it must die before it expires.
    Unsupported,
    /// There was no stored token to revoke.
    NoToken,
    /// The revoke call failed; the token was still deleted locally. Retry in the platform's
    /// console.
    Failed {
        /// What went wrong.
        kind: ErrorKind,
        /// Why, in words an admin understands (never a token).
        reason: String,
    },
}

impl PlatformRevocation {
    /// True when the platform confirmed the revocation.
    pub fn is_revoked(&self) -> bool {
        matches!(self, PlatformRevocation::Revoked)
    }
}

/// The report of [`Hub::disconnect_account`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disconnection {
    /// The account, now [`ChannelAccountState::Disconnected`].
    pub account: ChannelAccount,
    /// Whether stored tokens were deleted by this call (`false`: there were none left).
    pub tokens_deleted: bool,
    /// What the platform said to the revoke call.
    pub platform: PlatformRevocation,
    /// Queued sends of the account ended as failed by this call (`None` when the outbox cannot
    /// end them at once; the delivery worker then fails each when it comes due, sending nothing).
    pub sends_failed: Option<u64>,
}

impl Hub {
    /// Disconnects an account of the actor's tenant. Requires [`Action::ManageChannels`].
    ///
    /// In order: the account is marked [`ChannelAccountState::Disconnected`] (its webhooks are
    /// refused and no new send or retry of it is attempted from now on); its tokens are deleted
    /// from the token store; its queued sends, retries included, end as failed with the reason
    /// "the account was disconnected"; then the token is revoked at the platform where the
    /// channel can ([`Channel::revoke_tokens`](crate::Channel::revoke_tokens)). A failed revoke
    /// call does not undo the rest: it is reported in [`Disconnection::platform`] and in the
    /// audit trail (`channel.revoke`, failed). Other accounts, on the same platform or others,
    /// are untouched. A send attempt already in flight at the platform may still complete.
    /// Audited as `channel.disconnect`; calling it again on a disconnected account is harmless.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor, id: unibox_core::ChannelAccountId) -> unibox_core::Result<()> {
    /// use unibox_core::hub::PlatformRevocation;
    /// let report = hub.disconnect_account(&admin, id).await?;
    /// if let PlatformRevocation::Failed { reason, .. } = &report.platform {
    ///     eprintln!("revoke the token in the platform's console: {reason}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn disconnect_account(&self, actor: &Actor, account_id: ChannelAccountId) -> Result<Disconnection> {
        const OP: &str = "hub.disconnect_account";
        let target = targets::channel_account(account_id);
        let mut account =
            self.inner.store.accounts.account(actor.tenant(), account_id).await.map_err(|e| e.with_operation(OP))?;
        self.authorize_audited(
            actor,
            Action::ManageChannels,
            Resource::ChannelAccount(&account),
            actions::CHANNEL_DISCONNECT,
            &target,
        )
        .await?;
        let tenant = account.tenant.clone();
        // Read before it is deleted: the platform call needs it, the store must not keep it.
        let tokens = self.inner.store.tokens.get(&tenant, account.id).await;

        account.state = ChannelAccountState::Disconnected;
        let saved = self.inner.store.accounts.save_account(&account).await;
        self.inner.routes.forget(&account);
        let deleted = self.inner.store.tokens.revoke(&tenant, account.id, self.inner.clock.now()).await;
        let sends_failed = self.fail_queued_sends(&account).await;
        self.delivery().changed.notify_waiters();
        self.relay_changed(&tenant);

        let platform = match tokens {
            Ok(Some(tokens)) => self.revoke_at_platform(actor, &account, &tokens).await,
            Ok(None) => PlatformRevocation::NoToken,
            Err(error) => PlatformRevocation::Failed {
                kind: error.kind(),
                reason: format!("the stored token could not be read to revoke it: {}", error.message()),
            },
        };

        let local = saved.and(deleted.map_err(|e| e.with_context("step", "delete tokens")));
        let outcome = match &local {
            Ok(_) => AuditOutcome::Success,
            Err(error) => AuditOutcome::Failed { error: error.kind().as_str().to_string() },
        };
        self.audit_after_the_fact(actor, actions::CHANNEL_DISCONNECT, target, outcome).await;
        let tokens_deleted = local.map_err(|e| e.with_operation(OP))?;
        Ok(Disconnection { account, tokens_deleted, platform, sends_failed })
    }

    /// Ends the account's queued sends as failed; `None` when the outbox cannot (or there is
    /// none): the delivery worker then refuses each job of the disconnected account when due.
    async fn fail_queued_sends(&self, account: &ChannelAccount) -> Option<u64> {
        let outbox = self.inner.store.outbox.as_deref()?;
        let outcome = AttemptOutcome::Failed {
            reason: format!("not sent: the {} account {} was disconnected", account.kind, account.display_name),
            code: None,
            kind: Some(ErrorKind::PlatformRejected),
        };
        match outbox.fail_queued_of_account(&account.tenant, account.id, outcome).await {
            Ok(ended) => Some(ended),
            Err(error) if error.kind() == ErrorKind::Unsupported => None,
            Err(error) => {
                tracing::warn!(target: "unibox::disconnect", %error, account = %account.id, "could not end the queued sends at once; the delivery worker fails them when due");
                None
            }
        }
    }

    async fn revoke_at_platform(
        &self,
        actor: &Actor,
        account: &ChannelAccount,
        tokens: &crate::TokenSet,
    ) -> PlatformRevocation {
        let Some(channel) = self.inner.channels.get(&account.channel) else {
            return PlatformRevocation::Failed {
                kind: ErrorKind::Configuration,
                reason: format!("channel {} is not registered with the hub", account.channel),
            };
        };
        if !channel.capabilities().token_revocation {
            return PlatformRevocation::Unsupported;
        }
        let result = channel.revoke_tokens(account, tokens).await;
        let target = targets::channel_account(account.id);
        let (revocation, outcome) = match result {
            Ok(()) => (PlatformRevocation::Revoked, AuditOutcome::Success),
            Err(error) if error.kind() == ErrorKind::Unsupported => return PlatformRevocation::Unsupported,
            Err(error) => {
                tracing::warn!(target: "unibox::disconnect", %error, account = %account.id, "the platform did not revoke the token; it was deleted locally");
                let outcome = AuditOutcome::Failed { error: error.kind().as_str().to_string() };
                (failed(&error), outcome)
            }
        };
        self.audit_after_the_fact(actor, actions::CHANNEL_REVOKE, format!("{target}:platform"), outcome).await;
        revocation
    }
}

fn failed(error: &Error) -> PlatformRevocation {
    PlatformRevocation::Failed { kind: error.kind(), reason: error.message().to_string() }
}
