//! The prompt both providers send, and reading the model's structured answer back. Everything
//! here works on a [`ResponderRequest`] the context builder has already bounded and redacted.

use unibox_core::ai::{Labels, ResponderOutput, ResponderRequest, Task, TokenUsage, TurnRole};
use unibox_core::{Error, ErrorKind, Result};

/// The model's handoff signal: why it thinks a person should answer.
pub(crate) const HANDOFF_CUSTOMER_ASKED: &str = "customer_asked_for_person";
/// The conversation is about something the instructions keep for people.
pub(crate) const HANDOFF_TOPIC: &str = "topic";
/// The model does not know the answer.
pub(crate) const HANDOFF_UNSURE: &str = "unsure";

/// The system prompt: the tenant's instructions, the customer's profile, knowledge, and the
/// answer format of the task.
pub(crate) fn system_prompt(request: &ResponderRequest) -> String {
    let mut prompt = String::new();
    if !request.instructions.trim().is_empty() {
        prompt.push_str(request.instructions.trim());
        prompt.push_str("\n\n");
    }
    if !request.profile.is_empty() {
        prompt.push_str("What the inbox knows about the customer:\n");
        for (label, value) in &request.profile {
            prompt.push_str(&format!("- {label}: {value}\n"));
        }
        prompt.push('\n');
    }
    if !request.knowledge.is_empty() {
        prompt.push_str("Knowledge you may use:\n");
        for snippet in &request.knowledge {
            prompt.push_str(&format!("- {snippet}\n"));
        }
        prompt.push('\n');
    }
    prompt.push_str(
        "Personal data in the conversation is masked as [email], [phone] or [card]; never ask for it to be repeated.\n",
    );
    prompt.push_str(match request.task {
        Task::Reply | Task::Suggest => {
            "Write the business's next message to the customer, in the customer's language. Answer with one JSON \
             object only: {\"reply\": the message, \"confidence\": how sure you are that it is correct and \
             helpful, from 0 to 1, \"handoff\": null, or \"customer_asked_for_person\" when the customer asks for \
             a human, \"topic\" when the instructions say people handle the subject, \"unsure\" when you do not \
             know}."
        }
        Task::Summarize => {
            "Summarize the conversation for a colleague who takes it over: what the customer wants, what was \
             answered, what is open. Answer with one JSON object only: {\"summary\": the summary}."
        }
        Task::Label => {
            "Label the conversation. Answer with one JSON object only: {\"intent\": what the customer wants as a \
             short snake_case label such as order_status, refund, product_question, complaint, greeting, \
             \"sentiment\": \"positive\", \"neutral\" or \"negative\"}."
        }
    });
    prompt
}

/// The JSON Schema of the task's answer, for providers that enforce one.
pub(crate) fn answer_schema(task: Task) -> (&'static str, serde_json::Value) {
    use serde_json::json;
    match task {
        Task::Reply | Task::Suggest => (
            "reply",
            json!({"type": "object", "properties": {
                "reply": {"type": "string"},
                "confidence": {"type": "number"},
                "handoff": {"type": ["string", "null"], "enum": [HANDOFF_CUSTOMER_ASKED, HANDOFF_TOPIC, HANDOFF_UNSURE, null]}
            }, "required": ["reply", "confidence", "handoff"], "additionalProperties": false}),
        ),
        Task::Summarize => (
            "summary",
            json!({"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"], "additionalProperties": false}),
        ),
        Task::Label => (
            "labels",
            json!({"type": "object", "properties": {
                "intent": {"type": "string"},
                "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]}
            }, "required": ["intent", "sentiment"], "additionalProperties": false}),
        ),
    }
}

/// One message of the provider conversation.
pub(crate) struct ProviderTurn {
    pub(crate) from_customer: bool,
    pub(crate) text: String,
}

/// The turns to send: consecutive turns of one side merged (Anthropic requires alternation),
/// starting with the customer and ending with them (a trailing business turn gets a cue, since a
/// final assistant turn would be continued rather than answered). Summaries and labels get the
/// transcript as one customer-side message.
pub(crate) fn provider_turns(request: &ResponderRequest) -> Result<Vec<ProviderTurn>> {
    if request.turns.is_empty() {
        return Err(Error::new(ErrorKind::InvalidInput, "the conversation has no text to answer"));
    }
    if matches!(request.task, Task::Summarize | Task::Label) {
        let transcript: Vec<String> = request
            .turns
            .iter()
            .map(|turn| match turn.role {
                TurnRole::Customer => format!("Customer: {}", turn.text),
                TurnRole::Business => format!("Business: {}", turn.text),
            })
            .collect();
        return Ok(vec![ProviderTurn {
            from_customer: true,
            text: format!("The conversation:\n{}", transcript.join("\n")),
        }]);
    }
    let mut turns: Vec<ProviderTurn> = Vec::new();
    for turn in &request.turns {
        let from_customer = turn.role == TurnRole::Customer;
        match turns.last_mut() {
            Some(last) if last.from_customer == from_customer => {
                last.text.push_str("\n\n");
                last.text.push_str(&turn.text);
            }
            None if !from_customer => {
                turns.push(ProviderTurn { from_customer: true, text: "(The conversation so far.)".into() });
                turns.push(ProviderTurn { from_customer, text: turn.text.clone() });
            }
            _ => turns.push(ProviderTurn { from_customer, text: turn.text.clone() }),
        }
    }
    if turns.last().is_some_and(|last| !last.from_customer) {
        turns.push(ProviderTurn { from_customer: true, text: "(Write the business's next message.)".into() });
    }
    Ok(turns)
}

/// The first JSON object in the model's text (models sometimes wrap it in a code fence).
fn json_object(text: &str) -> Option<serde_json::Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    serde_json::from_str(text.get(start..=end)?).ok()
}

/// Reads the model's answer for `task`. A reply that is not the asked-for JSON is taken as
/// plain text with no confidence (so a rule's confidence threshold hands it over).
pub(crate) fn parse_answer(task: Task, text: &str, usage: TokenUsage) -> Result<ResponderOutput> {
    let object = json_object(text);
    match task {
        Task::Reply | Task::Suggest => {
            let Some(object) = object else {
                return Ok(ResponderOutput::text(text.trim(), usage));
            };
            let reply = object["reply"].as_str().unwrap_or_default().trim().to_string();
            let mut output = ResponderOutput::text(reply, usage);
            if let Some(confidence) = object["confidence"].as_f64() {
                output = output.with_confidence(confidence as f32);
            }
            if let Some(handoff) = object["handoff"].as_str() {
                // Only the known signals are kept: a free-text reason could carry conversation content.
                let signal = match handoff {
                    HANDOFF_CUSTOMER_ASKED => HANDOFF_CUSTOMER_ASKED,
                    HANDOFF_TOPIC => HANDOFF_TOPIC,
                    _ => HANDOFF_UNSURE,
                };
                output = output.with_handoff(signal);
            }
            Ok(output)
        }
        Task::Summarize => {
            let summary = object
                .as_ref()
                .and_then(|o| o["summary"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| text.trim().to_string());
            Ok(ResponderOutput::text(summary, usage))
        }
        Task::Label => {
            let labels = object.and_then(|o| {
                let intent = o["intent"].as_str()?.trim().to_lowercase().replace(' ', "_");
                let sentiment = match o["sentiment"].as_str()? {
                    s @ ("positive" | "neutral" | "negative") => s.to_string(),
                    _ => return None,
                };
                (!intent.is_empty()).then_some(Labels { intent, sentiment })
            });
            labels.map(|labels| ResponderOutput::labels(labels, usage)).ok_or_else(|| {
                Error::new(ErrorKind::MalformedPayload, "the model did not answer with intent and sentiment labels")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unibox_core::ai::Turn;
    use unibox_core::{ContactId, ConversationId};

    fn request(task: Task) -> ResponderRequest {
        ResponderRequest::new("acme".parse().unwrap(), ConversationId::new(), ContactId::new(), task)
    }

    #[test]
    fn turns_alternate_start_and_end_with_the_customer() {
        let request = request(Task::Reply)
            .turn(Turn::business("Welcome to Acme!"))
            .turn(Turn::customer("Hi"))
            .turn(Turn::customer("Where is order 1042?"))
            .turn(Turn::business("Let me check."));
        let turns = provider_turns(&request).unwrap();
        let sides: Vec<bool> = turns.iter().map(|t| t.from_customer).collect();
        assert_eq!(sides, vec![true, false, true, false, true]);
        assert_eq!(turns[2].text, "Hi\n\nWhere is order 1042?");
        assert!(provider_turns(&self::request(Task::Reply)).is_err());
    }

    #[test]
    fn answers_are_read_leniently_and_unknown_handoff_reasons_are_not_kept() {
        let usage = TokenUsage { input: 1, output: 1 };
        let output = parse_answer(
            Task::Reply,
            "```json\n{\"reply\":\"It shipped.\",\"confidence\":0.93,\"handoff\":null}\n```",
            usage,
        )
        .unwrap();
        assert_eq!((output.text.as_str(), output.confidence, output.handoff), ("It shipped.", Some(0.93), None));
        let output =
            parse_answer(Task::Reply, r#"{"reply":"","confidence":0.2,"handoff":"my phone is 0812345678"}"#, usage)
                .unwrap();
        assert_eq!(output.handoff.as_deref(), Some(HANDOFF_UNSURE));
        let plain = parse_answer(Task::Reply, "Sure, it shipped.", usage).unwrap();
        assert_eq!((plain.text.as_str(), plain.confidence), ("Sure, it shipped.", None));
        let labels = parse_answer(Task::Label, r#"{"intent":"Order Status","sentiment":"negative"}"#, usage).unwrap();
        assert_eq!(labels.labels.unwrap().intent, "order_status");
        assert_eq!(parse_answer(Task::Label, "angry", usage).unwrap_err().kind(), ErrorKind::MalformedPayload);
    }
}
