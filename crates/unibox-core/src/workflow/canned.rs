//! Canned replies: stored answers with `{{variables}}`, filled in for one conversation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Result, TenantId, Timestamp};

/// The longest canned reply body, in bytes.
pub const MAX_CANNED_REPLY_LEN: usize = 4096;

/// The variables every conversation can fill in. Others are passed by the caller as extras.
const BUILT_IN: &[&str] = &["contact.name", "contact.first_name", "agent.id", "account.name"];

/// A stored answer, found by its shortcut (`/shipping` in an agent's composer). Its body may
/// use `{{contact.name}}`, `{{contact.first_name}}`, `{{agent.id}}`, `{{account.name}}` and any
/// `{{custom.*}}` variable the caller supplies when rendering.
///
/// ```
/// use unibox_core::workflow::{CannedReply, TemplateValues};
/// let reply = CannedReply::new(
///     "acme".parse().unwrap(),
///     "shipping",
///     "Hi {{contact.first_name}}, your parcel ships today.",
///     unibox_core::Timestamp::UNIX_EPOCH,
/// ).unwrap();
/// let values = TemplateValues::new().with("contact.first_name", "Somchai");
/// assert_eq!(reply.render(&values).unwrap(), "Hi Somchai, your parcel ships today.");
/// assert!(CannedReply::new("acme".parse().unwrap(), "bad name", "x", unibox_core::Timestamp::UNIX_EPOCH).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    /// The owning tenant.
    pub tenant: TenantId,
    /// Unique per tenant: 1 to 64 lowercase ASCII letters, digits, `-` and `_`.
    pub shortcut: String,
    /// The text, with `{{variables}}`.
    pub body: String,
    /// When it was last saved.
    pub updated_at: Timestamp,
}

impl CannedReply {
    /// A validated canned reply.
    pub fn new(
        tenant: TenantId,
        shortcut: impl Into<String>,
        body: impl Into<String>,
        updated_at: Timestamp,
    ) -> Result<Self> {
        let reply = CannedReply { tenant, shortcut: shortcut.into(), body: body.into(), updated_at };
        reply.validate()?;
        Ok(reply)
    }

    /// Checks the shortcut, the body's length and that every variable is known.
    pub fn validate(&self) -> Result<()> {
        validate_shortcut(&self.shortcut)?;
        if self.body.trim().is_empty() || self.body.len() > MAX_CANNED_REPLY_LEN {
            return Err(invalid(format!("a canned reply body must be 1 to {MAX_CANNED_REPLY_LEN} bytes")));
        }
        for variable in variables(&self.body)? {
            if !BUILT_IN.contains(&variable) && !is_custom(variable) {
                return Err(invalid(format!(
                    "unknown variable {{{{{variable}}}}}; use contact.name, contact.first_name, agent.id, \
                     account.name or custom.<name>"
                )));
            }
        }
        Ok(())
    }

    /// The body with every variable replaced. A variable without a value is
    /// [`ErrorKind::InvalidInput`] naming it, so a reply never goes out with a hole in it.
    pub fn render(&self, values: &TemplateValues) -> Result<String> {
        let mut out = String::with_capacity(self.body.len());
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| invalid("a {{ without its closing }}"))?;
            let name = after[..end].trim();
            let value =
                values.get(name).ok_or_else(|| invalid(format!("no value for {{{{{name}}}}} in this conversation")))?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Values for a canned reply's variables.
///
/// ```
/// use unibox_core::workflow::TemplateValues;
/// let values = TemplateValues::new().with("custom.order", "#1042");
/// assert_eq!(values.get("custom.order"), Some("#1042"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateValues {
    values: BTreeMap<String, String>,
}

impl TemplateValues {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a value.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// Adds (or replaces) a value in place.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// A value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

fn is_custom(variable: &str) -> bool {
    variable
        .strip_prefix("custom.")
        .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// The variable names a body uses, trimmed.
fn variables(body: &str) -> Result<Vec<&str>> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| invalid("a {{ without its closing }}"))?;
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(found)
}

/// Shortcuts travel in URLs and are typed after a slash, so they are kept plain.
pub(crate) fn validate_shortcut(shortcut: &str) -> Result<()> {
    let plain = shortcut.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if shortcut.is_empty() || shortcut.len() > 64 || !plain {
        return Err(invalid("a shortcut is 1 to 64 lowercase ASCII letters, digits, - and _"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Result<CannedReply> {
        CannedReply::new("acme".parse().unwrap(), "greeting", body, Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn every_variable_is_filled_in() {
        let reply =
            reply("สวัสดีค่ะ คุณ{{ contact.name }} — {{agent.id}} from {{account.name}}, order {{custom.order}}").unwrap();
        let values = TemplateValues::new()
            .with("contact.name", "Somchai")
            .with("agent.id", "agent-7")
            .with("account.name", "Acme LINE")
            .with("custom.order", "#1042");
        assert_eq!(reply.render(&values).unwrap(), "สวัสดีค่ะ คุณSomchai — agent-7 from Acme LINE, order #1042");
    }

    #[test]
    fn a_missing_value_names_the_variable() {
        let err = reply("Hi {{contact.name}}").unwrap().render(&TemplateValues::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("contact.name"), "{err}");
    }

    #[test]
    fn unknown_variables_and_unclosed_braces_are_refused_when_saved() {
        assert!(reply("Hi {{contact.email}}").unwrap_err().message().contains("contact.email"));
        assert!(reply("Hi {{contact.name").is_err());
        assert!(reply("Hi {{custom.}}").is_err());
        assert!(reply("   ").is_err());
        assert!(reply(&"x".repeat(MAX_CANNED_REPLY_LEN + 1)).is_err());
    }

    #[test]
    fn shortcuts_are_plain() {
        assert!(validate_shortcut("return-policy_2").is_ok());
        for bad in ["", "Upper", "with space", "ไทย", &"a".repeat(65)] {
            assert!(validate_shortcut(bad).is_err(), "{bad:?}");
        }
    }
}
