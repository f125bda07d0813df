//! The send: one `POST` to the Messages resource with HTTP Basic credentials from the token
//! store, and the SMS segments Twilio bills reported on the receipt.
//!
//! Twilio's Messages resource takes no idempotency key, so this send is not idempotent: a
//! request whose answer is lost after it was written (timeout, broken connection, a 500, 502 or
//! 504) is `DeliveryUnknown` and marked not to be retried automatically; it is surfaced for a
//! person to check the Messages log (or a status callback may still name it). Only a request
//! Twilio certainly did not process (no connection, 429 / 20429, 503) is retried.

use serde::Deserialize;
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::metering::UsageMetric;
use unibox_core::{Error, ErrorKind, Result};

use super::{OPERATION, outgoing};
use crate::error_map::{self, Call};
use crate::{TwilioChannel, TwilioCredentials};

/// The fields of the created Message resource the channel reads.
#[derive(Deserialize)]
struct Created {
    #[serde(default)]
    sid: Option<String>,
    /// A string in Twilio's JSON (`"2"`); accepted as a number too.
    #[serde(default)]
    num_segments: Option<serde_json::Value>,
}

fn segments_of(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::String(text) => text.trim().parse().ok(),
        serde_json::Value::Number(number) => number.as_u64(),
        _ => None,
    }
    .filter(|segments| *segments > 0)
}

impl TwilioChannel {
    pub(crate) async fn deliver(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let api = self.api(OPERATION)?;
        let account_sid = self.account_sid(OPERATION)?;
        let stored = request.access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "no Twilio credentials are stored for this account: store TwilioCredentials::to_token_set() \
                 (the Auth Token or an API key) when connecting it",
            )
            .with_operation(OPERATION)
            .with_context("account", request.account.id)
        })?;
        let credentials = TwilioCredentials::from_stored(stored).map_err(|e| e.with_operation(OPERATION))?;
        let outgoing = outgoing(&self.config, request.account, request.recipient, request.content)?;
        let response = api
            .post_form(
                &format!("2010-04-01/Accounts/{account_sid}/Messages.json"),
                &credentials.basic_authorization(account_sid),
                outgoing.form,
            )
            .await
            .map_err(|e| error_map::from_transport(Call::Send, e).with_operation(OPERATION))?;
        if !response.status().is_success() {
            return Err(error_map::from_response(Call::Send, &response)
                .with_operation(OPERATION)
                .with_context("account", request.account.id));
        }
        let created: Option<Created> = serde_json::from_slice(response.body()).ok();
        let Some(created) = created.filter(|c| c.sid.as_deref().is_some_and(|s| !s.is_empty())) else {
            return Err(Error::new(
                ErrorKind::DeliveryUnknown,
                "Twilio accepted the request but named no message SID: check the Messages log before resending",
            )
            .persistent()
            .with_operation(OPERATION));
        };
        let segments = segments_of(created.num_segments.as_ref());
        let mut receipt = SendReceipt::new(created.sid.unwrap_or_default());
        if !outgoing.whatsapp {
            // What Twilio bills; the adapter's own GSM-7 / UCS-2 count when it says nothing.
            let segments = segments.unwrap_or(u64::from(outgoing.own_segments));
            receipt = receipt.with_usage(UsageMetric::SmsSegments, segments);
        }
        Ok(receipt)
    }
}
