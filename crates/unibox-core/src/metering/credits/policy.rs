//! [`CreditPolicy`]: how the hub spends message credits on sends.

use serde::{Deserialize, Serialize};

use crate::metering::{CreditEntry, CreditTable, usage_of_send};
use crate::{ChannelKind, Content, TenantId, Timestamp};

/// How a hub built with [`HubBuilder::credits`](crate::hub::HubBuilder::credits) spends credits:
/// the price of each metric, the lowest balance a send may leave (0: no overdraft), and the
/// balance below which a low-balance change ([`ChangeKind::CreditsLow`](crate::changes::ChangeKind::CreditsLow))
/// is logged.
///
/// Before a send is recorded, the hub debits its estimated price (every send priced as if it
/// were a LINE push, the dearest case) with the floor: when the balance cannot pay, the send is
/// refused with [`ErrorKind::CreditsExhausted`](crate::ErrorKind::CreditsExhausted) and nothing is
/// recorded. When the platform accepted it, the difference to the price of what it actually
/// counted (a reply token used, SMS segments reported) is debited or refunded; a send that
/// failed for good is refunded.
///
/// ```
/// use unibox_core::metering::{CreditPolicy, CreditTable, UsageMetric};
/// let policy: CreditPolicy = serde_json::from_str(
///     r#"{"table": {"credits": {"messages_out": 1, "sms_segments": 1}}, "floor": 0, "low_balance": 100}"#,
/// ).unwrap();
/// assert_eq!(policy, CreditPolicy::new(CreditTable::default().price(UsageMetric::MessagesOut, 1).price(UsageMetric::SmsSegments, 1)).low_balance(100));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditPolicy {
    /// The price of each metric.
    pub table: CreditTable,
    /// The lowest balance a send may leave: 0 refuses a send the balance cannot pay, a negative
    /// number allows that much overdraft.
    #[serde(default)]
    pub floor: i64,
    /// A change taking the balance from this or more to below it logs a low-balance change.
    #[serde(default)]
    pub low_balance: Option<i64>,
}

impl CreditPolicy {
    /// Prices from `table`, no overdraft, no low-balance change.
    pub fn new(table: CreditTable) -> Self {
        CreditPolicy { table, floor: 0, low_balance: None }
    }

    /// Allows sends to take the balance down to `-credits`.
    pub fn overdraft(mut self, credits: u64) -> Self {
        self.floor = i64::try_from(credits).unwrap_or(i64::MAX).saturating_neg();
        self
    }

    /// Logs a low-balance change when the balance falls below `credits`.
    pub fn low_balance(mut self, credits: i64) -> Self {
        self.low_balance = Some(credits);
        self
    }

    /// The credits debited before a send of `content` on a `kind` channel is recorded: its
    /// usage as a push (a reply token is known to be used only after the send).
    ///
    /// ```
    /// use unibox_core::metering::{CreditPolicy, CreditTable, UsageMetric};
    /// use unibox_core::{ChannelKind, Content, Timestamp};
    /// let policy = CreditPolicy::new(CreditTable::default().price(UsageMetric::MessagesOut, 1).price(UsageMetric::LinePush, 2));
    /// let tenant = "acme".parse().unwrap();
    /// assert_eq!(policy.estimate(&tenant, &ChannelKind::LINE, &Content::text("hi"), Timestamp::UNIX_EPOCH), 3);
    /// assert_eq!(policy.estimate(&tenant, &ChannelKind::TELEGRAM, &Content::text("hi"), Timestamp::UNIX_EPOCH), 1);
    /// ```
    pub fn estimate(&self, tenant: &TenantId, kind: &ChannelKind, content: &Content, at: Timestamp) -> u64 {
        self.table.credits_of(&usage_of_send(tenant, kind, content, false, at))
    }

    /// Whether `entry` took the balance below the low-balance mark.
    ///
    /// ```
    /// use unibox_core::metering::{CreditChange, CreditPolicy};
    /// use unibox_core::Timestamp;
    /// let policy = CreditPolicy::default().low_balance(10);
    /// let bought = CreditChange::purchase("acme".parse().unwrap(), 10, Timestamp::UNIX_EPOCH).next_entry(None).unwrap();
    /// assert!(!policy.crossed_low_balance(&bought));
    /// let spent = CreditChange::debit("acme".parse().unwrap(), 1, Timestamp::UNIX_EPOCH).next_entry(Some(&bought)).unwrap();
    /// assert!(policy.crossed_low_balance(&spent));
    /// ```
    pub fn crossed_low_balance(&self, entry: &CreditEntry) -> bool {
        self.low_balance.is_some_and(|mark| entry.balance_before() >= mark && entry.balance < mark)
    }
}
