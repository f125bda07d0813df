//! [`ProfileWorker`]: follows the change log and fetches the profiles of contacts who write.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::{FETCHED_AT_ATTRIBUTE, NAME_ATTRIBUTE, PICTURE_ATTRIBUTE, ProfileOptions, STATUS_ATTRIBUTE};
use crate::changes::{ChangeKind, InboxEvent};
use crate::channel::PlatformProfile;
use crate::hub::Subscription;
use crate::workflow::{ContactProfile, ContactUpdate, WorkflowEvent};
use crate::{Actor, ChannelAccountId, ContactId, ErrorKind, Hub, Result, TenantId, Timestamp};

/// The automation name the worker acts under in audit records and subscriptions.
///
/// ```
/// assert_eq!(unibox_core::profiles::WORKER_NAME, "profile-worker");
/// ```
pub const WORKER_NAME: &str = "profile-worker";
/// The longest display name kept (the contact update limit), in bytes.
const MAX_NAME_BYTES: usize = 256;
/// The longest picture URL kept (the attribute value limit), in bytes; longer ones are dropped.
const MAX_PICTURE_BYTES: usize = 1024;
/// How many contacts the worker remembers as fresh before it forgets them all and asks the
/// store again: memory stays bounded.
const REMEMBERED: usize = 10_000;

/// What the worker did for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileOutcome {
    /// The event is not a contact writing (a delivery receipt, a note, an agent's message).
    NotAContactWriting,
    /// The contact's profile is younger than the TTL: nothing asked.
    Fresh,
    /// The channel cannot fetch profiles ([`Capabilities::contact_profiles`](crate::channel::Capabilities::contact_profiles)).
    Unsupported,
    /// The platform answered and the contact was updated.
    Updated(PlatformProfile),
    /// The platform will not describe the contact (they blocked the bot or left): recorded, not
    /// asked again before the TTL, what was known is kept.
    Unavailable,
    /// The call failed or timed out: logged, asked again when the contact next writes.
    Failed {
        /// What went wrong.
        kind: ErrorKind,
    },
}

/// Fetches contacts' display names and pictures from their platforms in the background.
///
/// It follows one tenant's change log ([`Hub::subscribe`]) as an automation; for every message a
/// contact writes it checks the contact's [`FETCHED_AT_ATTRIBUTE`] and, when it is missing or
/// older than the [TTL](ProfileOptions::ttl), calls the channel's
/// [`contact_profile`](crate::Channel::contact_profile) (at most one call per
/// [interval](ProfileOptions::per_account_interval) per account, each given up after the
/// [timeout](ProfileOptions::call_timeout)) and stores the answer through
/// [`TeamWorkflow::update_contact`](crate::inbox::TeamWorkflow::update_contact), audited as `contact.update` by
/// `profile-worker`. Errors are logged, never fatal; a platform's refusal (the contact blocked
/// the bot) is recorded and not asked again before the TTL. The webhook path never waits for
/// any of this.
///
/// The display name follows the platform's only while it is empty or still the one the
/// platform gave last time: a name someone on the team chose is kept.
///
/// ```no_run
/// # async fn run(hub: unibox_core::Hub) -> unibox_core::Result<()> {
/// use unibox_core::profiles::ProfileWorker;
/// let worker = ProfileWorker::new(hub, "acme".parse()?).spawn().await?;
/// // ... serve webhooks ...
/// worker.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ProfileWorker {
    hub: Hub,
    actor: Actor,
    options: ProfileOptions,
    /// Contacts known fresh, with the time their profile was fetched (hub clock).
    fresh: Mutex<HashMap<ContactId, Timestamp>>,
    /// Per account, the earliest (real) time of its next profile call.
    next_call: Mutex<HashMap<ChannelAccountId, tokio::time::Instant>>,
}

impl ProfileWorker {
    /// A worker for `tenant`'s contacts with the default [`ProfileOptions`].
    pub fn new(hub: Hub, tenant: TenantId) -> Self {
        ProfileWorker {
            hub,
            actor: Actor::automation(tenant, WORKER_NAME),
            options: ProfileOptions::default(),
            fresh: Mutex::new(HashMap::new()),
            next_call: Mutex::new(HashMap::new()),
        }
    }

    /// Uses `options`.
    pub fn options(mut self, options: ProfileOptions) -> Self {
        self.options = options;
        self
    }

    /// Subscribes to the tenant's changes from now on (authorized like any automation's read).
    pub async fn subscribe(&self) -> Result<Subscription> {
        self.hub.subscribe(&self.actor, None).await
    }

    /// Handles one event of the tenant's change log: fetches and stores the profile of the
    /// contact who wrote, if it is due. Errors of the store are returned; the platform's are
    /// an outcome.
    pub async fn handle(&self, event: &InboxEvent) -> Result<ProfileOutcome> {
        let change = &event.change;
        let writing = change.kind == ChangeKind::MessageAdded
            && matches!(change.detail.as_deref(), Some("message" | "postback"))
            && &change.tenant == self.actor.tenant();
        let Some(conversation) = change.conversation.filter(|_| writing) else {
            return Ok(ProfileOutcome::NotAContactWriting);
        };
        let tenant = self.actor.tenant();
        let store = self.hub.store();
        let conversation = store.reads.conversation(tenant, conversation).await?;
        let now = self.hub.clock().now();
        if self.remembered_fresh(conversation.contact, now) {
            return Ok(ProfileOutcome::Fresh);
        }
        let profile = store.workflow.contact_profile(tenant, conversation.contact).await?;
        if let Some(fetched) = fetched_at(&profile).filter(|at| now.duration_since(*at) < self.options.ttl) {
            self.remember(conversation.contact, fetched);
            return Ok(ProfileOutcome::Fresh);
        }
        let account = store.accounts.account(tenant, conversation.account).await?;
        let Some(channel) = self.hub.channel(&account.channel).cloned() else {
            return Ok(ProfileOutcome::Unsupported);
        };
        if !channel.capabilities().contact_profiles {
            return Ok(ProfileOutcome::Unsupported);
        }
        let Some(identity) = profile.contact.identities.iter().find(|identity| identity.account == account.id).cloned()
        else {
            return Ok(ProfileOutcome::NotAContactWriting);
        };
        self.pace(account.id).await;
        let fetched = async {
            let tokens = self.hub.tokens().get_fresh(&account, channel.as_ref()).await?;
            channel.contact_profile(&account, &identity, tokens.as_ref()).await
        };
        let answer = match tokio::time::timeout(self.options.call_timeout, fetched).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::warn!(target: "unibox::profiles", account = %account.id, contact = %profile.contact.id, "the profile call timed out; asking again when the contact next writes");
                return Ok(ProfileOutcome::Failed { kind: ErrorKind::PlatformUnavailable });
            }
        };
        let now = self.hub.clock().now();
        let outcome = match answer {
            Ok(platform) => {
                self.store(&profile, update_for(&profile, &platform, now)).await?;
                ProfileOutcome::Updated(platform)
            }
            Err(error) if error.kind() == ErrorKind::RecipientUnavailable => {
                let update = ContactUpdate::new()
                    .attribute(FETCHED_AT_ATTRIBUTE, now.as_unix_millis().to_string())
                    .attribute(STATUS_ATTRIBUTE, "unavailable");
                self.store(&profile, update).await?;
                ProfileOutcome::Unavailable
            }
            Err(error) => {
                tracing::warn!(target: "unibox::profiles", %error, account = %account.id, contact = %profile.contact.id, "could not fetch a contact profile; asking again when the contact next writes");
                return Ok(ProfileOutcome::Failed { kind: error.kind() });
            }
        };
        self.remember(profile.contact.id, now);
        Ok(outcome)
    }

    /// Follows the change log until `shutdown` completes. A failure to read the log or the
    /// store is logged; the worker subscribes again from where it stopped.
    pub async fn run_until(&self, mut subscription: Subscription, shutdown: impl std::future::Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut last = None;
        loop {
            let next = tokio::select! {
                () = &mut shutdown => return,
                next = subscription.next() => next,
            };
            match next {
                Some(Ok(event)) => {
                    last = Some(event.position);
                    if let Err(error) = self.handle(&event).await {
                        tracing::warn!(target: "unibox::profiles", %error, "could not handle a change for contact profiles");
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(target: "unibox::profiles", %error, "reading the change log failed");
                }
                None => {
                    // The stream ended (its position was trimmed away, or the store failed for
                    // good): start again from the last change handled, or from now.
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    }
                    match self.hub.subscribe(&self.actor, last).await {
                        Ok(resumed) => subscription = resumed,
                        Err(error) => {
                            tracing::error!(target: "unibox::profiles", %error, "could not subscribe to the change log");
                            if error.kind() == ErrorKind::Unsupported {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Subscribes, then runs the worker on a tokio task until [`ProfileWorkerHandle::shutdown`].
    /// Every change after this call returns is seen. `Unsupported` when the store keeps no
    /// change log.
    pub async fn spawn(self) -> Result<ProfileWorkerHandle> {
        let subscription = self.subscribe().await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            self.run_until(subscription, async move {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(ProfileWorkerHandle { stop: Some(stop), task })
    }

    async fn store(&self, profile: &ContactProfile, update: ContactUpdate) -> Result<()> {
        let tenant = self.actor.tenant();
        let id = profile.contact.id;
        self.hub
            .store()
            .workflow
            .update_contact(tenant, id, &update)
            .await
            .map_err(|e| e.with_operation("profiles.store"))?;
        self.hub.workflow_changed(&self.actor, WorkflowEvent::ContactUpdated { contact: id }).await;
        Ok(())
    }

    /// Waits for the account's next call slot and takes it.
    async fn pace(&self, account: ChannelAccountId) {
        let wait_until = {
            let mut next = self.next_call.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = tokio::time::Instant::now();
            let slot = next.get(&account).copied().filter(|slot| *slot > now).unwrap_or(now);
            next.insert(account, slot + self.options.per_account_interval);
            slot
        };
        tokio::time::sleep_until(wait_until).await;
    }

    fn remembered_fresh(&self, contact: ContactId, now: Timestamp) -> bool {
        let fresh = self.fresh.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        fresh.get(&contact).is_some_and(|at| now.duration_since(*at) < self.options.ttl)
    }

    fn remember(&self, contact: ContactId, at: Timestamp) {
        let mut fresh = self.fresh.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if fresh.len() >= REMEMBERED {
            fresh.clear();
        }
        fresh.insert(contact, at);
    }
}

/// When the profile was last asked for, from its attribute.
fn fetched_at(profile: &ContactProfile) -> Option<Timestamp> {
    profile.attributes.get(FETCHED_AT_ATTRIBUTE)?.parse::<i64>().ok().map(Timestamp::from_unix_millis)
}

/// The update that records what the platform said. The display name follows the platform's
/// only while it is empty or still the platform's previous one.
fn update_for(profile: &ContactProfile, platform: &PlatformProfile, now: Timestamp) -> ContactUpdate {
    let mut update = ContactUpdate::new()
        .attribute(FETCHED_AT_ATTRIBUTE, now.as_unix_millis().to_string())
        .remove_attribute(STATUS_ATTRIBUTE);
    if let Some(name) = platform.display_name.as_deref().map(|name| truncate(name, MAX_NAME_BYTES)) {
        let current = profile.contact.display_name.as_deref();
        let previous = profile.attributes.get(NAME_ATTRIBUTE).map(String::as_str);
        if current.is_none() || current == previous {
            update = update.display_name(name);
        }
        update = update.attribute(NAME_ATTRIBUTE, name);
    }
    match platform.picture_url.as_deref() {
        Some(url) if url.len() <= MAX_PICTURE_BYTES => update = update.attribute(PICTURE_ATTRIBUTE, url),
        // The contact removed their picture (or it became unusable): a refresh must not keep
        // showing the old one.
        _ if profile.attributes.contains_key(PICTURE_ATTRIBUTE) => update = update.remove_attribute(PICTURE_ATTRIBUTE),
        _ => {}
    }
    update
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A running [`ProfileWorker`]; dropping it stops the worker after the event it is handling.
#[derive(Debug)]
pub struct ProfileWorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ProfileWorkerHandle {
    /// Stops the worker and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for ProfileWorkerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Contact;

    fn profile(name: Option<&str>, platform_name: Option<&str>) -> ContactProfile {
        let contact = Contact {
            id: ContactId::new(),
            tenant: "acme".parse().unwrap(),
            display_name: name.map(Into::into),
            identities: vec![],
            created_at: Timestamp::from_unix_seconds(0),
        };
        let mut attributes = BTreeMap::new();
        if let Some(previous) = platform_name {
            attributes.insert(NAME_ATTRIBUTE.to_string(), previous.to_string());
        }
        ContactProfile { contact, attributes }
    }

    #[test]
    fn the_platform_name_fills_an_empty_or_platform_given_name_and_never_a_chosen_one() {
        let platform = PlatformProfile::new().with_display_name("Somchai");
        let now = Timestamp::from_unix_seconds(10);
        assert_eq!(update_for(&profile(None, None), &platform, now).display_name, Some(Some("Somchai".into())));
        let previous = profile(Some("Som"), Some("Som"));
        assert_eq!(update_for(&previous, &platform, now).display_name, Some(Some("Somchai".into())));
        let chosen = update_for(&profile(Some("Khun Somchai (VIP)"), Some("Som")), &platform, now);
        assert_eq!(chosen.display_name, None, "the team's name stays");
        assert_eq!(chosen.attributes[NAME_ATTRIBUTE].as_deref(), Some("Somchai"));
        assert_eq!(chosen.attributes[FETCHED_AT_ATTRIBUTE].as_deref(), Some("10000"));
        assert!(chosen.validate().is_ok());
    }

    #[test]
    fn a_refresh_without_a_picture_removes_the_old_one() {
        let mut known = profile(Some("Som"), Some("Som"));
        known.attributes.insert(PICTURE_ATTRIBUTE.to_string(), "https://profile.line-scdn.net/old".to_string());
        let refreshed =
            update_for(&known, &PlatformProfile::new().with_display_name("Som"), Timestamp::from_unix_seconds(9));
        assert_eq!(refreshed.attributes.get(PICTURE_ATTRIBUTE), Some(&None), "the stale picture goes");
        let first = update_for(&profile(None, None), &PlatformProfile::new(), Timestamp::from_unix_seconds(9));
        assert!(!first.attributes.contains_key(PICTURE_ATTRIBUTE), "nothing to remove");
    }

    #[test]
    fn overlong_names_are_cut_on_a_character_boundary_and_overlong_pictures_dropped() {
        let name = "ก".repeat(200); // 600 bytes
        let platform =
            PlatformProfile::new().with_display_name(name).with_picture_url(format!("https://x/{}", "p".repeat(2000)));
        let update = update_for(&profile(None, None), &platform, Timestamp::from_unix_seconds(1));
        let kept = update.display_name.clone().unwrap().unwrap();
        assert!(kept.len() <= MAX_NAME_BYTES && kept.chars().all(|c| c == 'ก'));
        assert!(!update.attributes.contains_key(PICTURE_ATTRIBUTE));
        assert!(update.validate().is_ok());
    }
}
