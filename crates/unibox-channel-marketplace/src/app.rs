//! Checking an app's credentials and URLs once, when a channel's configuration is built.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::{Verified, WebhookRequest};
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

/// One app's key and secrets (two while a secret is being reset), checked: what both
/// platforms' configurations hold, verify pushes with and sign calls with. `Debug` shows the key
/// and only the number of secrets.
///
/// ```
/// use secrecy::{ExposeSecret, SecretString};
/// use unibox_channel_marketplace::app::App;
/// let app = App::new("Lazada", Some("115527".into()), vec![SecretString::from("new-secret"), SecretString::from("old-secret")]).unwrap();
/// assert_eq!((app.key(), app.current_secret().expose_secret()), ("115527", "new-secret"));
/// assert!(!format!("{app:?}").contains("secret-"));
/// assert!(App::new("Lazada", Some("115527".into()), Vec::new()).is_err());
/// ```
#[derive(Clone)]
pub struct App {
    key: String,
    secrets: Vec<SecretString>,
}

impl App {
    /// The app `key` with `secrets`, checked as [`check_credentials`] does.
    pub fn new(platform: &str, key: Option<String>, secrets: Vec<SecretString>) -> Result<App> {
        let key = check_credentials(platform, key, &secrets)?;
        Ok(App { key, secrets })
    }

    /// The app key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret calls are signed with: the first (current) one.
    pub fn current_secret(&self) -> &SecretString {
        // `new` refuses an app without a secret.
        &self.secrets[0]
    }

    /// Verifies a push to this app against each secret (see
    /// [`verify_push`](crate::push::verify_push)); `operation` names the channel's check.
    pub fn verify<'r>(&self, request: &'r WebhookRequest, operation: &'static str) -> Result<Verified<'r>> {
        crate::push::verify_push(request, &self.key, &self.secrets, operation)
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("key", &self.key)
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .finish()
    }
}

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
