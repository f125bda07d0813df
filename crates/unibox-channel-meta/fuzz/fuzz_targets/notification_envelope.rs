//! The shared `{"object", "entry"}` envelope (WhatsApp reads its `changes` from it too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_meta::{fingerprint, parse_notification};
use unibox_core::ErrorKind;

fuzz_target!(|body: &[u8]| {
    match parse_notification(body) {
        Ok(notification) => {
            for entry in &notification.entry {
                for change in &entry.changes {
                    let _ = fingerprint(change.value.get());
                }
            }
        }
        Err(error) => assert_eq!(error.kind(), ErrorKind::MalformedPayload),
    }
});
