//! Read receipts: telling the customer their messages were read.

use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::WhatsAppChannel;
use crate::channel::phone_number_id;

/// `{"success": true}`.
#[derive(Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}

impl WhatsAppChannel {
    /// Marks an inbound message, and every earlier one of the conversation, as read: the
    /// customer sees blue ticks (`POST /{phone_number_id}/messages` with `status: "read"`).
    pub async fn mark_as_read(
        &self,
        account: &ChannelAccount,
        access_token: &SecretString,
        message_id: &str,
    ) -> Result<()> {
        const OPERATION: &str = "whatsapp.mark_read";
        let graph = self.graph(OPERATION)?;
        let phone_number_id = phone_number_id(account, OPERATION)?;
        if message_id.is_empty() {
            return Err(
                Error::new(ErrorKind::InvalidInput, "mark_as_read needs the message's wamid").with_operation(OPERATION)
            );
        }
        let answer: Success = graph
            .post_json(
                &format!("{phone_number_id}/messages"),
                access_token,
                &crate::outbound::mark_read_body(message_id),
            )
            .await
            .map_err(|e| crate::error_map::refine(e, OPERATION))?;
        if !answer.success {
            return Err(Error::new(ErrorKind::PlatformRejected, "WhatsApp did not confirm the read receipt")
                .with_operation(OPERATION));
        }
        Ok(())
    }
}
