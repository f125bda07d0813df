//! [`PlatformProfile`]: what a platform tells about a contact (name and picture), fetched by
//! [`Channel::contact_profile`](crate::Channel::contact_profile).

/// A contact's profile as the platform reports it. Either field may be missing: a platform that
/// hides the picture, a user without one.
///
/// ```
/// use unibox_core::channel::PlatformProfile;
/// let profile = PlatformProfile::new().with_display_name("Somchai").with_picture_url("https://profile.line-scdn.net/0h1");
/// assert_eq!(profile.display_name.as_deref(), Some("Somchai"));
/// assert!(!profile.is_empty());
/// assert!(PlatformProfile::new().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlatformProfile {
    /// The name the user shows on the platform.
    pub display_name: Option<String>,
    /// A URL of the user's picture, as the platform serves it (it may expire; refresh it).
    pub picture_url: Option<String>,
}

impl PlatformProfile {
    /// A profile with nothing in it yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the display name (a blank one is ignored).
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.display_name = Some(name.trim().to_string()).filter(|name| !name.is_empty());
        self
    }

    /// Sets the picture URL (a blank one is ignored).
    pub fn with_picture_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.picture_url = Some(url.trim().to_string()).filter(|url| !url.is_empty());
        self
    }

    /// True when the platform told nothing.
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none() && self.picture_url.is_none()
    }
}
