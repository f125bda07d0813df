//! Automation rules as data: when the bot answers, with which instructions, how often, and
//! when it hands over. Load them from JSON or TOML with serde, then [`AutomationRules::validate`].

mod hours;

use serde::{Deserialize, Serialize};
use unibox_core::{ChannelId, Error, ErrorKind, Result, Timestamp};

pub(crate) use hours::Zone;
pub use hours::{ClockTime, DailyWindow, OpeningHours, Weekday};

/// What must hold for a rule to answer. A rule's conditions must all hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Condition {
    /// Outside the tenant's business hours, in its time zone.
    OutsideBusinessHours,
    /// Nobody was assigned and nobody answered for this many minutes after the customer wrote.
    UnassignedFor {
        /// Minutes.
        minutes: u32,
    },
    /// The customer's first message in the conversation.
    FirstMessage,
    /// The customer's message contains one of these words (case-insensitive).
    Keyword {
        /// The words.
        any: Vec<String>,
    },
    /// The model labels the customer's intent as one of these (one labelling call, metered).
    Intent {
        /// The intents (`order_status`, `product_question`, ...).
        any: Vec<String>,
    },
}

/// A topic people handle: a conversation mentioning it is handed over, never answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffTopic {
    /// The name the team's note shows (`refund`).
    pub name: String,
    /// Words that mark it (case-insensitive).
    pub keywords: Vec<String>,
}

fn default_max_replies() -> u32 {
    3
}

fn default_min_confidence() -> f32 {
    0.6
}

/// One rule.
///
/// ```
/// let rule: unibox_ai::AutomationRule = serde_json::from_value(serde_json::json!({
///     "id": "after-hours",
///     "when": [{"type": "outside_business_hours"}],
///     "instructions": "Tell the customer when we open and answer simple questions."
/// })).unwrap();
/// assert_eq!(rule.max_replies, 3);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationRule {
    /// A stable id, named in the audit trail (`auto_reply.triggered` by `unibox-ai:<id>`).
    pub id: String,
    /// The channels it applies to; empty for all.
    #[serde(default)]
    pub channels: Vec<ChannelId>,
    /// Conditions that must all hold (none: always).
    #[serde(default)]
    pub when: Vec<Condition>,
    /// The instructions given to the model (tone, what it may promise, what it must not do).
    pub instructions: String,
    /// At most this many bot replies per conversation; the next message is handed over.
    #[serde(default = "default_max_replies")]
    pub max_replies: u32,
    /// When the bot stays silent even if the rule matches (in the tenant's time zone).
    #[serde(default)]
    pub quiet_hours: Option<DailyWindow>,
    /// Replies the model is less sure of are handed over instead of sent.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f32,
}

/// Phrases with which customers ask for a person, in English and Thai; a rule set may add more.
pub const DEFAULT_PERSON_PHRASES: &[&str] = &[
    "human",
    "real person",
    "an agent",
    "a person",
    "talk to someone",
    "speak to someone",
    "customer service",
    "คุยกับคน",
    "ขอคุยกับเจ้าหน้าที่",
    "เจ้าหน้าที่",
    "พนักงาน",
    "แอดมิน",
];

fn default_person_phrases() -> Vec<String> {
    DEFAULT_PERSON_PHRASES.iter().map(|p| p.to_string()).collect()
}

/// A tenant's rules.
///
/// ```
/// let rules: unibox_ai::AutomationRules = serde_json::from_value(serde_json::json!({
///     "time_zone": "Asia/Bangkok",
///     "business_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "18:00"}],
///     "handoff_topics": [{"name": "refund", "keywords": ["refund", "คืนเงิน"]}],
///     "rules": [{"id": "after-hours", "when": [{"type": "outside_business_hours"}],
///                "instructions": "We are closed; say when we open.", "quiet_hours": {"start": "23:00", "end": "07:00"}}]
/// })).unwrap();
/// rules.validate().unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationRules {
    /// The tenant's IANA time zone (`Asia/Bangkok`).
    pub time_zone: String,
    /// When people answer.
    #[serde(default)]
    pub business_hours: Vec<OpeningHours>,
    /// Topics people handle.
    #[serde(default)]
    pub handoff_topics: Vec<HandoffTopic>,
    /// Phrases with which customers ask for a person ([`DEFAULT_PERSON_PHRASES`] unless set).
    #[serde(default = "default_person_phrases")]
    pub person_phrases: Vec<String>,
    /// The rules, first match wins.
    pub rules: Vec<AutomationRule>,
}

/// What a rule is evaluated against.
#[derive(Clone, Debug)]
pub(crate) struct Situation<'a> {
    pub(crate) now: Timestamp,
    pub(crate) channel: &'a ChannelId,
    pub(crate) customer_text: &'a str,
    pub(crate) first_message: bool,
    /// How long the customer has waited unassigned and unanswered.
    pub(crate) waiting: std::time::Duration,
}

/// A rule's verdict.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// It does not apply.
    No,
    /// It applies once the customer has waited this much longer.
    After(std::time::Duration),
    /// It applies if the intent is one of these (a labelling call decides).
    IfIntent(Vec<String>),
    /// It applies.
    Yes,
}

fn contains_any(text: &str, words: &[String]) -> bool {
    let text = text.to_lowercase();
    words.iter().any(|word| !word.trim().is_empty() && text.contains(&word.trim().to_lowercase()))
}

impl AutomationRules {
    /// Checks the time zone, the ids and the thresholds; `InvalidInput` says what is wrong.
    pub fn validate(&self) -> Result<()> {
        Zone::named(&self.time_zone)?;
        let mut seen = std::collections::HashSet::new();
        for rule in &self.rules {
            if rule.id.trim().is_empty() || !rule.id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("rule id {:?} must be ASCII letters, digits, - _ .", rule.id),
                ));
            }
            if !seen.insert(rule.id.as_str()) {
                return Err(Error::new(ErrorKind::InvalidInput, format!("two rules have the id {:?}", rule.id)));
            }
            if !(0.0..=1.0).contains(&rule.min_confidence) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("rule {:?}: min_confidence must be 0 to 1", rule.id),
                ));
            }
        }
        Ok(())
    }

    /// The handoff topic the customer's text is about, if any.
    pub(crate) fn topic_of(&self, text: &str) -> Option<&HandoffTopic> {
        self.handoff_topics.iter().find(|topic| contains_any(text, &topic.keywords))
    }

    /// Whether the customer asks for a person.
    pub(crate) fn asks_for_person(&self, text: &str) -> bool {
        contains_any(text, &self.person_phrases)
    }

    fn business_open(&self, zone: &Zone, at: Timestamp) -> Result<bool> {
        let local = zone.local(at)?;
        Ok(self.business_hours.iter().any(|hours| {
            hours.days.contains(&local.day)
                && DailyWindow { start: hours.open, end: hours.close }.contains(local.minute)
        }))
    }

    /// The verdict of `rule` in `situation`.
    pub(crate) fn evaluate(&self, zone: &Zone, rule: &AutomationRule, situation: &Situation<'_>) -> Result<Verdict> {
        if !rule.channels.is_empty() && !rule.channels.contains(situation.channel) {
            return Ok(Verdict::No);
        }
        if let Some(quiet) = &rule.quiet_hours
            && quiet.contains(zone.local(situation.now)?.minute)
        {
            return Ok(Verdict::No);
        }
        let mut wait = std::time::Duration::ZERO;
        let mut intents = None;
        for condition in &rule.when {
            let holds = match condition {
                Condition::OutsideBusinessHours => !self.business_open(zone, situation.now)?,
                Condition::FirstMessage => situation.first_message,
                Condition::Keyword { any } => contains_any(situation.customer_text, any),
                Condition::UnassignedFor { minutes } => {
                    let needed = std::time::Duration::from_secs(u64::from(*minutes) * 60);
                    wait = wait.max(needed.saturating_sub(situation.waiting));
                    true
                }
                Condition::Intent { any } => {
                    intents = Some(any.clone());
                    true
                }
            };
            if !holds {
                return Ok(Verdict::No);
            }
        }
        Ok(match (wait.is_zero(), intents) {
            (false, _) => Verdict::After(wait),
            (true, Some(intents)) => Verdict::IfIntent(intents),
            (true, None) => Verdict::Yes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AutomationRules {
        serde_json::from_value(serde_json::json!({
            "time_zone": "Asia/Bangkok",
            "business_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "18:00"}],
            "handoff_topics": [{"name": "refund", "keywords": ["refund", "คืนเงิน"]}],
            "rules": [
                {"id": "line-only", "channels": ["acme-line"], "instructions": "x"},
                {"id": "after-hours", "when": [{"type": "outside_business_hours"}], "instructions": "x",
                 "quiet_hours": {"start": "23:00", "end": "07:00"}},
                {"id": "waiting", "when": [{"type": "unassigned_for", "minutes": 10}, {"type": "keyword", "any": ["order"]}], "instructions": "x"}
            ]
        }))
        .unwrap()
    }

    fn situation<'a>(channel: &'a ChannelId, text: &'a str, utc: &str, waiting_minutes: u64) -> Situation<'a> {
        let at: jiff::Timestamp = utc.parse().unwrap();
        Situation {
            now: Timestamp::from_unix_millis(at.as_millisecond()),
            channel,
            customer_text: text,
            first_message: false,
            waiting: std::time::Duration::from_secs(waiting_minutes * 60),
        }
    }

    #[test]
    fn business_hours_and_quiet_hours_are_in_the_tenant_s_time_zone() {
        let rules = rules();
        rules.validate().unwrap();
        let zone = Zone::named(&rules.time_zone).unwrap();
        let web: ChannelId = "acme-web".parse().unwrap();
        let after_hours = &rules.rules[1];
        // Monday 2024-11-18 10:00 in Bangkok is 03:00 UTC: open, so the rule does not apply.
        assert_eq!(
            rules.evaluate(&zone, after_hours, &situation(&web, "hi", "2024-11-18T03:00:00Z", 0)).unwrap(),
            Verdict::No
        );
        // 19:30 in Bangkok (12:30 UTC): closed.
        assert_eq!(
            rules.evaluate(&zone, after_hours, &situation(&web, "hi", "2024-11-18T12:30:00Z", 0)).unwrap(),
            Verdict::Yes
        );
        // 23:30 in Bangkok: closed but quiet.
        assert_eq!(
            rules.evaluate(&zone, after_hours, &situation(&web, "hi", "2024-11-18T16:30:00Z", 0)).unwrap(),
            Verdict::No
        );
        // Saturday noon: closed.
        assert_eq!(
            rules.evaluate(&zone, after_hours, &situation(&web, "hi", "2024-11-23T05:00:00Z", 0)).unwrap(),
            Verdict::Yes
        );
    }

    #[test]
    fn channels_keywords_and_waiting_time_decide_too() {
        let rules = rules();
        let zone = Zone::named(&rules.time_zone).unwrap();
        let (web, line): (ChannelId, ChannelId) = ("acme-web".parse().unwrap(), "acme-line".parse().unwrap());
        let at = "2024-11-18T03:00:00Z";
        assert_eq!(rules.evaluate(&zone, &rules.rules[0], &situation(&web, "hi", at, 0)).unwrap(), Verdict::No);
        assert_eq!(rules.evaluate(&zone, &rules.rules[0], &situation(&line, "hi", at, 0)).unwrap(), Verdict::Yes);
        let waiting = &rules.rules[2];
        assert_eq!(rules.evaluate(&zone, waiting, &situation(&web, "hi", at, 0)).unwrap(), Verdict::No);
        assert_eq!(
            rules.evaluate(&zone, waiting, &situation(&web, "My ORDER?", at, 4)).unwrap(),
            Verdict::After(std::time::Duration::from_secs(360))
        );
        assert_eq!(rules.evaluate(&zone, waiting, &situation(&web, "My ORDER?", at, 10)).unwrap(), Verdict::Yes);
        assert_eq!(rules.topic_of("ขอคืนเงินค่ะ").unwrap().name, "refund");
        assert!(rules.asks_for_person("can I talk to a REAL PERSON please"));
    }

    #[test]
    fn invalid_rules_are_typed_errors() {
        let mut rules = rules();
        rules.time_zone = "Mars/Olympus".into();
        assert_eq!(rules.validate().unwrap_err().kind(), ErrorKind::InvalidInput);
        let mut rules = self::rules();
        rules.rules[1].id = "line-only".into();
        assert!(rules.validate().unwrap_err().message().contains("two rules"));
        let bad: std::result::Result<AutomationRules, _> = serde_json::from_value(serde_json::json!({
            "time_zone": "UTC", "rules": [{"id": "x", "instructions": "x", "quiet_hours": {"start": "25:00", "end": "01:00"}}]
        }));
        assert!(bad.is_err());
    }
}
