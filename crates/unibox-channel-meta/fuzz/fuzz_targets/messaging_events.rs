//! Messenger and Instagram event parsing: any bytes give events or MalformedPayload, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_meta::messaging::{MessagingPlatform, parse_events};
use unibox_core::ErrorKind;

fuzz_target!(|body: &[u8]| {
    for platform in [MessagingPlatform::messenger(), MessagingPlatform::instagram()] {
        if let Err(error) = parse_events(&platform, body) {
            assert_eq!(error.kind(), ErrorKind::MalformedPayload);
        }
    }
});
