//! Nothing of a prompt or a completion is kept except the reply actually sent: after automatic
//! replies, a hand-over, a draft, a summary and labels, a byte scan of every file the SQLite
//! store wrote (database, WAL, inbound journal) finds none of the prompt's or the completions'
//! bytes, nor the provider key; and no request to the provider carried the customer's phone
//! number or e-mail address.

mod common;

use std::sync::Arc;

use common::{OPENAI_KEY, Provider, World, agent, always_rules, answer, occurs, openai_text, store_files, tenant};
use unibox_ai::{Assistant, AutoReplyOutcome, AutoReplyWorker, ContextBuilder, KnowledgeSource};
use unibox_core::TenantId;

#[derive(Debug)]
struct Faq;

#[unibox_core::async_trait]
impl KnowledgeSource for Faq {
    async fn snippets(&self, _tenant: &TenantId, _question: &str) -> unibox_core::Result<Vec<String>> {
        Ok(vec!["KNOWLEDGE-MARKER-2207: orders ship within two days.".into()])
    }
}

#[tokio::test]
async fn no_prompt_or_completion_bytes_are_left_in_the_store_files_except_the_sent_reply() {
    let world = World::new(Provider::OpenAi).await;
    let context = ContextBuilder::new().knowledge(Arc::new(Faq));
    let worker =
        AutoReplyWorker::new(world.hub.clone(), tenant(), world.responder.clone(), world.rules(always_rules()))
            .unwrap()
            .with_context(context.clone());

    // A reply the model is unsure of: handed over, never stored.
    world.provider.enqueue(openai_text(&answer("UNSENT-MARKER-4410 maybe next week", 0.2)));
    world.customer_writes("cust-1", "My number is 081-234-5678, mail somchai@example.co.th. Where is my desk?").await;
    let conversation = world.conversation().await;
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert!(matches!(outcome, AutoReplyOutcome::HandedOver(_)), "{outcome:?}");

    // Given back to the bot, which answers with confidence: this reply is sent and stored.
    world.hub.release_to_bot(&agent(), conversation.id).await.unwrap();
    world.provider.enqueue(openai_text(&answer("SENT-REPLY-MARKER-9051 it ships tomorrow", 0.95)));
    world.customer_writes("cust-1", "Any news?").await;
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert!(matches!(outcome, AutoReplyOutcome::Replied { .. }), "{outcome:?}");

    // An agent's on-demand help: a draft, a summary, labels.
    let assistant = Assistant::new(world.hub.clone(), world.responder.clone()).context(context);
    world.provider.enqueue(openai_text(&answer("DRAFT-MARKER-3391 Hello again!", 0.8)));
    world.provider.enqueue(openai_text(r#"{"summary":"SUMMARY-MARKER-8812 desk order, asked twice"}"#));
    world.provider.enqueue(openai_text(r#"{"intent":"intent_marker_6620","sentiment":"negative"}"#));
    assert!(assistant.suggest(&agent(), conversation.id).await.unwrap().text.starts_with("DRAFT-MARKER-3391"));
    assert!(assistant.summarize(&agent(), conversation.id).await.unwrap().starts_with("SUMMARY-MARKER-8812"));
    assert_eq!(assistant.labels(&agent(), conversation.id).await.unwrap().intent, "intent_marker_6620");

    // What left the process: redacted, with the instructions and knowledge the scan looks for.
    let requests = world.provider.requests();
    assert_eq!(requests.len(), 5);
    for body in common::bodies(&requests) {
        assert!(!body.contains("081-234-5678") && !body.contains("somchai@example.co.th"), "{body}");
        assert!(!body.contains(OPENAI_KEY));
    }
    let first = common::bodies(&requests[..1]).remove(0);
    assert!(first.contains("[phone]") && first.contains("[email]"));
    assert!(first.contains("INSTRUCTION-MARKER-4be1") && first.contains("KNOWLEDGE-MARKER-2207"));

    let files = store_files(world.dir.path());
    assert!(
        files.len() >= 2,
        "the database and its WAL at least: {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let everything: Vec<u8> = files.iter().flat_map(|(_, bytes)| bytes.iter().copied()).collect();
    assert!(occurs(&everything, "SENT-REPLY-MARKER-9051"), "the scan sees stored text (the reply actually sent)");
    for needle in [
        "INSTRUCTION-MARKER-4be1",
        "KNOWLEDGE-MARKER-2207",
        "Knowledge you may use",
        "Answer with one JSON object only",
        "UNSENT-MARKER-4410",
        "DRAFT-MARKER-3391",
        "SUMMARY-MARKER-8812",
        "intent_marker_6620",
        "\"confidence\"",
        OPENAI_KEY,
    ] {
        for (path, bytes) in &files {
            assert!(!occurs(bytes, needle), "{needle:?} found in {path}");
        }
    }
}
