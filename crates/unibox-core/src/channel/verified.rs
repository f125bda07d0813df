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
/// ```
/// use unibox_core::channel::{signature, Verified, WebhookRequest};
/// let request = WebhookRequest::post("https://example.com/hook".parse().unwrap(), "{}");
/// let proof = signature::secrets_match(b"token", b"token").unwrap();
/// let verified = Verified::new(&request, proof);
/// assert_eq!(verified.body(), b"{}");
/// ```
#[derive(Debug)]
pub struct Verified<'r> {
    request: &'r WebhookRequest,
    _proof: SignatureProof,
}

impl<'r> Verified<'r> {
    /// Pairs a request with the proof that it was checked.
    pub fn new(request: &'r WebhookRequest, proof: SignatureProof) -> Self {
        Verified { request, _proof: proof }
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
