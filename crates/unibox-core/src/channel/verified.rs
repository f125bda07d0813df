use std::any::Any;
use std::fmt;
use std::sync::Mutex;

use crate::channel::WebhookRequest;

/// Evidence that a constant-time authenticity check passed.
///
/// Only the functions of [`signature`](crate::channel::signature) create it, so a
/// [`Verified`] request cannot be made without running one of them.
#[derive(Debug)]
pub struct SignatureProof {
    _private: (),
}

impl SignatureProof {
    pub(crate) fn new() -> Self {
        SignatureProof { _private: () }
    }
}

/// A webhook request whose authenticity was checked. [`Channel::parse`](crate::Channel::parse)
/// accepts only this type.
///
/// It can carry one value a channel prepared while verifying, for its `parse` to take: a
/// channel that must decode the body to check its signature (Twilio signs every form parameter)
/// keeps what it decoded instead of decoding twice. The slot is typed: `take_prepared::<T>`
/// returns only a value of type `T`, once.
///
/// ```
/// use unibox_core::channel::{signature, Verified, WebhookRequest};
/// let request = WebhookRequest::post("https://example.com/hook".parse().unwrap(), "{}");
/// let proof = signature::secrets_match(b"token", b"token").unwrap();
/// let verified = Verified::new(&request, proof);
/// assert_eq!(verified.body(), b"{}");
///
/// // What verify decoded, handed to parse.
/// let proof = signature::secrets_match(b"token", b"token").unwrap();
/// let verified = Verified::new(&request, proof).with_prepared(vec![("Body", "hi")]);
/// assert_eq!(verified.take_prepared::<String>(), None, "another type is not taken");
/// assert_eq!(verified.take_prepared::<Vec<(&str, &str)>>(), Some(vec![("Body", "hi")]));
/// assert_eq!(verified.take_prepared::<Vec<(&str, &str)>>(), None, "taken once");
/// ```
pub struct Verified<'r> {
    request: &'r WebhookRequest,
    _proof: SignatureProof,
    prepared: Mutex<Option<Box<dyn Any + Send>>>,
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prepared = self.prepared.lock().map(|slot| slot.is_some()).unwrap_or(false);
        f.debug_struct("Verified").field("request", &self.request).field("prepared", &prepared).finish()
    }
}

impl<'r> Verified<'r> {
    /// Pairs a request with the proof that it was checked.
    pub fn new(request: &'r WebhookRequest, proof: SignatureProof) -> Self {
        Verified { request, _proof: proof, prepared: Mutex::new(None) }
    }

    /// Keeps `prepared` (what verifying decoded) for [`take_prepared`](Verified::take_prepared);
    /// replaces anything kept before.
    pub fn with_prepared<T: Send + 'static>(self, prepared: T) -> Self {
        *self.prepared.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Box::new(prepared));
        self
    }

    /// The value kept by [`with_prepared`](Verified::with_prepared), if it is a `T`, removed; a
    /// value of another type stays.
    pub fn take_prepared<T: Send + 'static>(&self) -> Option<T> {
        let mut slot = self.prepared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !slot.as_ref().is_some_and(|kept| kept.is::<T>()) {
            return None;
        }
        slot.take().and_then(|kept| kept.downcast::<T>().ok()).map(|kept| *kept)
    }

    /// The request.
    pub fn request(&self) -> &'r WebhookRequest {
        self.request
    }

    /// The body's exact bytes.
    pub fn body(&self) -> &'r [u8] {
        &self.request.body
    }
}
