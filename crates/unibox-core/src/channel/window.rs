use std::time::Duration;

use crate::{Content, ContentKind, Error, ErrorKind, Timestamp};

/// A platform rule limiting when the business may message a customer, measured from the
/// customer's last message (Meta's 24-hour customer-service window, for example).
///
/// ```
/// use std::time::Duration;
/// use unibox_core::channel::{MessagingWindow, OutsideWindow};
/// use unibox_core::{Content, ErrorKind, Timestamp};
/// let window = MessagingWindow {
///     free_form: Duration::from_secs(24 * 3600),
///     human_agent: None,
///     outside: OutsideWindow::TemplatesOnly,
/// };
/// let last = Timestamp::from_unix_seconds(0);
/// let now = Timestamp::from_unix_seconds(25 * 3600);
/// let err = window.check(Some(last), now, &Content::text("hi"), false).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MessagingWindowClosed);
/// assert!(err.message().contains("template"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagingWindow {
    /// How long after the customer's last message any content may be sent.
    pub free_form: Duration,
    /// A longer window for messages a human agent sends with the platform's human-agent tag
    /// (Messenger and Instagram: 7 days).
    pub human_agent: Option<Duration>,
    /// What may be sent once the window has closed.
    pub outside: OutsideWindow,
}

/// What a channel allows outside its messaging window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutsideWindow {
    /// Only pre-approved templates (WhatsApp).
    TemplatesOnly,
    /// Nothing until the customer writes again.
    Nothing,
}

impl MessagingWindow {
    /// Checks whether `content` may be sent now. `human_agent` says the sender is a person and
    /// the platform's human-agent tag will be used.
    ///
    /// A refusal is [`ErrorKind::MessagingWindowClosed`] and says what is allowed instead.
    pub fn check(
        &self,
        last_inbound_at: Option<Timestamp>,
        now: Timestamp,
        content: &Content,
        human_agent: bool,
    ) -> Result<(), Error> {
        let open_for = match (human_agent, self.human_agent) {
            (true, Some(longer)) => longer.max(self.free_form),
            _ => self.free_form,
        };
        let is_open = last_inbound_at.is_some_and(|last| now < last.saturating_add(open_for));
        if is_open {
            return Ok(());
        }
        if self.outside == OutsideWindow::TemplatesOnly && content.kind() == ContentKind::Template {
            return Ok(());
        }
        let hours = open_for.as_secs() / 3600;
        let since = match last_inbound_at {
            Some(last) => format!("the customer last wrote at {last}"),
            None => "the customer has never written".to_string(),
        };
        let instead = match self.outside {
            OutsideWindow::TemplatesOnly => "send an approved template message instead",
            OutsideWindow::Nothing => "wait until the customer writes again",
        };
        Err(Error::new(
            ErrorKind::MessagingWindowClosed,
            format!("the {hours}-hour messaging window is closed ({since}); {instead}"),
        ))
    }
}
