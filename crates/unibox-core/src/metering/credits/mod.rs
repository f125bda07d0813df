//! Message credits, as chat-commerce products sell them: a per-tenant, append-only
//! [`CreditLedger`] (purchases and adjustments recorded by the application, debits from metered
//! usage priced by a [`CreditTable`]), and the [`CreditPolicy`] a hub spends them by.

mod ledger;
mod policy;
mod table;

pub use ledger::{
    CreditChange, CreditEntry, CreditEntryKind, CreditLedger, MAX_CREDIT_AMOUNT, MAX_CREDIT_ENTRIES,
    MAX_CREDIT_REFERENCE, check_entries_limit, credits_exhausted,
};
pub use policy::CreditPolicy;
pub use table::CreditTable;
