//! The handoff state machine through the hub and the worker, on a SQLite store: an agent's reply
//! during generation wins, no bot reply while a person holds the conversation, assignment takes
//! control, hand-overs leave a note saying why, the reply limit, the audit names the rule and
//! never the content, AI usage is metered, and ingest is unaffected while the provider hangs.

mod common;

use std::time::Duration;

use common::{Provider, World, agent, always_rules, answer, provider_text, tenant};
use serde_json::json;
use unibox_ai::{AutoReplyOutcome, AutoReplyWorker};
use unibox_core::ai::{Control, HandoffReason};
use unibox_core::audit::AuditQuery;
use unibox_core::inbox::prelude::*;
use unibox_core::metering::{UsageDay, UsageMeter, UsageMetric, UsageQuery};
use unibox_core::{Author, Content, Direction, ErrorKind, Timestamp};
use unibox_testkit::http::ScriptedResponse;

fn worker(world: &World, rules: serde_json::Value) -> AutoReplyWorker {
    AutoReplyWorker::new(world.hub.clone(), tenant(), world.responder.clone(), world.rules(rules)).unwrap()
}

#[tokio::test]
async fn the_bot_answers_through_the_hub_and_the_audit_names_the_rule_not_the_content() {
    for kind in [Provider::OpenAi, Provider::Anthropic] {
        let world = World::new(kind).await;
        world.provider.enqueue(provider_text(kind, &answer("REPLY-7731 Your order ships today.", 0.9)));
        assert_eq!(world.customer_writes("cust-1", "Hi, where is my order?").await, 200);
        let conversation = world.conversation().await;
        let outcome = worker(&world, always_rules()).handle(world.newest_message(&conversation).await).await.unwrap();
        let AutoReplyOutcome::Replied { rule, message } = outcome else { panic!("{kind:?}: {outcome:?}") };
        assert_eq!(rule, "always");

        let sent = world.inbox.message(&tenant(), message).await.unwrap();
        assert_eq!(sent.author, Author::Bot("unibox-ai:always".into()));
        assert_eq!(sent.content, Content::text("REPLY-7731 Your order ships today."));
        let outbound = world.receiver.requests();
        assert_eq!(outbound.len(), 1, "{kind:?}: sent once, through the channel");
        assert_eq!(outbound[0].json().unwrap()["content"]["text"], "REPLY-7731 Your order ships today.");

        let state = world.hub.control_state(&agent(), conversation.id).await.unwrap();
        assert_eq!((state.control, state.bot_replies), (Control::Bot, 1));

        let trail = world.hub.audit_trail().unwrap();
        let records = trail.query(&tenant(), &AuditQuery::new().action("auto_reply.triggered")).await.unwrap().items;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].record.actor.to_string(), "automation unibox-ai:always");
        assert_eq!(records[0].record.target, format!("conversation:{}", conversation.id));
        let everything = trail.query(&tenant(), &AuditQuery::new().limit(200)).await.unwrap().items;
        let serialized = serde_json::to_string(&everything.iter().map(|r| &r.record).collect::<Vec<_>>()).unwrap();
        assert!(!serialized.contains("REPLY-7731"), "the audit trail never holds content");
        assert!(trail.verify(&tenant()).await.unwrap().is_intact());

        let day = UsageDay::of(Timestamp::now());
        let usage = world.inbox.usage(&tenant(), &UsageQuery::days(day, day.next()).channel(None)).await.unwrap();
        let count = |metric| usage.iter().find(|c| c.metric == metric).map_or(0, |c| c.quantity);
        assert_eq!(count(UsageMetric::AiCalls), 1, "{kind:?}");
        assert!(count(UsageMetric::AiInputTokens) > 0 && count(UsageMetric::AiOutputTokens) > 0);
    }
}

#[tokio::test]
async fn an_agent_reply_that_lands_while_the_model_generates_wins() {
    let world = World::new(Provider::OpenAi).await;
    // The model takes a while; the agent answers meanwhile.
    world
        .provider
        .enqueue(common::openai_text(&answer("LATE-BOT-REPLY-1189", 0.95)).delayed(Duration::from_millis(800)));
    world.customer_writes("cust-1", "Is the blue kettle in stock?").await;
    let conversation = world.conversation().await;
    let message = world.newest_message(&conversation).await;
    let worker = worker(&world, always_rules());
    let generating = tokio::spawn(async move { worker.handle(message).await });
    while world.provider.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    world.hub.send(&agent(), conversation.id, Content::text("Yes, 4 left!")).await.unwrap();
    assert_eq!(generating.await.unwrap().unwrap(), AutoReplyOutcome::PersonTookOver);

    let messages = world.hub.messages(&agent(), conversation.id, &Default::default()).await.unwrap().items;
    let outbound: Vec<_> = messages.iter().filter(|m| m.direction == Direction::Outbound).collect();
    assert_eq!(outbound.len(), 1, "only the agent's reply is recorded");
    assert_eq!(outbound[0].content, Content::text("Yes, 4 left!"));
    assert_eq!(world.receiver.request_count(), 1);
    let state = world.hub.control_state(&agent(), conversation.id).await.unwrap();
    assert_eq!(state.control, Control::Human);
    assert_eq!(state.reason, Some(HandoffReason::AgentReplied));
}

#[tokio::test]
async fn no_bot_reply_while_a_person_holds_the_conversation() {
    let world = World::new(Provider::Anthropic).await;
    world.customer_writes("cust-1", "Hello").await;
    let conversation = world.conversation().await;
    world.hub.send(&agent(), conversation.id, Content::text("Hi, Bob here.")).await.unwrap();
    world.customer_writes("cust-1", "Thanks Bob, one more question").await;
    let worker = worker(&world, always_rules());
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::PersonHolds);
    assert_eq!(world.provider.request_count(), 0, "nothing is sent to the provider either");

    // Even a direct call with the version read before the agent replied is refused.
    let bot = unibox_core::Actor::automation(tenant(), "unibox-ai:always");
    let error = world.hub.send_auto_reply(&bot, conversation.id, Content::text("late"), 0).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(world.receiver.request_count(), 1, "only Bob's message went out");

    // The team gives it back: the bot answers again.
    world.hub.release_to_bot(&agent(), conversation.id).await.unwrap();
    world.provider.enqueue(common::anthropic_text(&answer("Sure, what is it?", 0.9)));
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert!(matches!(outcome, AutoReplyOutcome::Replied { .. }), "{outcome:?}");
}

#[tokio::test]
async fn an_assignment_takes_the_conversation_at_once() {
    let world = World::new(Provider::OpenAi).await;
    world.customer_writes("cust-1", "Hello").await;
    let conversation = world.conversation().await;
    let ticket = world.hub.control_state(&agent(), conversation.id).await.unwrap().version;
    let admin = unibox_core::Actor::user(tenant(), "ann".parse().unwrap(), unibox_core::Role::Admin);
    world.hub.assign(&admin, conversation.id, "bob".parse().unwrap()).await.unwrap();
    let state = world.hub.control_state(&agent(), conversation.id).await.unwrap();
    assert_eq!((state.control, state.reason), (Control::Human, Some(HandoffReason::Assigned)));
    let bot = unibox_core::Actor::automation(tenant(), "unibox-ai:always");
    let error = world.hub.send_auto_reply(&bot, conversation.id, Content::text("late"), ticket).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(world.receiver.request_count(), 0);
    let outcome = worker(&world, always_rules()).handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::PersonHolds);
}

async fn note_bodies(world: &World) -> Vec<String> {
    let conversation = world.conversation().await;
    world.inbox.notes(&tenant(), conversation.id).await.unwrap().into_iter().map(|n| n.body).collect()
}

#[tokio::test]
async fn asking_for_a_person_or_a_kept_topic_hands_over_with_a_note_and_no_model_call() {
    let world = World::new(Provider::OpenAi).await;
    world.customer_writes("cust-1", "I want to talk to a real person").await;
    let conversation = world.conversation().await;
    let worker = worker(&world, always_rules());
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::HandedOver(HandoffReason::CustomerAskedForPerson));
    assert_eq!(world.provider.request_count(), 0);
    let notes = note_bodies(&world).await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("asked to talk to a person"), "{notes:?}");
    let note = &world.inbox.notes(&tenant(), conversation.id).await.unwrap()[0];
    assert_eq!(note.author.as_str(), unibox_core::hub::HANDOFF_NOTE_AUTHOR);

    let world = World::new(Provider::OpenAi).await;
    world.customer_writes("cust-2", "ขอคืนเงินค่ะ").await;
    let conversation = world.conversation().await;
    let outcome = self::worker(&world, always_rules()).handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::HandedOver(HandoffReason::Topic("refund".into())));
    assert!(note_bodies(&world).await[0].contains("\"refund\""));
}

#[tokio::test]
async fn a_reply_the_model_is_unsure_of_is_handed_over_not_sent() {
    let world = World::new(Provider::Anthropic).await;
    world.provider.enqueue(common::anthropic_text(&answer("UNSURE-REPLY-5521 maybe Tuesday?", 0.3)));
    world.customer_writes("cust-1", "When does the new model launch?").await;
    let conversation = world.conversation().await;
    let outcome = worker(&world, always_rules()).handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(
        outcome,
        AutoReplyOutcome::HandedOver(HandoffReason::LowConfidence { permille: 300, threshold_permille: 600 })
    );
    assert_eq!(world.receiver.request_count(), 0, "nothing reaches the customer");
    assert!(note_bodies(&world).await[0].contains("0.30 below the rule's 0.60"));
    // The model asking for a person by its signal hands over too.
    let world = World::new(Provider::OpenAi).await;
    world.provider.enqueue(common::openai_text(
        &json!({"reply": "", "confidence": 0.9, "handoff": "customer_asked_for_person"}).to_string(),
    ));
    world.customer_writes("cust-1", "Can someone call me back?").await;
    let conversation = world.conversation().await;
    let outcome = worker(&world, always_rules()).handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::HandedOver(HandoffReason::CustomerAskedForPerson));
}

#[tokio::test]
async fn the_reply_limit_hands_the_next_message_over() {
    let world = World::new(Provider::OpenAi).await;
    let mut rules = always_rules();
    rules["rules"][0]["max_replies"] = json!(1);
    let worker = worker(&world, rules);
    world.provider.enqueue(common::openai_text(&answer("First answer.", 0.9)));
    world.customer_writes("cust-1", "Question one").await;
    let conversation = world.conversation().await;
    assert!(matches!(
        worker.handle(world.newest_message(&conversation).await).await.unwrap(),
        AutoReplyOutcome::Replied { .. }
    ));
    world.customer_writes("cust-1", "Question two").await;
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::HandedOver(HandoffReason::ReplyLimitReached));
    assert_eq!(world.provider.request_count(), 1);
}

#[tokio::test]
async fn a_failing_provider_hands_over_instead_of_leaving_the_customer_unanswered() {
    let world = World::with_config(Provider::Anthropic, |c| c.max_retries(1)).await;
    for _ in 0..2 {
        world.provider.enqueue(ScriptedResponse::json(
            529,
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ));
    }
    world.customer_writes("cust-1", "Hello?").await;
    let conversation = world.conversation().await;
    let outcome = worker(&world, always_rules()).handle(world.newest_message(&conversation).await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::HandedOver(HandoffReason::ProviderUnavailable));
    assert_eq!(world.provider.request_count(), 2);
}

#[tokio::test]
async fn ingest_is_unaffected_while_the_provider_hangs() {
    let world = World::with_config(Provider::OpenAi, |c| c.timeout(Duration::from_secs(60))).await;
    world.provider.set_default(ScriptedResponse::ok().delayed(Duration::from_secs(120)));
    let worker = worker(&world, always_rules());
    let running = worker.spawn(None).await.unwrap();
    assert_eq!(world.customer_writes("cust-1", "First message").await, 200);
    // The worker is now inside a provider call that will not return.
    while world.provider.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for n in 0..5 {
        let status = world.customer_writes(&format!("cust-{}", n + 2), "Another customer").await;
        assert_eq!(status, 200, "webhooks are acknowledged while the provider hangs");
    }
    assert_eq!(world.conversations().await.len(), 6, "and every message is stored");
    assert!(world.provider.request_count() >= 1);
    assert_eq!(world.receiver.request_count(), 0, "no reply was sent");
    running.abort();
}
