//! Checking an app's credentials and URLs once, when a channel's configuration is built.

use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

/// The app key, checked: present, letters and digits; and at least one non-empty secret.
/// `platform` names the platform in the messages (`"Lazada"`).
///
/// ```
/// use secrecy::SecretString;
/// use unibox_channel_marketplace::app::check_credentials;
/// let secrets = [SecretString::from("s3cret")];
/// assert_eq!(check_credentials("Lazada", Some("115527".into()), &secrets).unwrap(), "115527");
/// assert!(check_credentials("Lazada", Some("115527".into()), &[]).is_err());
/// assert!(check_credentials("Lazada", Some("11 55".into()), &secrets).is_err());
/// ```
pub fn check_credentials(platform: &str, app_key: Option<String>, secrets: &[SecretString]) -> Result<String> {
    let configuration = |message: String| Err(Error::new(ErrorKind::Configuration, message));
    let Some(app_key) = app_key.filter(|k| !k.trim().is_empty()) else {
        return configuration(format!("the {platform} channel needs the app key"));
    };
    if !app_key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return configuration(format!("a {platform} app key is letters and digits only"));
    }
    if secrets.is_empty() {
        return configuration(format!("the {platform} channel needs the app secret to verify pushes and sign calls"));
    }
    if secrets.iter().any(|s| s.expose_secret().is_empty()) {
        return configuration(format!("the {platform} app secret is empty"));
    }
    Ok(app_key)
}

/// `given`, or the platform's `default` URL.
///
/// ```
/// let url = unibox_channel_marketplace::app::url_or_default("Lazada", None, "https://api.lazada.sg/rest/").unwrap();
/// assert_eq!(url.host_str(), Some("api.lazada.sg"));
/// ```
pub fn url_or_default(platform: &str, given: Option<Url>, default: &str) -> Result<Url> {
    match given {
        Some(url) => Ok(url),
        None => Url::parse(default)
            .map_err(|e| Error::new(ErrorKind::Configuration, format!("the default {platform} URL {default}: {e}"))),
    }
}
