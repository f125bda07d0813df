/// How a channel answers a webhook delivery none of whose events belongs to a connected
/// account (a page that was disconnected, an account nobody connected yet).
///
/// A delivery that mixes routable and unroutable events is always acknowledged once the
/// routable ones are stored: refusing it would make the platform redeliver events that are
/// already stored and hold every other tenant's messages hostage to one stale account. The
/// unroutable events are counted and recorded without content (see
/// [`Hub::unroutable`](crate::Hub::unroutable)).
///
/// ```
/// use unibox_core::channel::{Capabilities, UnroutableAnswer};
/// // Meta disables an app's webhook after repeated failures, so its channels acknowledge.
/// let meta = Capabilities { unroutable_delivery: UnroutableAnswer::Acknowledge, ..Capabilities::default() };
/// assert_eq!(meta.unroutable_delivery.http_status(), 200);
/// assert_eq!(Capabilities::default().unroutable_delivery, UnroutableAnswer::Refuse);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnroutableAnswer {
    /// Answer `404` (`not_found`): the sender learns the account is not connected and can
    /// retry or alert (Standard Webhooks senders, the default).
    #[default]
    Refuse,
    /// Answer with the channel's acknowledgement: the platform punishes failures harder than
    /// it helps to report them (Meta disables the whole app's webhook after repeated failures).
    Acknowledge,
}

impl UnroutableAnswer {
    /// The HTTP status a wholly unroutable delivery is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            UnroutableAnswer::Refuse => 404,
            UnroutableAnswer::Acknowledge => 200,
        }
    }
}
