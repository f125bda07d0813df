//! Contact profiles: `GET /v2/bot/profile/{userId}` for a user, `GET /v2/bot/group/{groupId}/summary`
//! for a group chat.

use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::channel::PlatformProfile;
use unibox_core::{ContactIdentity, Error, ErrorKind, IdentityKind, Result};

use crate::api::LineApi;
use crate::error_map::{self, Call};
use crate::inbound::GROUP_IDENTITY;

/// `{"displayName", "userId", "pictureUrl", "statusMessage", "language"}` or a group summary
/// `{"groupId", "groupName", "pictureUrl"}`; `pictureUrl` is absent when the user has none.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    display_name: Option<String>,
    group_name: Option<String>,
    picture_url: Option<String>,
}

/// Fetches the profile of a LINE user or group chat. A user who blocked the bot or is not its
/// friend is `RecipientUnavailable` (LINE answers 404); a room (no name on LINE) is
/// `Unsupported`.
pub(crate) async fn fetch(api: &LineApi, identity: &ContactIdentity, token: &SecretString) -> Result<PlatformProfile> {
    const OPERATION: &str = "line.profile";
    let id = identity.value.as_str();
    // The id becomes a path segment: LINE ids are letters and digits only (U/C/R + 32 hex).
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::new(ErrorKind::InvalidInput, "not a LINE user or group id").with_operation(OPERATION));
    }
    let path = match &identity.kind {
        IdentityKind::LineUserId => format!("v2/bot/profile/{id}"),
        IdentityKind::Other(kind) if kind == GROUP_IDENTITY => format!("v2/bot/group/{id}/summary"),
        _ => {
            return Err(Error::new(ErrorKind::Unsupported, "LINE has profiles for users and groups only")
                .with_operation(OPERATION));
        }
    };
    let response = api
        .get(&path, token)
        .await
        .map_err(|e| error_map::from_transport(Call::Profile, e).with_operation(OPERATION))?;
    if !response.status().is_success() {
        return Err(error_map::from_response(Call::Profile, &response).with_operation(OPERATION));
    }
    let answer: Answer = serde_json::from_slice(response.body()).map_err(|_| {
        Error::new(ErrorKind::PlatformUnavailable, "LINE answered the profile request with an unreadable body")
            .temporary()
            .with_operation(OPERATION)
    })?;
    let mut profile = PlatformProfile::new();
    if let Some(name) = answer.display_name.or(answer.group_name) {
        profile = profile.with_display_name(name);
    }
    if let Some(picture) = answer.picture_url {
        profile = profile.with_picture_url(picture);
    }
    Ok(profile)
}
