//! Editing a contact's profile: the display name agents chose and free-form attributes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Contact, Error, ErrorKind, Result};

/// The most attributes a contact carries.
pub const MAX_ATTRIBUTES: usize = 100;

/// A contact with the attributes agents recorded (email, phone, customer number ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactProfile {
    /// The contact, with its identities.
    pub contact: Contact,
    /// Attributes by name, sorted.
    pub attributes: BTreeMap<String, String>,
}

/// A change to a contact's profile, for [`TeamWorkflow::update_contact`](crate::inbox::TeamWorkflow::update_contact).
///
/// A display name set here is the team's choice: names platforms report later do not replace
/// it. Attributes set to `None` are removed.
///
/// ```
/// use unibox_core::workflow::ContactUpdate;
/// let update = ContactUpdate::new().display_name("Somchai Jaidee").attribute("email", "somchai@example.co.th");
/// assert!(update.validate().is_ok());
/// assert!(ContactUpdate::new().display_name("  ").validate().is_err());
/// assert!(ContactUpdate::new().attribute("", "x").validate().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactUpdate {
    /// The new display name: `Some(None)` clears it.
    pub display_name: Option<Option<String>>,
    /// Attributes to set (`Some`) or remove (`None`).
    pub attributes: BTreeMap<String, Option<String>>,
}

impl ContactUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(Some(name.into()));
        self
    }

    /// Clears the display name.
    pub fn clear_display_name(mut self) -> Self {
        self.display_name = Some(None);
        self
    }

    /// Sets an attribute.
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), Some(value.into()));
        self
    }

    /// Removes an attribute.
    pub fn remove_attribute(mut self, name: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), None);
        self
    }

    /// Checks names and values: a name is 1 to 64 bytes, a value at most 1024, a display name
    /// 1 to 256 bytes and not blank.
    pub fn validate(&self) -> Result<()> {
        if let Some(Some(name)) = &self.display_name
            && (name.trim().is_empty() || name.len() > 256)
        {
            return Err(invalid("a display name is 1 to 256 bytes and not blank"));
        }
        for (name, value) in &self.attributes {
            if name.trim().is_empty() || name.len() > 64 {
                return Err(invalid("an attribute name is 1 to 64 bytes and not blank"));
            }
            if value.as_ref().is_some_and(|v| v.len() > 1024) {
                return Err(invalid(format!("the value of attribute {name:?} is longer than 1024 bytes")));
            }
        }
        Ok(())
    }

    /// Validates and applies the update to a profile. Every backend uses it, so they agree.
    pub fn apply(&self, profile: &mut ContactProfile) -> Result<()> {
        self.validate()?;
        if let Some(name) = &self.display_name {
            profile.contact.display_name = name.as_ref().map(|n| n.trim().to_string());
        }
        for (name, value) in &self.attributes {
            match value {
                Some(value) => profile.attributes.insert(name.trim().to_string(), value.clone()),
                None => profile.attributes.remove(name.trim()),
            };
        }
        if profile.attributes.len() > MAX_ATTRIBUTES {
            return Err(invalid(format!("a contact carries at most {MAX_ATTRIBUTES} attributes")));
        }
        Ok(())
    }
}

/// What a merge keeps: the kept contact's name unless it has none, every attribute of both
/// (the kept contact's value wins), and the earlier creation time. Identities are the union.
pub(crate) fn merged_profile(keep: &ContactProfile, duplicate: &ContactProfile) -> ContactProfile {
    let mut merged = keep.clone();
    if merged.contact.display_name.is_none() {
        merged.contact.display_name = duplicate.contact.display_name.clone();
    }
    for (name, value) in &duplicate.attributes {
        merged.attributes.entry(name.clone()).or_insert_with(|| value.clone());
    }
    merged.contact.created_at = merged.contact.created_at.min(duplicate.contact.created_at);
    for identity in &duplicate.contact.identities {
        if !merged.contact.identities.contains(identity) {
            merged.contact.identities.push(identity.clone());
        }
    }
    merged
}

impl ContactProfile {
    /// The profile two contacts found to be the same person merge into; `self` is kept.
    ///
    /// ```
    /// # use std::collections::BTreeMap;
    /// # use unibox_core::{Contact, ContactId, Timestamp};
    /// use unibox_core::workflow::ContactProfile;
    /// let contact = |name: Option<&str>, at| Contact {
    ///     id: ContactId::new(), tenant: "acme".parse().unwrap(), display_name: name.map(Into::into),
    ///     identities: vec![], created_at: Timestamp::from_unix_seconds(at),
    /// };
    /// let keep = ContactProfile { contact: contact(None, 20), attributes: BTreeMap::new() };
    /// let duplicate = ContactProfile { contact: contact(Some("Somchai"), 10), attributes: BTreeMap::new() };
    /// let merged = keep.merged_with(&duplicate);
    /// assert_eq!(merged.contact.display_name.as_deref(), Some("Somchai"));
    /// assert_eq!(merged.contact.created_at, Timestamp::from_unix_seconds(10));
    /// assert_eq!(merged.contact.id, keep.contact.id);
    /// ```
    pub fn merged_with(&self, duplicate: &ContactProfile) -> ContactProfile {
        merged_profile(self, duplicate)
    }
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}
