//! The user profile API of Messenger and Instagram: a contact's name and picture by their
//! page-scoped or Instagram-scoped id.

use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::channel::PlatformProfile;
use unibox_core::{ChannelKind, Error, ErrorKind, Result};

use crate::GraphClient;

/// Messenger: `first_name`, `last_name`, `profile_pic`; Instagram: `name`, `username`,
/// `profile_pic`. Every field may be missing (the user hid it, the app lacks the permission).
#[derive(Deserialize, Default)]
struct UserProfile {
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    username: Option<String>,
    profile_pic: Option<String>,
}

/// The fields asked for, per platform.
fn fields(platform: &ChannelKind) -> &'static str {
    if *platform == ChannelKind::INSTAGRAM { "name,username,profile_pic" } else { "first_name,last_name,profile_pic" }
}

/// `GET /{user-id}?fields=...` with the account's token.
pub(crate) async fn fetch(
    graph: &GraphClient,
    platform: &ChannelKind,
    user_id: &str,
    token: &SecretString,
) -> Result<PlatformProfile> {
    // The id becomes a path segment: anything but Meta's digits is refused before a call.
    if user_id.is_empty() || !user_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(ErrorKind::InvalidInput, "a Meta user id is digits only"));
    }
    let answer: UserProfile = graph.get(user_id, &[("fields", fields(platform))], Some(token)).await.map_err(|e| {
        // 100 (no such object, or not readable by this page) and 551 (unavailable): the user
        // blocked the page, deleted their account, or hides the profile.
        match e.platform_code() {
            Some("100") | Some("551") => Error::new(
                ErrorKind::RecipientUnavailable,
                "Meta does not describe this user to the page (blocked, deleted or hidden)",
            )
            .with_source(e),
            _ => e,
        }
    })?;
    let name = match (answer.first_name, answer.last_name, answer.name, answer.username) {
        (_, _, Some(name), _) if !name.trim().is_empty() => Some(name),
        (Some(first), Some(last), _, _) => Some(format!("{first} {last}")),
        (Some(first), None, _, _) => Some(first),
        (None, Some(last), _, _) => Some(last),
        (_, _, _, username) => username,
    };
    let mut profile = PlatformProfile::new();
    if let Some(name) = name {
        profile = profile.with_display_name(name);
    }
    if let Some(picture) = answer.profile_pic {
        profile = profile.with_picture_url(picture);
    }
    Ok(profile)
}
