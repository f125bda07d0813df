//! Working the inbox through the hub: assignment (manual and automatic), status and snoozes,
//! tags, read markers, canned replies, contacts, and analytics fed by the message paths. Over
//! the in-memory stores, a channel that accepts every send, and a manual clock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::analytics::AnalyticsQuery;
use unibox_core::audit::AuditOutcome;
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest, signature};
use unibox_core::memory::{MemoryAgentRoster, MemoryAuditLog, MemoryInbox, MemoryStore};
use unibox_core::workflow::{Agent, AssignmentStrategy, ContactUpdate, TemplateValues};
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelId, ChannelKind, Content, ContentKind, ContentKinds, ConversationId,
    ConversationStatus, Error, ErrorKind, EventKind, Hub, IdentityKind, InboundEvent, InboundMessage, ManualClock,
    PlatformUser, Policy, Result, Role, RolePolicy, TenantId, Timestamp, UserId,
};

const SECRET: &str = "workflow-test-secret";

/// Webhooks are JSON lists of events behind a shared-secret header; every send is accepted.
#[derive(Debug)]
struct AcceptingChannel {
    capabilities: Capabilities,
}

#[async_trait]
impl Channel for AcceptingChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WEBHOOK
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        let given = request.header("x-test-secret").unwrap_or_default();
        Ok(Verified::new(request, signature::secrets_match(given.as_bytes(), SECRET.as_bytes())?))
    }
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        serde_json::from_slice(request.body()).map_err(|e| Error::new(ErrorKind::MalformedPayload, e.to_string()))
    }
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        Ok(SendReceipt::new(format!("pm-{}", request.message_id)))
    }
}

struct World {
    hub: Hub,
    audit: Arc<MemoryAuditLog>,
    clock: ManualClock,
    tenant: TenantId,
    store: ChannelAccount,
    outlet: ChannelAccount,
}

fn start() -> Timestamp {
    Timestamp::from_unix_seconds(1_732_170_000)
}

fn channel_id() -> ChannelId {
    "acme-api".parse().unwrap()
}

async fn world() -> World {
    world_with(Arc::new(RolePolicy)).await
}

async fn world_with(policy: Arc<dyn Policy>) -> World {
    let inbox = Arc::new(MemoryInbox::new());
    let audit = Arc::new(MemoryAuditLog::new());
    let clock = ManualClock::new(start());
    let capabilities = Capabilities { send: ContentKinds::of(&[ContentKind::Text]), ..Capabilities::default() };
    let hub = Hub::builder(MemoryStore::with_inbox(inbox))
        .channel(channel_id(), Arc::new(AcceptingChannel { capabilities }))
        .audit(audit.clone())
        .roster(Arc::new(MemoryAgentRoster::new()))
        .policy(policy)
        .clock(Arc::new(clock.clone()))
        .build();
    let tenant: TenantId = "acme".parse().unwrap();
    let admin = user(&tenant, "ann", Role::Admin);
    let store = ChannelAccount::new(tenant.clone(), channel_id(), ChannelKind::WEBHOOK, "store-1", start());
    let outlet = ChannelAccount::new(tenant.clone(), channel_id(), ChannelKind::WEBHOOK, "outlet-2", start());
    hub.connect_account(&admin, store.clone(), None).await.unwrap();
    hub.connect_account(&admin, outlet.clone(), None).await.unwrap();
    World { hub, audit, clock, tenant, store, outlet }
}

fn user(tenant: &TenantId, name: &str, role: Role) -> Actor {
    Actor::user(tenant.clone(), name.parse().unwrap(), role)
}

fn id(name: &str) -> UserId {
    name.parse().unwrap()
}

impl World {
    fn admin(&self) -> Actor {
        user(&self.tenant, "ann", Role::Admin)
    }
    fn agent(&self, name: &str) -> Actor {
        user(&self.tenant, name, Role::Agent)
    }
    fn viewer(&self) -> Actor {
        user(&self.tenant, "vic", Role::Viewer)
    }

    /// A customer message on `account`, through the webhook path; returns its conversation.
    async fn customer_writes(&self, account: &str, customer: &str, event: &str, at: Timestamp) -> ConversationId {
        let message = InboundMessage::inbound(
            PlatformUser::new(IdentityKind::External, customer).with_name("Somchai Jaidee"),
            format!("m-{event}"),
            Content::text("สวัสดีค่ะ อยากสั่งซื้อเสื้อสีแดงไซส์ M ค่ะ"),
        );
        let events = [InboundEvent {
            id: event.into(),
            account: account.into(),
            occurred_at: at,
            kind: EventKind::Message(message),
        }];
        let request = WebhookRequest::post(
            "https://inbox.example.com/webhooks/acme-api".parse().unwrap(),
            serde_json::to_vec(&events).unwrap(),
        )
        .with_header("x-test-secret", SECRET);
        let (receipt, _) = self.hub.receive_webhook(&channel_id(), &request).await.unwrap();
        assert_eq!(receipt.events, 1);
        let page = self.hub.conversations(&self.admin(), &Default::default()).await.unwrap();
        let contact = self
            .hub
            .store()
            .reads
            .contact_by_identity(
                &self.tenant,
                &unibox_core::ContactIdentity {
                    account: if account == "store-1" { self.store.id } else { self.outlet.id },
                    kind: IdentityKind::External,
                    value: customer.into(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        page.items.iter().find(|c| c.contact == contact.id).unwrap().id
    }

    fn audited(&self, action: &str) -> Vec<AuditOutcome> {
        self.audit.records(&self.tenant).into_iter().filter(|r| r.action == action).map(|r| r.outcome).collect()
    }
}

#[tokio::test]
async fn assign_transfer_and_unassign_are_guarded_and_audited() {
    let w = world().await;
    let conversation = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let bob = w.agent("bob");

    let assigned = w.hub.assign(&bob, conversation, id("bob")).await.unwrap();
    assert_eq!(assigned.assignee, Some(id("bob")));
    let taken = w.hub.assign(&w.agent("cara"), conversation, id("cara")).await.unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::Conflict, "a worked conversation is transferred, not grabbed");

    let denied = w.hub.transfer(&w.viewer(), conversation, id("vic")).await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    assert!(denied.message().contains("assign_conversation"), "{denied}");

    let transferred = w.hub.transfer(&bob, conversation, id("cara")).await.unwrap();
    assert_eq!(transferred.assignee, Some(id("cara")));
    let unassigned = w.hub.unassign(&bob, conversation).await.unwrap();
    assert_eq!(unassigned.assignee, None);
    let err = w.hub.transfer(&bob, conversation, id("bob")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "nothing to transfer");

    assert_eq!(w.audited("conversation.assign"), vec![AuditOutcome::Success]);
    assert_eq!(w.audited("conversation.unassign"), vec![AuditOutcome::Success]);
    let transfers = w.audited("conversation.transfer");
    assert_eq!(transfers.len(), 2);
    assert!(matches!(transfers[0], AuditOutcome::Denied { .. }), "the viewer's attempt is on record");
    assert_eq!(transfers[1], AuditOutcome::Success);
}

#[tokio::test]
async fn auto_assignment_respects_capacity_availability_and_strategy() {
    let w = world().await;
    let admin = w.admin();
    w.hub.save_agent(&admin, Agent::new(id("ann"), 1)).await.unwrap();
    w.hub.save_agent(&admin, Agent::new(id("bob"), 2)).await.unwrap();
    w.hub.save_agent(&admin, Agent::new(id("cara"), 5).on_accounts([w.outlet.id])).await.unwrap();
    let mut dan = Agent::new(id("dan"), 5);
    dan.available = false;
    w.hub.save_agent(&admin, dan).await.unwrap();
    let automation = Actor::automation(w.tenant.clone(), "auto-assign");

    let mut chosen = Vec::new();
    for n in 0..4 {
        let conversation = w.customer_writes("store-1", &format!("c-{n}"), &format!("e{n}"), start()).await;
        let assigned = w.hub.auto_assign(&automation, conversation, AssignmentStrategy::RoundRobin).await.unwrap();
        chosen.push((conversation, assigned.and_then(|c| c.assignee).map(|u| u.to_string())));
    }
    let names: Vec<_> = chosen.iter().map(|(_, name)| name.as_deref()).collect();
    // ann takes one, bob two; cara works only the outlet and dan is away: the fourth waits.
    assert_eq!(names, vec![Some("ann"), Some("bob"), Some("bob"), None]);

    let busy = w.hub.auto_assign(&automation, chosen[0].0, AssignmentStrategy::LeastOpen).await.unwrap_err();
    assert_eq!(busy.kind(), ErrorKind::Conflict, "already assigned");

    // ann resolves hers: she has room again, and has the fewest open conversations.
    w.hub.resolve(&w.agent("ann"), chosen[0].0).await.unwrap();
    let waiting = chosen[3].0;
    let assigned = w.hub.auto_assign(&automation, waiting, AssignmentStrategy::LeastOpen).await.unwrap().unwrap();
    assert_eq!(assigned.assignee, Some(id("ann")));

    // An agent sets their own availability; someone else's needs the manage_members permission.
    let away = w.hub.set_availability(&w.agent("bob"), &id("bob"), false).await.unwrap();
    assert!(!away.available);
    let err = w.hub.set_availability(&w.agent("bob"), &id("ann"), false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let err = w.hub.save_agent(&w.agent("bob"), Agent::new(id("bob"), 50)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(w.audited("conversation.auto_assign").len(), 4, "every automatic assignment, none for the refusals");
}

#[tokio::test]
async fn waiting_conversations_are_auto_assigned_longest_waiting_first() {
    let w = world().await;
    let admin = w.admin();
    w.hub.save_agent(&admin, Agent::new(id("ann"), 2)).await.unwrap();
    let mut conversations = Vec::new();
    for n in 0..3 {
        let at = start().saturating_add(Duration::from_secs(n * 60));
        conversations.push(w.customer_writes("store-1", &format!("c-{n}"), &format!("e{n}"), at).await);
    }
    let automation = Actor::automation(w.tenant.clone(), "auto-assign");
    let assigned = w.hub.auto_assign_waiting(&automation, AssignmentStrategy::LeastOpen).await.unwrap();
    let ids: Vec<_> = assigned.iter().map(|c| c.id).collect();
    assert_eq!(ids, conversations[..2].to_vec(), "ann's capacity of two goes to the two who waited longest");
    let left = w.hub.conversation(&admin, conversations[2]).await.unwrap();
    assert_eq!(left.assignee, None);
}

#[tokio::test]
async fn statuses_move_snoozes_wake_and_customers_reopen() {
    let w = world().await;
    let conversation = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let bob = w.agent("bob");

    assert_eq!(
        w.hub.set_status(&bob, conversation, ConversationStatus::Pending).await.unwrap().status,
        ConversationStatus::Pending
    );
    let err = w.hub.set_status(&bob, conversation, ConversationStatus::Snoozed).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "a snooze needs a time");
    let err = w.hub.snooze(&bob, conversation, start()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "a snooze ends in the future");
    let until = start().saturating_add(Duration::from_secs(3600));
    let snoozed = w.hub.snooze(&bob, conversation, until).await.unwrap();
    assert_eq!((snoozed.status, snoozed.snoozed_until), (ConversationStatus::Snoozed, Some(until)));

    w.clock.advance(Duration::from_secs(1800));
    assert!(w.hub.wake_snoozed(&bob).await.unwrap().is_empty(), "not yet");
    w.clock.advance(Duration::from_secs(1800));
    let woken = w.hub.wake_snoozed(&bob).await.unwrap();
    assert_eq!(
        woken.iter().map(|c| (c.id, c.status)).collect::<Vec<_>>(),
        vec![(conversation, ConversationStatus::Open)]
    );

    let resolved = w.hub.resolve(&bob, conversation).await.unwrap();
    assert_eq!(resolved.status, ConversationStatus::Resolved);
    let err = w.hub.resolve(&w.viewer(), conversation).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    w.customer_writes("store-1", "c-1", "e2", start().saturating_add(Duration::from_secs(4000))).await;
    let reopened = w.hub.conversation(&bob, conversation).await.unwrap();
    assert_eq!(reopened.status, ConversationStatus::Open, "a new customer message reopens it");
    // Pending, snoozed, open (woken), resolved: one audit record each.
    assert_eq!(w.audited("conversation.status").iter().filter(|o| **o == AuditOutcome::Success).count(), 4);
}

#[tokio::test]
async fn tags_are_added_and_removed_once() {
    let w = world().await;
    let conversation = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let bob = w.agent("bob");
    let tagged = w.hub.add_tags(&bob, conversation, ["vip", "refund", "vip"]).await.unwrap();
    assert_eq!(tagged.tags, vec!["refund", "vip"]);
    let again = w.hub.add_tags(&bob, conversation, [" vip "]).await.unwrap();
    assert_eq!(again.tags, vec!["refund", "vip"]);
    let removed = w.hub.remove_tags(&bob, conversation, ["refund", "missing"]).await.unwrap();
    assert_eq!(removed.tags, vec!["vip"]);
    let err = w.hub.add_tags(&bob, conversation, ["x".repeat(65)]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(w.audited("conversation.tags").len(), 2, "no-op changes are not announced");
}

#[tokio::test]
async fn read_markers_are_per_agent() {
    let w = world().await;
    let conversation = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let (bob, cara) = (w.agent("bob"), w.agent("cara"));
    let state = w.hub.mark_read(&bob, conversation).await.unwrap();
    assert_eq!((state.unread, state.read_up_to), (0, Some(start())));
    assert_eq!(w.hub.read_states(&cara, &[conversation]).await.unwrap()[0].unread, 1, "cara has not read it");
    assert_eq!(w.hub.conversation(&cara, conversation).await.unwrap().unread_count, 0, "but somebody has");
    let automation = Actor::automation(w.tenant.clone(), "importer");
    assert_eq!(w.hub.mark_read(&automation, conversation).await.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn canned_replies_are_managed_by_admins_and_rendered_for_a_conversation() {
    let w = world().await;
    let conversation = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let body = "สวัสดีค่ะ คุณ{{contact.first_name}} order {{custom.order}} ships today. — {{agent.id}}";
    let err = w.hub.save_canned_reply(&w.agent("bob"), "shipping", body).await.unwrap_err();
    assert!(err.message().contains("manage_canned_replies"), "{err}");
    let saved = w.hub.save_canned_reply(&w.admin(), "shipping", body).await.unwrap();
    assert_eq!(saved.updated_at, start());
    assert_eq!(w.hub.canned_replies(&w.viewer()).await.unwrap(), vec![saved]);

    let values = TemplateValues::new().with("custom.order", "#1042");
    let text = w.hub.render_canned_reply(&w.agent("bob"), conversation, "shipping", &values).await.unwrap();
    assert_eq!(text, "สวัสดีค่ะ คุณSomchai order #1042 ships today. — bob");
    let missing = w.hub.render_canned_reply(&w.agent("bob"), conversation, "shipping", &TemplateValues::new()).await;
    assert!(missing.unwrap_err().message().contains("custom.order"));
    let viewer = w.hub.render_canned_reply(&w.viewer(), conversation, "shipping", &values).await.unwrap_err();
    assert_eq!(viewer.kind(), ErrorKind::PermissionDenied, "viewers never send");
    let spoofed = TemplateValues::new().with("custom.order", "#1").with("agent.id", "someone-else");
    let err = w.hub.render_canned_reply(&w.agent("bob"), conversation, "shipping", &spoofed).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    w.hub.delete_canned_reply(&w.admin(), "shipping").await.unwrap();
    assert!(w.hub.canned_replies(&w.admin()).await.unwrap().is_empty());
}

#[tokio::test]
async fn contacts_are_edited_and_merged_across_accounts() {
    let w = world().await;
    let on_store = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let on_outlet = w.customer_writes("outlet-2", "c-77", "e2", start()).await;
    let bob = w.agent("bob");
    let keep = w.hub.conversation(&bob, on_store).await.unwrap().contact;
    let duplicate = w.hub.conversation(&bob, on_outlet).await.unwrap().contact;

    let update = ContactUpdate::new().attribute("phone", "+66812345678");
    let err = w.hub.update_contact(&w.viewer(), keep, &update).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let profile = w.hub.update_contact(&bob, keep, &update).await.unwrap();
    assert_eq!(profile.attributes["phone"], "+66812345678");

    let merged = w.hub.merge_contacts(&bob, keep, duplicate).await.unwrap();
    assert_eq!(merged.contact.identities.len(), 2);
    assert_eq!(w.hub.conversation(&bob, on_outlet).await.unwrap().contact, keep);
    assert_eq!(w.hub.contact_profile(&bob, duplicate).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(w.audited("contact.merge"), vec![AuditOutcome::Success]);
}

#[tokio::test]
async fn analytics_follow_webhooks_replies_assignment_and_resolution() {
    let w = world().await;
    let conversation = w.customer_writes("store-1", "c-1", "e1", start()).await;
    let bob = w.agent("bob");
    w.clock.advance(Duration::from_secs(10));
    w.hub.assign(&bob, conversation, id("bob")).await.unwrap();
    w.clock.advance(Duration::from_secs(80));
    let reply = w.hub.send(&bob, conversation, Content::text("ได้เลยค่ะ")).await.unwrap();
    assert_eq!(reply.sent_at, start().saturating_add(Duration::from_secs(90)));
    w.clock.advance(Duration::from_secs(30));
    w.hub.resolve(&bob, conversation).await.unwrap();
    // A redelivered webhook is a duplicate: not counted twice.
    w.customer_writes("store-1", "c-1", "e1", start()).await;

    let day = AnalyticsQuery::new(start(), start().saturating_add(Duration::from_secs(3600)));
    let report = w.hub.analytics(&w.viewer(), &day).await.unwrap();
    assert_eq!((report.totals.messages_in, report.totals.messages_out), (1, 1));
    assert_eq!(report.totals.first_response.average, Some(Duration::from_secs(90)));
    assert_eq!(report.totals.resolution.average, Some(Duration::from_secs(120)));
    let bobs = report.by_agent.iter().find(|(agent, _)| agent.as_ref() == Some(&id("bob"))).unwrap();
    assert_eq!((bobs.1.messages_out, bobs.1.first_response.count, bobs.1.resolution.count), (1, 1, 1));
    let automation = Actor::automation(w.tenant.clone(), "exporter");
    let err = w.hub.analytics(&automation, &day).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn listings_and_search_show_only_what_the_actor_may_see() {
    use unibox_core::inbox::SearchQuery;
    use unibox_core::policy::{AccountScope, MemberRules, TeamPolicy};
    let policy = Arc::new(TeamPolicy::new());
    let w = world_with(policy.clone()).await;
    policy.set_member(&w.tenant, id("nok"), MemberRules::new(Role::Agent).scope(AccountScope::accounts([w.store.id])));
    let on_store = w.customer_writes("store-1", "c-1", "e1", start()).await;
    w.customer_writes("outlet-2", "c-2", "e2", start()).await;

    let nok = w.agent("nok");
    let listed = w.hub.conversations(&nok, &Default::default()).await.unwrap();
    assert_eq!(listed.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![on_store], "only the store's");
    assert_eq!(w.hub.conversations(&w.admin(), &Default::default()).await.unwrap().items.len(), 2);
    let found = w.hub.search(&nok, &SearchQuery::new("สวัสดี")).await.unwrap();
    assert_eq!(found.items.iter().map(|m| m.conversation).collect::<Vec<_>>(), vec![on_store]);
    assert_eq!(w.hub.search(&w.admin(), &SearchQuery::new("สวัสดี")).await.unwrap().items.len(), 2);
}
