//! What is counted: the billable units of a unified inbox.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, ErrorKind, Result};

/// The category WhatsApp prices a template message by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TemplateCategory {
    /// Promotions, offers, announcements.
    Marketing,
    /// Order and account updates.
    Utility,
    /// One-time passwords.
    Authentication,
    /// Replies inside the customer-service window.
    Service,
    /// Sent by the hub, which does not know the template's category; the WhatsApp adapter
    /// records the priced category when the platform reports it.
    Uncategorized,
}

impl TemplateCategory {
    /// Every category.
    pub const ALL: [TemplateCategory; 5] = [
        TemplateCategory::Marketing,
        TemplateCategory::Utility,
        TemplateCategory::Authentication,
        TemplateCategory::Service,
        TemplateCategory::Uncategorized,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateCategory::Marketing => "marketing",
            TemplateCategory::Utility => "utility",
            TemplateCategory::Authentication => "authentication",
            TemplateCategory::Service => "service",
            TemplateCategory::Uncategorized => "uncategorized",
        }
    }
}

/// A usage counter's unit.
///
/// ```
/// use unibox_core::metering::{TemplateCategory, UsageMetric};
/// let metric = UsageMetric::WhatsAppTemplate(TemplateCategory::Marketing);
/// assert_eq!(metric.to_string(), "whatsapp_template.marketing");
/// assert_eq!("whatsapp_template.marketing".parse::<UsageMetric>().unwrap(), metric);
/// assert_eq!("ai_tokens_in".parse::<UsageMetric>().unwrap(), UsageMetric::AiInputTokens);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageMetric {
    /// Customer messages stored (redeliveries not counted).
    MessagesIn,
    /// Messages the platform accepted for sending.
    MessagesOut,
    /// LINE push messages (every LINE send without a reply token; LINE bills them).
    LinePush,
    /// WhatsApp template messages, by category.
    WhatsAppTemplate(TemplateCategory),
    /// SMS segments sent, as the adapter reports them (Twilio's `num_segments`, else the
    /// adapter's own GSM-7/UCS-2 count): a long or non-Latin text is billed as several.
    SmsSegments,
    /// Calls to an AI model.
    AiCalls,
    /// Tokens sent to an AI model.
    AiInputTokens,
    /// Tokens an AI model produced.
    AiOutputTokens,
}

impl UsageMetric {
    /// Every metric.
    pub fn all() -> Vec<UsageMetric> {
        let mut all = vec![UsageMetric::MessagesIn, UsageMetric::MessagesOut, UsageMetric::LinePush];
        all.extend(TemplateCategory::ALL.map(UsageMetric::WhatsAppTemplate));
        all.extend([
            UsageMetric::SmsSegments,
            UsageMetric::AiCalls,
            UsageMetric::AiInputTokens,
            UsageMetric::AiOutputTokens,
        ]);
        all
    }

    /// The stable name, as stored and in credit tables.
    pub fn name(self) -> String {
        match self {
            UsageMetric::MessagesIn => "messages_in".into(),
            UsageMetric::MessagesOut => "messages_out".into(),
            UsageMetric::LinePush => "line_push".into(),
            UsageMetric::WhatsAppTemplate(category) => format!("whatsapp_template.{}", category.as_str()),
            UsageMetric::SmsSegments => "sms_segments".into(),
            UsageMetric::AiCalls => "ai_calls".into(),
            UsageMetric::AiInputTokens => "ai_tokens_in".into(),
            UsageMetric::AiOutputTokens => "ai_tokens_out".into(),
        }
    }
}

impl fmt::Display for UsageMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for UsageMetric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        UsageMetric::all()
            .into_iter()
            .find(|metric| metric.name() == s)
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("unknown usage metric {s:?}")))
    }
}

impl Serialize for UsageMetric {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for UsageMetric {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
