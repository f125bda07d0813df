//! The [`CreditLedger`] conformance suite.
//!
//! Every check uses fresh tenants, so all of them can share one ledger. [`run_all`] runs them
//! and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryCreditLedger;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::credits::run_all(&MemoryCreditLedger::new()).await;
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use unibox_core::metering::{CreditChange, CreditEntryKind, CreditLedger, MAX_CREDIT_AMOUNT};
use unibox_core::{ErrorKind, Result, TenantId, Timestamp};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{assert_kind, catch_panic, ok};

fn tenant() -> TenantId {
    let id = unibox_core::ConversationId::new().to_string().replace('-', "");
    fixtures::tenant(&format!("c-{}", &id[20..]))
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_732_147_200 + seconds)
}

/// Purchases, adjustments, debits and refunds move the balance; entries are numbered from 1
/// without gaps, keep what was appended, and page by sequence.
pub async fn entries_record_every_change_and_the_balance(ledger: &dyn CreditLedger) {
    let tenant = tenant();
    assert_eq!(ok(ledger.balance(&tenant).await, "balance of a new tenant"), 0);
    assert!(ok(ledger.entries(&tenant, 0, 10).await, "entries of a new tenant").is_empty());
    let changes = [
        CreditChange::purchase(tenant.clone(), 500, at(1)).reference("invoice-17"),
        CreditChange::debit(tenant.clone(), 3, at(2)).reference("message-1").no_lower_than(0),
        CreditChange::refund(tenant.clone(), 1, at(3)),
        CreditChange::adjustment(tenant.clone(), -100, at(4)).reference("chargeback"),
    ];
    let mut appended = Vec::new();
    for change in changes {
        appended.push(ok(ledger.append(change).await, "append"));
    }
    let balances: Vec<(u64, CreditEntryKind, i64, i64)> =
        appended.iter().map(|e| (e.sequence, e.kind, e.amount, e.balance)).collect();
    assert_eq!(
        balances,
        vec![
            (1, CreditEntryKind::Purchase, 500, 500),
            (2, CreditEntryKind::Debit, -3, 497),
            (3, CreditEntryKind::Refund, 1, 498),
            (4, CreditEntryKind::Adjustment, -100, 398),
        ]
    );
    assert_eq!(ok(ledger.balance(&tenant).await, "balance"), 398);
    let all = ok(ledger.entries(&tenant, 0, 10).await, "entries");
    assert_eq!(all, appended, "entries read back as appended");
    assert_eq!(all[0].reference.as_deref(), Some("invoice-17"));
    assert_eq!(all[1].at, at(2));
    let page = ok(ledger.entries(&tenant, 1, 2).await, "a page");
    assert_eq!(page.iter().map(|e| e.sequence).collect::<Vec<_>>(), vec![2, 3]);
    assert!(ok(ledger.entries(&tenant, 4, 10).await, "after the last").is_empty());
}

/// A debit that would take the balance below its floor is refused with `CreditsExhausted` and
/// appends nothing; an overdraft floor allows exactly that much.
pub async fn a_debit_below_its_floor_is_refused_and_appends_nothing(ledger: &dyn CreditLedger) {
    let tenant = tenant();
    ok(ledger.append(CreditChange::purchase(tenant.clone(), 2, at(1))).await, "buy 2");
    let refused = ledger.append(CreditChange::debit(tenant.clone(), 3, at(2)).no_lower_than(0)).await;
    assert_kind(refused, ErrorKind::CreditsExhausted, "a debit of 3 from 2");
    assert_eq!(ok(ledger.balance(&tenant).await, "balance"), 2);
    assert_eq!(ok(ledger.entries(&tenant, 0, 10).await, "entries").len(), 1, "the refusal appended nothing");
    let overdraft =
        ok(ledger.append(CreditChange::debit(tenant.clone(), 3, at(3)).no_lower_than(-1)).await, "overdraft");
    assert_eq!((overdraft.sequence, overdraft.balance), (2, -1));
    // Without a floor (a send that already happened) a debit applies whatever the balance.
    let settled = ok(ledger.append(CreditChange::debit(tenant.clone(), 5, at(4))).await, "a settled debit");
    assert_eq!(settled.balance, -6);
}

/// Fifty debits of one credit racing for ten credits: exactly ten pass, the rest are refused,
/// and the balance ends at zero, never below.
pub async fn concurrent_debits_never_overdraw_past_the_floor(ledger: &dyn CreditLedger) {
    let tenant = tenant();
    ok(ledger.append(CreditChange::purchase(tenant.clone(), 10, at(0))).await, "buy 10");
    let debits: Vec<Pin<Box<dyn Future<Output = Result<_>> + Send + '_>>> =
        (0..50).map(|n| ledger.append(CreditChange::debit(tenant.clone(), 1, at(n)).no_lower_than(0))).collect();
    let results = join_all(debits).await;
    let passed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(passed, 10, "exactly the ten credits were spent");
    for refused in results.into_iter().filter(|r| r.is_err()) {
        assert_kind(refused, ErrorKind::CreditsExhausted, "a debit past the balance");
    }
    assert_eq!(ok(ledger.balance(&tenant).await, "balance"), 0);
    let entries = ok(ledger.entries(&tenant, 0, 100).await, "entries");
    assert_eq!(entries.len(), 11);
    assert!(entries.iter().all(|e| e.balance >= 0), "no entry left a negative balance");
    assert!(entries.iter().enumerate().all(|(i, e)| e.sequence == i as u64 + 1), "numbered without gaps");
}

/// One tenant's credits are invisible to another and never spent by it.
pub async fn tenants_have_separate_ledgers(ledger: &dyn CreditLedger) {
    let (acme, globex) = (tenant(), tenant());
    ok(ledger.append(CreditChange::purchase(acme.clone(), 7, at(1))).await, "acme buys");
    assert_eq!(ok(ledger.balance(&globex).await, "globex balance"), 0);
    assert!(ok(ledger.entries(&globex, 0, 10).await, "globex entries").is_empty());
    let refused = ledger.append(CreditChange::debit(globex.clone(), 1, at(2)).no_lower_than(0)).await;
    assert_kind(refused, ErrorKind::CreditsExhausted, "globex spends acme's credits");
    let first = ok(ledger.append(CreditChange::purchase(globex.clone(), 1, at(3))).await, "globex buys");
    assert_eq!(first.sequence, 1, "each tenant numbers its own entries");
    assert_eq!(ok(ledger.balance(&acme).await, "acme balance"), 7);
}

/// Malformed changes and page sizes are `InvalidInput`, and append nothing.
pub async fn invalid_changes_are_refused(ledger: &dyn CreditLedger) {
    let tenant = tenant();
    let mut wrong_sign = CreditChange::purchase(tenant.clone(), 1, at(1));
    wrong_sign.amount = -1;
    let too_much = CreditChange::adjustment(tenant.clone(), MAX_CREDIT_AMOUNT + 1, at(1));
    let zero = CreditChange::adjustment(tenant.clone(), 0, at(1));
    let bad_reference = CreditChange::purchase(tenant.clone(), 1, at(1)).reference("line\nbreak");
    let long_reference = CreditChange::purchase(tenant.clone(), 1, at(1)).reference("x".repeat(201));
    for change in [wrong_sign, too_much, zero, bad_reference, long_reference] {
        assert_kind(ledger.append(change).await, ErrorKind::InvalidInput, "an invalid change");
    }
    assert_eq!(ok(ledger.balance(&tenant).await, "balance"), 0);
    assert_kind(ledger.entries(&tenant, 0, 0).await, ErrorKind::InvalidInput, "limit 0");
    assert_kind(ledger.entries(&tenant, 0, 1001).await, ErrorKind::InvalidInput, "limit 1001");
}

type Racing<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Polls every future until all are done (the suite has no async runtime of its own to spawn on).
async fn join_all<T>(futures: Vec<Racing<'_, T>>) -> Vec<T> {
    let mut slots: Vec<(Option<Racing<'_, T>>, Option<T>)> = futures.into_iter().map(|f| (Some(f), None)).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in &mut slots {
            if let Some(running) = future {
                match running.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *output = Some(value);
                        *future = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    slots.into_iter().filter_map(|(_, output)| output).collect()
}

type Check = for<'a> fn(&'a dyn CreditLedger) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("entries_record_every_change_and_the_balance", |l| Box::pin(entries_record_every_change_and_the_balance(l))),
    ("a_debit_below_its_floor_is_refused_and_appends_nothing", |l| {
        Box::pin(a_debit_below_its_floor_is_refused_and_appends_nothing(l))
    }),
    ("concurrent_debits_never_overdraw_past_the_floor", |l| {
        Box::pin(concurrent_debits_never_overdraw_past_the_floor(l))
    }),
    ("tenants_have_separate_ledgers", |l| Box::pin(tenants_have_separate_ledgers(l))),
    ("invalid_changes_are_refused", |l| Box::pin(invalid_changes_are_refused(l))),
];

/// Runs every check against `ledger` and panics with the name and message of each that failed.
pub async fn run_all(ledger: &dyn CreditLedger) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(ledger)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "credit ledger conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
