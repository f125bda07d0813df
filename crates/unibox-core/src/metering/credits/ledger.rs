//! The [`CreditLedger`] port: a per-tenant, append-only ledger of message credits.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Result, TenantId, Timestamp};

/// The largest amount one entry may move (about 4.6e15 credits), so no sum of entries can
/// overflow a balance before the ledger refuses it.
pub const MAX_CREDIT_AMOUNT: i64 = i64::MAX / 2048;

/// The longest [`CreditChange::reference`], in bytes.
pub const MAX_CREDIT_REFERENCE: usize = 200;

/// The largest page [`CreditLedger::entries`] serves.
pub const MAX_CREDIT_ENTRIES: usize = 1000;

/// Why the balance moved.
///
/// ```
/// use unibox_core::metering::CreditEntryKind;
/// assert_eq!("purchase".parse::<CreditEntryKind>().unwrap(), CreditEntryKind::Purchase);
/// assert_eq!(CreditEntryKind::Debit.as_str(), "debit");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditEntryKind {
    /// Credits the tenant bought (recorded by the application); positive.
    Purchase,
    /// A correction by the application (a goodwill grant, a chargeback); either sign.
    Adjustment,
    /// Credits spent on metered usage (a send, priced by the [`CreditTable`](crate::metering::CreditTable)); negative.
    Debit,
    /// Credits given back for a debit whose send failed for good, or that cost less than reserved; positive.
    Refund,
}

impl CreditEntryKind {
    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CreditEntryKind::Purchase => "purchase",
            CreditEntryKind::Adjustment => "adjustment",
            CreditEntryKind::Debit => "debit",
            CreditEntryKind::Refund => "refund",
        }
    }
}

impl fmt::Display for CreditEntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CreditEntryKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "purchase" => CreditEntryKind::Purchase,
            "adjustment" => CreditEntryKind::Adjustment,
            "debit" => CreditEntryKind::Debit,
            "refund" => CreditEntryKind::Refund,
            other => return Err(Error::new(ErrorKind::InvalidInput, format!("unknown credit entry kind {other:?}"))),
        })
    }
}

/// A change to append to a tenant's ledger: a signed amount, why, and optionally a floor the
/// balance must not fall below (the ledger refuses the change with
/// [`ErrorKind::CreditsExhausted`] instead, atomically with reading the balance).
///
/// ```
/// use unibox_core::metering::{CreditChange, CreditEntryKind};
/// use unibox_core::Timestamp;
/// let tenant = "acme".parse().unwrap();
/// let purchase = CreditChange::purchase(tenant, 500, Timestamp::UNIX_EPOCH).reference("invoice-17");
/// assert_eq!(purchase.amount, 500);
/// assert!(purchase.validate().is_ok());
/// let debit = CreditChange::debit("acme".parse().unwrap(), 2, Timestamp::UNIX_EPOCH).no_lower_than(0);
/// assert_eq!((debit.kind, debit.amount, debit.floor), (CreditEntryKind::Debit, -2, Some(0)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditChange {
    /// Whose ledger.
    pub tenant: TenantId,
    /// Why.
    pub kind: CreditEntryKind,
    /// By how much the balance moves (negative for a debit).
    pub amount: i64,
    /// When.
    pub at: Timestamp,
    /// What it is about: an invoice number, a message id. Not personal data.
    pub reference: Option<String>,
    /// The lowest balance this change may leave; `None` applies it whatever the balance.
    pub floor: Option<i64>,
}

impl CreditChange {
    fn new(tenant: TenantId, kind: CreditEntryKind, amount: i64, at: Timestamp) -> Self {
        CreditChange { tenant, kind, amount, at, reference: None, floor: None }
    }

    /// `credits` bought.
    pub fn purchase(tenant: TenantId, credits: u64, at: Timestamp) -> Self {
        Self::new(tenant, CreditEntryKind::Purchase, saturating_amount(credits), at)
    }

    /// A correction of `amount` (either sign).
    pub fn adjustment(tenant: TenantId, amount: i64, at: Timestamp) -> Self {
        Self::new(tenant, CreditEntryKind::Adjustment, amount, at)
    }

    /// `credits` spent.
    pub fn debit(tenant: TenantId, credits: u64, at: Timestamp) -> Self {
        Self::new(tenant, CreditEntryKind::Debit, saturating_amount(credits).saturating_neg(), at)
    }

    /// `credits` given back.
    pub fn refund(tenant: TenantId, credits: u64, at: Timestamp) -> Self {
        Self::new(tenant, CreditEntryKind::Refund, saturating_amount(credits), at)
    }

    /// Names what the change is about.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Refuses the change if it would leave less than `floor`.
    pub fn no_lower_than(mut self, floor: i64) -> Self {
        self.floor = Some(floor);
        self
    }

    /// Checks the change the way every ledger must: a non-zero amount of at most
    /// [`MAX_CREDIT_AMOUNT`], signed as its kind says, a short printable reference.
    ///
    /// ```
    /// use unibox_core::metering::{CreditChange, CreditEntryKind};
    /// use unibox_core::{ErrorKind, Timestamp};
    /// let mut change = CreditChange::purchase("acme".parse().unwrap(), 5, Timestamp::UNIX_EPOCH);
    /// change.amount = -5;
    /// assert_eq!(change.validate().unwrap_err().kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::new(ErrorKind::InvalidInput, message));
        if self.amount == 0 || self.amount.unsigned_abs() > MAX_CREDIT_AMOUNT.unsigned_abs() {
            return invalid(format!(
                "a credit amount is 1 to {MAX_CREDIT_AMOUNT} credits either way, got {}",
                self.amount
            ));
        }
        let sign_fits = match self.kind {
            CreditEntryKind::Purchase | CreditEntryKind::Refund => self.amount > 0,
            CreditEntryKind::Debit => self.amount < 0,
            CreditEntryKind::Adjustment => true,
        };
        if !sign_fits {
            return invalid(format!("a {} cannot move the balance by {}", self.kind, self.amount));
        }
        if let Some(reference) = &self.reference
            && (reference.is_empty()
                || reference.len() > MAX_CREDIT_REFERENCE
                || reference.chars().any(char::is_control))
        {
            return invalid(format!(
                "a credit reference is 1 to {MAX_CREDIT_REFERENCE} bytes without control characters"
            ));
        }
        Ok(())
    }

    /// The entry this change appends after the tenant's last entry (`None`: the first), or
    /// [`ErrorKind::CreditsExhausted`] if it would leave less than its floor. Ledgers call it
    /// while holding the tenant's ledger (a lock, a write transaction), so they all agree.
    ///
    /// ```
    /// use unibox_core::metering::CreditChange;
    /// use unibox_core::{ErrorKind, Timestamp};
    /// let at = Timestamp::UNIX_EPOCH;
    /// let first = CreditChange::purchase("acme".parse().unwrap(), 3, at).next_entry(None).unwrap();
    /// assert_eq!((first.sequence, first.balance), (1, 3));
    /// let debit = CreditChange::debit("acme".parse().unwrap(), 4, at).no_lower_than(0);
    /// assert_eq!(debit.next_entry(Some(&first)).unwrap_err().kind(), ErrorKind::CreditsExhausted);
    /// ```
    pub fn next_entry(&self, last: Option<&CreditEntry>) -> Result<CreditEntry> {
        self.validate()?;
        let (sequence, balance) = last.map_or((0, 0), |entry| (entry.sequence, entry.balance));
        let new_balance = balance.checked_add(self.amount).ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput, "the credit balance would overflow; record a smaller amount")
        })?;
        if let Some(floor) = self.floor
            && new_balance < floor
            && self.amount < 0
        {
            return Err(credits_exhausted(&self.tenant, balance, self.amount.unsigned_abs(), floor));
        }
        Ok(CreditEntry {
            tenant: self.tenant.clone(),
            sequence: sequence + 1,
            kind: self.kind,
            amount: self.amount,
            balance: new_balance,
            at: self.at,
            reference: self.reference.clone(),
        })
    }
}

fn saturating_amount(credits: u64) -> i64 {
    i64::try_from(credits).unwrap_or(i64::MAX)
}

/// The typed refusal of a change that would take the balance below its floor.
///
/// ```
/// use unibox_core::metering::credits_exhausted;
/// use unibox_core::ErrorKind;
/// let error = credits_exhausted(&"acme".parse().unwrap(), 1, 2, 0);
/// assert_eq!(error.kind(), ErrorKind::CreditsExhausted);
/// assert_eq!(error.kind().http_status(), 402);
/// ```
pub fn credits_exhausted(tenant: &TenantId, balance: i64, needed: u64, floor: i64) -> Error {
    Error::new(
        ErrorKind::CreditsExhausted,
        format!("the tenant has {balance} message credits; this needs {needed} and may leave no less than {floor}"),
    )
    .with_context("tenant", tenant)
}

/// One appended entry: the change and the balance it left. Entries are never updated or
/// deleted; a tenant's entries are numbered 1, 2, 3, ... without gaps.
///
/// ```
/// use unibox_core::metering::{CreditChange, CreditEntryKind};
/// use unibox_core::Timestamp;
/// let entry = CreditChange::purchase("acme".parse().unwrap(), 10, Timestamp::UNIX_EPOCH).next_entry(None).unwrap();
/// assert_eq!((entry.kind, entry.amount, entry.balance), (CreditEntryKind::Purchase, 10, 10));
/// assert_eq!(entry.balance_before(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    /// Whose ledger.
    pub tenant: TenantId,
    /// Its number in the tenant's ledger, from 1.
    pub sequence: u64,
    /// Why.
    pub kind: CreditEntryKind,
    /// By how much the balance moved.
    pub amount: i64,
    /// The balance after it.
    pub balance: i64,
    /// When.
    pub at: Timestamp,
    /// What it is about.
    pub reference: Option<String>,
}

impl CreditEntry {
    /// The balance before it.
    pub fn balance_before(&self) -> i64 {
        self.balance - self.amount
    }
}

/// Where message credits are kept: an append-only ledger per tenant. `append` reads the
/// tenant's balance and appends in one atomic step, so concurrent debits with a floor never take
/// the balance below it; it is durable when it returns. Every query is tenant-scoped.
/// `unibox_testkit::credits::ledger_conformance` checks an implementation.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::memory::MemoryCreditLedger;
/// use unibox_core::metering::{CreditChange, CreditLedger};
/// use unibox_core::{ErrorKind, Timestamp};
/// let ledger = MemoryCreditLedger::new();
/// let acme: unibox_core::TenantId = "acme".parse().unwrap();
/// ledger.append(CreditChange::purchase(acme.clone(), 1, Timestamp::UNIX_EPOCH)).await.unwrap();
/// ledger.append(CreditChange::debit(acme.clone(), 1, Timestamp::UNIX_EPOCH).no_lower_than(0)).await.unwrap();
/// let refused = ledger.append(CreditChange::debit(acme.clone(), 1, Timestamp::UNIX_EPOCH).no_lower_than(0)).await;
/// assert_eq!(refused.unwrap_err().kind(), ErrorKind::CreditsExhausted);
/// assert_eq!(ledger.balance(&acme).await.unwrap(), 0);
/// # });
/// ```
#[async_trait]
pub trait CreditLedger: Send + Sync + fmt::Debug + 'static {
    /// Appends `change` ([`CreditChange::next_entry`] decides the entry or the refusal) and
    /// returns the entry. A refused change appends nothing.
    async fn append(&self, change: CreditChange) -> Result<CreditEntry>;

    /// The tenant's balance (0 before any entry).
    async fn balance(&self, tenant: &TenantId) -> Result<i64>;

    /// The tenant's entries with a sequence above `after`, oldest first, at most `limit` (1 to
    /// [`MAX_CREDIT_ENTRIES`]).
    async fn entries(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<CreditEntry>>;
}

/// Checks an entries page size the way every ledger must.
///
/// ```
/// assert!(unibox_core::metering::check_entries_limit(0).is_err());
/// assert!(unibox_core::metering::check_entries_limit(100).is_ok());
/// ```
pub fn check_entries_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_CREDIT_ENTRIES {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("the limit must be 1 to {MAX_CREDIT_ENTRIES}, got {limit}"),
        ));
    }
    Ok(())
}
