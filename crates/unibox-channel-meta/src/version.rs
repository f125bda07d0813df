//! The Graph API hosts and version, in one place: every Meta adapter builds its URLs from these.

/// The Graph API version every call uses. Meta supports a version for about two years; bump it
/// here and every adapter moves together.
///
/// ```
/// assert!(unibox_channel_meta::GRAPH_API_VERSION.starts_with('v'));
/// ```
pub const GRAPH_API_VERSION: &str = "v23.0";

/// The Graph API host for Facebook Login tokens (Messenger, Instagram through a Page, WhatsApp).
pub const GRAPH_API_BASE: &str = "https://graph.facebook.com";

/// The host of the Instagram API with Instagram Login (Instagram user tokens).
pub const INSTAGRAM_API_BASE: &str = "https://graph.instagram.com";
