//! The durable send queue ([`Outbox`]) and the change log ([`ChangeLog`]) of an inbox.
//!
//! The harness runs these checks only when the store has the part (`StoreCapabilities::outbox`,
//! `StoreCapabilities::change_log`); called directly on a store without it, a check returns at once.

use std::time::Duration;

use unibox_core::changes::{ChangeKind, Position};
use unibox_core::inbox::ConversationUpdate;
use unibox_core::outbox::{AttemptOutcome, EnqueueOptions, JobState, Lease, LeaseId, Outbox, OutboxJob, Resolution};
use unibox_core::store::Store;
use unibox_core::{
    ConversationId, ConversationStatus, DeliveryStatus, ErrorKind, InternalNote, Message, NoteId, TenantId, Timestamp,
};

use super::support::{all_messages, assert_kind, ingest, ok, tenant_with_account, text_in_conversation};
use crate::fixtures::{self, THAI_ORDER_TEXT, at};

/// A tenant with a LINE account and one conversation.
async fn conversation(store: &Store, tenant: &str) -> (TenantId, ConversationId) {
    let (tenant, _, events) = tenant_with_account(store, tenant, fixtures::line_account).await;
    let conversation =
        text_in_conversation(store, &events, &fixtures::line_user(), "m-in", THAI_ORDER_TEXT, at(0)).await;
    (tenant, conversation)
}

async fn enqueue(
    outbox: &dyn Outbox,
    tenant: &TenantId,
    conversation: ConversationId,
    text: &str,
    options: EnqueueOptions,
    now: Timestamp,
) -> (Message, OutboxJob) {
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), text, now);
    ok(outbox.enqueue(tenant, draft, options, now).await, "enqueue")
}

fn lease(until: Timestamp) -> Lease {
    Lease::until(until)
}

/// Enqueuing records the message as queued and its job, due at once; enqueuing the same draft
/// again returns both unchanged.
pub async fn enqueue_records_the_message_and_its_job(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), "ได้เลยค่ะ", at(60));
    let options = EnqueueOptions::new().human_agent(true);
    let (message, job) = ok(outbox.enqueue(&tenant, draft.clone(), options, at(60)).await, "enqueue");
    check_eq!(message.id, draft.id);
    check_eq!(message.delivery, DeliveryStatus::Queued);
    check_eq!(message.platform_message_id, None);
    check_eq!((job.tenant.clone(), job.message, job.conversation), (tenant.clone(), message.id, conversation));
    check_eq!(job.account, message.account);
    check_eq!((job.state, job.attempts, job.due_at), (JobState::Queued, 0, at(60)));
    check!(job.human_agent);
    check_eq!(job.lease, None);
    check_eq!(ok(outbox.job(&tenant, message.id).await, "job"), job.clone());
    check_eq!(ok(store.reads.message(&tenant, message.id).await, "message"), message.clone());

    let (again, same_job) = ok(outbox.enqueue(&tenant, draft, options, at(90)).await, "enqueue again");
    check_eq!(again, message, "the draft id is the idempotency key");
    check_eq!(same_job, job, "no second job");
    check_eq!(all_messages(store, &tenant, conversation).await.len(), 2, "the inbound message and one reply");
}

/// A claim leases due jobs, earliest first, to one claimer; a job held by a live lease (or
/// enqueued already leased) is not claimed again until the lease runs out.
pub async fn claims_lease_due_jobs_to_one_claimer(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let (first, _) = enqueue(outbox, &tenant, conversation, "one", EnqueueOptions::new(), at(10)).await;
    let (second, _) = enqueue(outbox, &tenant, conversation, "two", EnqueueOptions::new(), at(11)).await;
    let held = lease(at(100));
    let (third, job) =
        enqueue(outbox, &tenant, conversation, "three", EnqueueOptions::new().leased(held), at(12)).await;
    check_eq!(job.lease, Some(held), "enqueued already held by the caller");

    check!(ok(outbox.claim(at(5), lease(at(65)), 10).await, "claim").is_empty(), "nothing is due before at(10)");
    let a = lease(at(70));
    let claimed = ok(outbox.claim(at(20), a, 1).await, "claim");
    check_eq!(claimed.iter().map(|j| j.message).collect::<Vec<_>>(), vec![first.id], "earliest due first");
    check_eq!(claimed[0].lease, Some(a));
    let b = lease(at(80));
    let claimed = ok(outbox.claim(at(20), b, 10).await, "claim");
    check_eq!(claimed.iter().map(|j| j.message).collect::<Vec<_>>(), vec![second.id], "held jobs are skipped");
    check!(ok(outbox.claim(at(20), lease(at(90)), 10).await, "claim").is_empty());

    // Every lease has run out at 100: all three are claimable again.
    let c = lease(at(200));
    let mut again: Vec<_> = ok(outbox.claim(at(100), c, 10).await, "claim").iter().map(|j| j.message).collect();
    again.sort();
    let mut expected = vec![first.id, second.id, third.id];
    expected.sort();
    check_eq!(again, expected, "expired leases release their jobs");
    assert_kind(outbox.claim(at(100), lease(at(200)), 0).await, ErrorKind::InvalidInput, "a claim of 0 jobs");
}

/// An attempt moves the message to `Sending`; the platform's acceptance makes it `Sent` with the
/// platform's id, and the job is done.
pub async fn an_accepted_attempt_marks_the_message_sent(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let held = lease(at(100));
    let (message, _) =
        enqueue(outbox, &tenant, conversation, "Your order shipped", EnqueueOptions::new().leased(held), at(10)).await;

    let started = ok(outbox.begin_attempt(&tenant, message.id, held.id).await, "begin_attempt");
    check_eq!((started.state, started.attempts), (JobState::InFlight, 1));
    check_eq!(ok(store.reads.message(&tenant, message.id).await, "message").delivery, DeliveryStatus::Sending);

    let outcome = AttemptOutcome::Sent { platform_message_id: "468789577898262530".into() };
    let (sent, job) = ok(outbox.finish_attempt(&tenant, message.id, held.id, outcome).await, "finish_attempt");
    check_eq!(sent.delivery, DeliveryStatus::Sent);
    check_eq!(sent.platform_message_id.as_deref(), Some("468789577898262530"));
    check_eq!((job.state, job.attempts, job.lease), (JobState::Sent, 1, None));
    check_eq!(ok(store.reads.message(&tenant, message.id).await, "message"), sent);
    assert_kind(outbox.begin_attempt(&tenant, message.id, held.id).await, ErrorKind::Conflict, "attempting a sent job");
    check!(ok(outbox.claim(at(1000), lease(at(2000)), 10).await, "claim").is_empty(), "a sent job is never claimed");
}

/// A retry puts the message back to `Queued` and the job due later; a failure records the reason
/// on the message and the job.
pub async fn retries_requeue_and_failures_keep_the_reason(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let first = lease(at(100));
    let (message, _) =
        enqueue(outbox, &tenant, conversation, "hello", EnqueueOptions::new().leased(first), at(10)).await;
    ok(outbox.begin_attempt(&tenant, message.id, first.id).await, "begin_attempt");
    let retry = AttemptOutcome::Retry { at: at(40), reason: "the platform answered 503".into() };
    let (queued, job) = ok(outbox.finish_attempt(&tenant, message.id, first.id, retry).await, "finish_attempt");
    check_eq!(queued.delivery, DeliveryStatus::Queued, "queued again for the retry");
    check_eq!((job.state, job.attempts, job.due_at, job.lease), (JobState::Queued, 1, at(40), None));
    check_eq!(job.last_error.as_deref(), Some("the platform answered 503"));

    check!(ok(outbox.claim(at(39), lease(at(100)), 10).await, "claim").is_empty(), "not due before at(40)");
    let second = lease(at(140));
    check_eq!(ok(outbox.claim(at(40), second, 10).await, "claim").len(), 1);
    let started = ok(outbox.begin_attempt(&tenant, message.id, second.id).await, "begin_attempt");
    check_eq!(started.attempts, 2);
    let reason = "the customer blocked the account".to_string();
    let (failed, job) = ok(
        outbox.finish_attempt(&tenant, message.id, second.id, AttemptOutcome::failed(reason.clone())).await,
        "finish_attempt",
    );
    check_eq!(failed.delivery, DeliveryStatus::failed(reason.clone()));
    check_eq!((job.state, job.last_error.as_deref()), (JobState::Failed, Some(reason.as_str())));
    let failed_jobs = ok(outbox.jobs(&tenant, JobState::Failed, 10).await, "jobs");
    check_eq!(failed_jobs.iter().map(|j| j.message).collect::<Vec<_>>(), vec![message.id]);
    check!(ok(outbox.jobs(&tenant, JobState::Queued, 10).await, "jobs").is_empty());
}

/// Only the lease holder attempts or reschedules a job; the platform's acceptance is recorded
/// whoever reports it.
pub async fn only_the_lease_holder_attempts_a_job(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let held = lease(at(100));
    let (message, _) = enqueue(outbox, &tenant, conversation, "hi", EnqueueOptions::new().leased(held), at(10)).await;
    let intruder = LeaseId::new();
    assert_kind(outbox.begin_attempt(&tenant, message.id, intruder).await, ErrorKind::Conflict, "another lease");
    ok(outbox.begin_attempt(&tenant, message.id, held.id).await, "begin_attempt");
    let retry = AttemptOutcome::Retry { at: at(20), reason: "throttled".into() };
    assert_kind(
        outbox.finish_attempt(&tenant, message.id, intruder, retry).await,
        ErrorKind::Conflict,
        "rescheduling with another lease",
    );
    let sent = AttemptOutcome::Sent { platform_message_id: "m-out-1".into() };
    let (message, job) = ok(outbox.finish_attempt(&tenant, message.id, intruder, sent).await, "a late Sent");
    check_eq!(message.delivery, DeliveryStatus::Sent, "the platform's answer is the truth");
    check_eq!(job.state, JobState::Sent);
}

/// An attempt whose worker died is claimed again still `InFlight`, so the claimer knows it may
/// have reached the platform; marking it unknown keeps the message `Sending` and stops retries.
pub async fn an_interrupted_attempt_is_claimed_again_in_flight(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let crashed = lease(at(30));
    let (message, _) =
        enqueue(outbox, &tenant, conversation, "hi", EnqueueOptions::new().leased(crashed), at(10)).await;
    ok(outbox.begin_attempt(&tenant, message.id, crashed.id).await, "begin_attempt");
    check!(ok(outbox.claim(at(29), lease(at(90)), 10).await, "claim").is_empty(), "held until at(30)");

    let next = lease(at(90));
    let claimed = ok(outbox.claim(at(30), next, 10).await, "claim");
    check_eq!(claimed.len(), 1);
    check_eq!(
        (claimed[0].state, claimed[0].attempts),
        (JobState::InFlight, 1),
        "the claimer sees the unfinished attempt"
    );
    let unknown = AttemptOutcome::Unknown { reason: "check before resending".into() };
    let (message, job) = ok(outbox.finish_attempt(&tenant, message.id, next.id, unknown).await, "finish_attempt");
    check_eq!(message.delivery, DeliveryStatus::Sending, "nobody knows whether it arrived");
    check_eq!(job.state, JobState::Unknown);
    check_eq!(
        ok(outbox.jobs(&tenant, JobState::Unknown, 10).await, "jobs").iter().map(|j| j.message).collect::<Vec<_>>(),
        vec![message.id]
    );
    check!(ok(outbox.claim(at(1000), lease(at(2000)), 10).await, "claim").is_empty(), "unknown is never retried");
}

/// Another tenant cannot see or touch a tenant's jobs.
pub async fn outbox_jobs_are_tenant_scoped(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (acme, conversation) = conversation(store, "acme").await;
    let held = lease(at(100));
    let (message, _) = enqueue(outbox, &acme, conversation, "hi", EnqueueOptions::new().leased(held), at(10)).await;
    let globex = fixtures::tenant("globex");
    assert_kind(outbox.job(&globex, message.id).await, ErrorKind::NotFound, "another tenant's job");
    assert_kind(outbox.begin_attempt(&globex, message.id, held.id).await, ErrorKind::NotFound, "another tenant's job");
    let draft = fixtures::agent_reply(conversation, &fixtures::user("mallory"), "injected", at(11));
    assert_kind(
        outbox.enqueue(&globex, draft, EnqueueOptions::new(), at(11)).await,
        ErrorKind::NotFound,
        "enqueuing into another tenant's conversation",
    );
    check!(ok(outbox.jobs(&globex, JobState::Queued, 10).await, "jobs").is_empty());
}

/// Every change is logged once, in order, per tenant, and a reader resumes after any position.
pub async fn changes_are_logged_in_order_and_resumable(store: &Store) {
    let Some(changes) = store.changes.as_deref() else { return };
    let (tenant, account, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let (globex, _, globex_events) = tenant_with_account(store, "globex", fixtures::messenger_account).await;
    let start = ok(changes.head(&tenant).await, "head");

    let message = events.text("e-1", &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0));
    let outcomes = ingest(store, vec![message.clone()]).await;
    ingest(store, vec![message]).await;
    let inbound = super::support::stored_message(&outcomes[0]);
    let conversation = ok(store.reads.message(&tenant, inbound).await, "message").conversation;
    ingest(store, vec![globex_events.text("g-1", &fixtures::messenger_user(), "mid.1", "hello", at(1))]).await;
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), "ได้เลยค่ะ", at(5));
    let reply = draft.id;
    ok(store.outbound.record_outbound(&tenant, draft).await, "record_outbound");
    ok(store.outbound.update_delivery(&tenant, reply, DeliveryStatus::Sent, Some("m-out")).await, "update_delivery");
    ingest(store, vec![events.delivery("w-1", &["m-out"], DeliveryStatus::Read, at(7))]).await;
    let note = InternalNote {
        id: NoteId::new(),
        tenant: tenant.clone(),
        conversation,
        author: fixtures::user("agent-7"),
        body: "VIP customer".into(),
        created_at: at(8),
    };
    ok(store.workflow.add_note(&note).await, "add_note");
    let update = ConversationUpdate::new().status(ConversationStatus::Resolved);
    match store.workflow.update_conversation(&tenant, conversation, &update).await {
        Err(error) if error.kind() == ErrorKind::Unsupported => {}
        other => drop(ok(other, "update_conversation")),
    }

    let logged = ok(changes.read(&tenant, start, 100).await, "read");
    let kinds: Vec<ChangeKind> = logged.iter().map(|e| e.change.kind).collect();
    let mut expected = vec![
        ChangeKind::MessageAdded,
        ChangeKind::MessageAdded,
        ChangeKind::DeliveryChanged,
        ChangeKind::DeliveryChanged,
        ChangeKind::NoteAdded,
    ];
    if kinds.len() == expected.len() + 1 {
        expected.push(ChangeKind::ConversationChanged);
    }
    check_eq!(kinds, expected, "one change per change, none for the redelivery or the other tenant");
    check!(logged.iter().all(|e| e.change.tenant == tenant && e.change.conversation == Some(conversation)));
    check_eq!(logged[0].change.message, Some(inbound));
    check_eq!(logged[1].change.message, Some(reply));
    check_eq!(logged[1].change.detail.as_deref(), Some("queued"));
    check_eq!(logged[3].change.message, Some(reply), "the receipt names the message it changed");
    check_eq!(logged[4].change.detail, Some(note.id.to_string()));
    check!(logged.windows(2).all(|w| w[0].position < w[1].position), "positions grow");
    check_eq!(ok(changes.head(&tenant).await, "head"), logged.last().map(|e| e.position).unwrap_or(start));

    let rest = ok(changes.read(&tenant, logged[1].position, 100).await, "read after a position");
    check_eq!(rest, logged[2..].to_vec(), "a reader resumes after the position it handled");
    let page = ok(changes.read(&tenant, start, 2).await, "read a page");
    check_eq!(page, logged[..2].to_vec());
    let other = ok(changes.read(&globex, Position::START, 100).await, "read");
    check_eq!(other.len(), 1, "globex sees its own message only");
    check!(other.iter().all(|e| e.change.tenant == globex));
    assert_kind(changes.read(&tenant, start, 0).await, ErrorKind::InvalidInput, "a read of 0 changes");
    let _ = account;
}

/// Trimming deletes a tenant's old changes; a reader behind the trim is told so instead of
/// silently missing changes.
pub async fn trimmed_changes_are_reported_to_late_readers(store: &Store) {
    let Some(changes) = store.changes.as_deref() else { return };
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let start = ok(changes.head(&tenant).await, "head");
    ingest(store, vec![events.text("e-1", &fixtures::line_user(), "m-1", "first", at(0))]).await;
    let logged = ok(changes.read(&tenant, start, 10).await, "read");
    check_eq!(logged.len(), 1);
    let future = Timestamp::now().saturating_add(Duration::from_secs(3600));
    check_eq!(ok(changes.trim(&tenant, future).await, "trim"), 1, "one change was older than the cut");
    assert_kind(changes.read(&tenant, start, 10).await, ErrorKind::InvalidInput, "reading from before the trim");
    check!(ok(changes.read(&tenant, logged[0].position, 10).await, "read").is_empty(), "reading after it works");
    check!(ok(changes.head(&tenant).await, "head") >= logged[0].position, "the head does not go back");
}

/// A send whose outcome is unknown is resolved by a person: delivered (with the platform's id),
/// resent (queued again, due at once) or abandoned (failed with the reason). Only unknown sends
/// can be resolved.
pub async fn unknown_sends_are_resolved_by_a_person(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    let mut unknown = Vec::new();
    for text in ["one", "two", "three"] {
        let held = lease(at(100));
        let (message, _) =
            enqueue(outbox, &tenant, conversation, text, EnqueueOptions::new().leased(held), at(10)).await;
        ok(outbox.begin_attempt(&tenant, message.id, held.id).await, "begin_attempt");
        let outcome = AttemptOutcome::Unknown { reason: "timed out after sending".into() };
        ok(outbox.finish_attempt(&tenant, message.id, held.id, outcome).await, "finish_attempt");
        unknown.push(message.id);
    }
    let delivered = Resolution::Delivered { platform_message_id: "468789577898262531".into() };
    let (message, job) = ok(outbox.resolve_unknown(&tenant, unknown[0], delivered, at(200)).await, "resolve");
    check_eq!((message.delivery, job.state), (DeliveryStatus::Sent, JobState::Sent));
    check_eq!(message.platform_message_id.as_deref(), Some("468789577898262531"));

    let (message, job) = ok(outbox.resolve_unknown(&tenant, unknown[1], Resolution::Resend, at(200)).await, "resolve");
    check_eq!((message.delivery, job.state, job.due_at), (DeliveryStatus::Queued, JobState::Queued, at(200)));
    let claimed = ok(outbox.claim(at(200), lease(at(300)), 10).await, "claim");
    check_eq!(claimed.iter().map(|j| j.message).collect::<Vec<_>>(), vec![unknown[1]], "a resend is claimed again");

    let abandon = Resolution::Abandon { reason: "the customer already got it by phone".into() };
    let (message, job) = ok(outbox.resolve_unknown(&tenant, unknown[2], abandon, at(200)).await, "resolve");
    check_eq!(message.delivery, DeliveryStatus::failed("the customer already got it by phone"));
    check_eq!(job.state, JobState::Failed);

    assert_kind(
        outbox.resolve_unknown(&tenant, unknown[0], Resolution::Resend, at(300)).await,
        ErrorKind::Conflict,
        "resolving a send that is not unknown",
    );
    assert_kind(
        outbox.resolve_unknown(&fixtures::tenant("globex"), unknown[2], Resolution::Resend, at(300)).await,
        ErrorKind::NotFound,
        "resolving another tenant's send",
    );
}

/// Disconnecting an account ends its queued jobs at once ([`Outbox::fail_queued_of_account`]):
/// due, waiting for a retry, or leased, each job and its message become failed with the reason;
/// an in-flight attempt and another account's jobs are untouched, and another tenant cannot end them; a lease holder of an ended job
/// can no longer attempt it. Skipped for an outbox that answers `Unsupported`.
pub async fn an_accounts_queued_jobs_end_failed_at_once(store: &Store) {
    let Some(outbox) = store.outbox.as_deref() else { return };
    let (tenant, conversation) = conversation(store, "acme").await;
    // The same tenant's Messenger page: its jobs are another account's.
    let (_, _, page_events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let page_conversation =
        text_in_conversation(store, &page_events, &fixtures::messenger_user(), "m-page", "hi", at(1)).await;
    let (due, _) = enqueue(outbox, &tenant, conversation, "due now", EnqueueOptions::new(), at(10)).await;
    let held = lease(at(100));
    let (leased, _) =
        enqueue(outbox, &tenant, conversation, "leased", EnqueueOptions::new().leased(held), at(11)).await;
    let flying = lease(at(100));
    let (in_flight, _) =
        enqueue(outbox, &tenant, conversation, "in flight", EnqueueOptions::new().leased(flying), at(12)).await;
    ok(outbox.begin_attempt(&tenant, in_flight.id, flying.id).await, "begin_attempt");
    let (other, _) = enqueue(outbox, &tenant, page_conversation, "elsewhere", EnqueueOptions::new(), at(13)).await;
    let account = due.account;

    let reason = "not sent: the line account was disconnected";
    let outcome = AttemptOutcome::Failed { reason: reason.into(), code: None, kind: Some(ErrorKind::PlatformRejected) };
    let globex = fixtures::tenant("globex");
    let ended_elsewhere = match outbox.fail_queued_of_account(&globex, account, outcome.clone()).await {
        Err(error) if error.kind() == ErrorKind::Unsupported => return,
        result => ok(result, "fail_queued_of_account"),
    };
    check_eq!(ended_elsewhere, 0, "another tenant cannot end them");
    let ended = ok(outbox.fail_queued_of_account(&tenant, account, outcome.clone()).await, "fail_queued_of_account");
    check_eq!(ended, 2, "the due and the leased job");
    for message in [due.id, leased.id] {
        let job = ok(outbox.job(&tenant, message).await, "job");
        check_eq!((job.state, job.last_error.as_deref(), job.lease), (JobState::Failed, Some(reason), None));
        let stored = ok(store.reads.message(&tenant, message).await, "message");
        check_eq!(stored.delivery, outcome.failed_status().unwrap());
    }
    assert_kind(outbox.begin_attempt(&tenant, leased.id, held.id).await, ErrorKind::Conflict, "attempt an ended job");
    check_eq!(ok(outbox.job(&tenant, in_flight.id).await, "job").state, JobState::InFlight, "left to its attempt");
    check_eq!(ok(outbox.job(&tenant, other.id).await, "job").state, JobState::Queued, "another account's job");
    let not_a_failure = AttemptOutcome::Retry { at: at(50), reason: "later".into() };
    assert_kind(
        outbox.fail_queued_of_account(&tenant, account, not_a_failure).await,
        ErrorKind::InvalidInput,
        "only failures",
    );
    check_eq!(ok(outbox.fail_queued_of_account(&tenant, account, outcome).await, "again"), 0, "nothing left");
}
