//! Message credits on the hub: the application records purchases and adjustments, sends spend
//! credits under the [`CreditPolicy`], and a balance falling below the policy's mark is logged
//! on the change log.

use std::sync::Arc;

use crate::audit::{AuditOutcome, actions, targets};
use crate::changes::{Change, ChangeKind};
use crate::hub::Hub;
use crate::metering::{CreditChange, CreditEntry, CreditEntryKind, CreditLedger, CreditPolicy, UsageIncrement};
use crate::{
    Action, Actor, ChannelKind, Content, DeliveryStatus, Error, ErrorKind, MessageId, Resource, Result, TenantId,
};

/// The ledger and the policy a hub spends credits by. No ledger: the hub was told to spend the
/// credits of a store that keeps none, so sends fail instead of going out for free.
#[derive(Debug)]
pub(crate) struct CreditSpending {
    pub(crate) ledger: Option<Arc<dyn CreditLedger>>,
    pub(crate) policy: CreditPolicy,
}

impl CreditSpending {
    fn ledger(&self) -> Result<&Arc<dyn CreditLedger>> {
        self.ledger.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "the hub spends message credits but its store keeps none; give HubBuilder::credit_ledger a ledger",
            )
        })
    }
}

impl Hub {
    /// Records credits the actor's tenant bought ([`CreditEntryKind::Purchase`], positive) or a
    /// correction ([`CreditEntryKind::Adjustment`], either sign; a negative one is applied
    /// whatever the balance). Requires [`Action::ManageSettings`]; audited as
    /// [`actions::CREDITS_PURCHASE`] or [`actions::CREDITS_ADJUST`]. `Unsupported` when the hub
    /// keeps no credits ([`HubBuilder::credits`](crate::hub::HubBuilder::credits)).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use unibox_core::metering::{CreditEntryKind, CreditPolicy, CreditTable, UsageMetric};
    /// use unibox_core::{Actor, Hub, Role, memory::MemoryStore};
    /// let policy = CreditPolicy::new(CreditTable::default().price(UsageMetric::MessagesOut, 1));
    /// let hub = Hub::builder(MemoryStore::new()).credits(policy).build();
    /// let admin = Actor::user("acme".parse().unwrap(), "ops".parse().unwrap(), Role::Admin);
    /// let entry = hub.record_credits(&admin, CreditEntryKind::Purchase, 1_000, Some("invoice-17".into())).await.unwrap();
    /// assert_eq!(entry.balance, 1_000);
    /// assert_eq!(hub.credit_balance(&admin).await.unwrap(), 1_000);
    /// # });
    /// ```
    pub async fn record_credits(
        &self,
        actor: &Actor,
        kind: CreditEntryKind,
        amount: i64,
        reference: Option<String>,
    ) -> Result<CreditEntry> {
        const OP: &str = "hub.record_credits";
        let verb = match kind {
            CreditEntryKind::Purchase => actions::CREDITS_PURCHASE,
            CreditEntryKind::Adjustment => actions::CREDITS_ADJUST,
            CreditEntryKind::Debit | CreditEntryKind::Refund => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "the application records purchases and adjustments; debits and refunds come from sends",
                )
                .with_operation(OP));
            }
        };
        let tenant = actor.tenant();
        let target = targets::credits(tenant);
        self.authorize_audited(actor, Action::ManageSettings, Resource::Tenant, verb, &target)
            .await
            .map_err(|e| e.with_operation(OP))?;
        let spending = self.spending().map_err(|e| e.with_operation(OP))?;
        let change =
            CreditChange { tenant: tenant.clone(), kind, amount, at: self.inner.clock.now(), reference, floor: None };
        let result = match spending.ledger() {
            Ok(ledger) => ledger.append(change).await,
            Err(error) => Err(error),
        };
        let outcome = match &result {
            Ok(_) => AuditOutcome::Success,
            Err(error) => AuditOutcome::Failed { error: error.kind().as_str().to_string() },
        };
        self.audit_after_the_fact(actor, verb, target, outcome).await;
        let entry = result.map_err(|e| e.with_operation(OP))?;
        self.log_low_balance(&spending.policy, &entry).await;
        Ok(entry)
    }

    /// The actor's tenant's credit balance. Requires [`Action::ViewUsage`].
    pub async fn credit_balance(&self, actor: &Actor) -> Result<i64> {
        const OP: &str = "hub.credit_balance";
        self.authorize(actor, Action::ViewUsage, Resource::Tenant).map_err(|e| e.with_operation(OP))?;
        let spending = self.spending().map_err(|e| e.with_operation(OP))?;
        spending
            .ledger()
            .map_err(|e| e.with_operation(OP))?
            .balance(actor.tenant())
            .await
            .map_err(|e| e.with_operation(OP))
    }

    /// The actor's tenant's credit entries after sequence `after`, oldest first, at most `limit`.
    /// Requires [`Action::ViewUsage`].
    pub async fn credit_entries(&self, actor: &Actor, after: u64, limit: usize) -> Result<Vec<CreditEntry>> {
        const OP: &str = "hub.credit_entries";
        self.authorize(actor, Action::ViewUsage, Resource::Tenant).map_err(|e| e.with_operation(OP))?;
        let spending = self.spending().map_err(|e| e.with_operation(OP))?;
        spending
            .ledger()
            .map_err(|e| e.with_operation(OP))?
            .entries(actor.tenant(), after, limit)
            .await
            .map_err(|e| e.with_operation(OP))
    }

    fn spending(&self) -> Result<&CreditSpending> {
        self.inner.credits.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "this hub keeps no message credits (HubBuilder::credits)")
        })
    }

    /// Debits the estimated price of a send before anything of it is recorded; refuses it with
    /// `CreditsExhausted` when the balance cannot pay under the policy's floor. Returns whether a
    /// debit was made.
    pub(crate) async fn reserve_credits(
        &self,
        tenant: &TenantId,
        kind: &ChannelKind,
        content: &Content,
        message: MessageId,
    ) -> Result<bool> {
        let Some(spending) = &self.inner.credits else { return Ok(false) };
        let now = self.inner.clock.now();
        let price = spending.policy.estimate(tenant, kind, content, now);
        if price == 0 {
            return Ok(false);
        }
        let change = CreditChange::debit(tenant.clone(), price, now)
            .reference(message.to_string())
            .no_lower_than(spending.policy.floor);
        let entry = spending.ledger()?.append(change).await?;
        self.log_low_balance(&spending.policy, &entry).await;
        Ok(true)
    }

    /// After the platform accepted a send: debits or refunds the difference between what it
    /// counted (`usage`) and the estimate reserved before it was recorded. The send happened, so
    /// an extra debit is applied whatever the balance; a failure is logged, never the send's.
    pub(crate) async fn settle_credits(
        &self,
        tenant: &TenantId,
        kind: &ChannelKind,
        content: &Content,
        message: MessageId,
        usage: &[UsageIncrement],
    ) {
        let Some(spending) = &self.inner.credits else { return };
        let Some(ledger) = &spending.ledger else { return };
        let now = self.inner.clock.now();
        let reserved = spending.policy.estimate(tenant, kind, content, now);
        let counted = spending.policy.table.credits_of(usage);
        let change = match counted.cmp(&reserved) {
            std::cmp::Ordering::Equal => return,
            std::cmp::Ordering::Greater => CreditChange::debit(tenant.clone(), counted - reserved, now),
            std::cmp::Ordering::Less => CreditChange::refund(tenant.clone(), reserved - counted, now),
        };
        match ledger.append(change.reference(message.to_string())).await {
            Ok(entry) => self.log_low_balance(&spending.policy, &entry).await,
            Err(error) => {
                tracing::error!(target: "unibox::credits", %error, %message, "a sent message's credits were not settled")
            }
        }
    }

    /// Refunds the reservation of a send that did not happen: one never recorded (`NotFound`) or
    /// recorded as failed for good. A send still queued, in flight or unknown keeps it.
    pub(crate) async fn refund_unsent(
        &self,
        tenant: &TenantId,
        kind: &ChannelKind,
        content: &Content,
        message: MessageId,
    ) {
        let Some(spending) = &self.inner.credits else { return };
        let Some(ledger) = &spending.ledger else { return };
        let unsent = match self.inner.inbox.message(tenant, message).await {
            Ok(recorded) => matches!(recorded.delivery, DeliveryStatus::Failed { .. }),
            Err(error) => error.kind() == ErrorKind::NotFound,
        };
        if !unsent {
            return;
        }
        let now = self.inner.clock.now();
        let reserved = spending.policy.estimate(tenant, kind, content, now);
        if reserved == 0 {
            return;
        }
        let change = CreditChange::refund(tenant.clone(), reserved, now).reference(message.to_string());
        if let Err(error) = ledger.append(change).await {
            tracing::error!(target: "unibox::credits", %error, %message, "an unsent message's credits were not refunded");
        }
    }

    /// Refunds the reservation of a job whose send failed for good (see
    /// [`refund_unsent`](Hub::refund_unsent)).
    pub(crate) async fn refund_failed_job(&self, job: &crate::outbox::OutboxJob) {
        if self.inner.credits.is_none() {
            return;
        }
        let inbox = &self.inner.inbox;
        let (Ok(message), Ok(account)) =
            (inbox.message(&job.tenant, job.message).await, inbox.account(&job.tenant, job.account).await)
        else {
            tracing::error!(target: "unibox::credits", message = %job.message, "a failed send's credits were not refunded: it could not be read");
            return;
        };
        self.refund_unsent(&job.tenant, &account.kind, &message.content, job.message).await;
    }

    /// Appends a low-balance change when `entry` took the balance below the policy's mark.
    async fn log_low_balance(&self, policy: &CreditPolicy, entry: &CreditEntry) {
        if !policy.crossed_low_balance(entry) {
            return;
        }
        tracing::warn!(target: "unibox::credits", tenant = %entry.tenant, balance = entry.balance, "message credits are low");
        let Some(changes) = self.inner.inbox.changes() else { return };
        let change = Change::new(entry.tenant.clone(), self.inner.clock.now(), ChangeKind::CreditsLow)
            .detail(entry.balance.to_string());
        if let Err(error) = changes.append(vec![change]).await {
            tracing::error!(target: "unibox::credits", %error, tenant = %entry.tenant, "the low-balance change was not logged");
        }
    }
}
