//! The vault's XChaCha20-Poly1305 (an HChaCha20 subkey, then aws-lc-rs's ChaCha20-Poly1305)
//! against RustCrypto's `XChaCha20Poly1305`, which sealed every value before it: byte-identical
//! output for every length from 0 to 1,100 bytes and a few large ones, with and without
//! associated data, and each opens the other's blobs. So values sealed by earlier releases open,
//! and values sealed now open with any XChaCha20-Poly1305. The Wycheproof vectors
//! (`tests/wycheproof.rs`) check the same primitives against the specification.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use unibox_vault::primitives;

/// A deterministic stream of bytes (xorshift), so a failure names a reproducible case.
struct Bytes(u64);

impl Bytes {
    fn take(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0 as u8
            })
            .collect()
    }
}

#[test]
fn the_vault_and_rustcrypto_seal_the_same_bytes_and_open_each_other() {
    let mut bytes = Bytes(0x5EED_1234_ABCD_0001);
    let lengths = (0..=1_100).chain([4_095, 4_096, 4_097, 65_537]);
    let mut cases = 0;
    for len in lengths {
        let (key, nonce) = (bytes.take(32), bytes.take(24));
        let aad = bytes.take(len % 97);
        let message = bytes.take(len);
        let reference = XChaCha20Poly1305::new_from_slice(&key).unwrap();
        let theirs =
            reference.encrypt(nonce.as_slice().try_into().unwrap(), Payload { msg: &message, aad: &aad }).unwrap();
        let cipher = primitives::xchacha_cipher(&key).unwrap();
        let ours = primitives::xchacha_seal(&cipher, &nonce, &aad, &message).unwrap();
        assert_eq!(ours, theirs, "length {len}: the same ciphertext and tag");
        assert_eq!(primitives::xchacha_open(&cipher, &nonce, &aad, &theirs).unwrap().as_slice(), message);
        let opened = reference.decrypt(nonce.as_slice().try_into().unwrap(), Payload { msg: &ours, aad: &aad });
        assert_eq!(opened.unwrap(), message, "length {len}: RustCrypto opens ours");
        // One flipped bit anywhere, or other associated data: nothing opens.
        let mut altered = ours.clone();
        altered[len / 2] ^= 0x01;
        assert!(primitives::xchacha_open(&cipher, &nonce, &aad, &altered).is_err(), "length {len}: altered");
        assert!(primitives::xchacha_open(&cipher, &nonce, b"elsewhere", &ours).is_err(), "length {len}: other aad");
        cases += 1;
    }
    assert_eq!(cases, 1_105);
}

#[test]
fn wrong_sizes_are_typed_errors() {
    assert!(primitives::xchacha_cipher(&[0; 31]).is_err());
    let cipher = primitives::xchacha_cipher(&[0; 32]).unwrap();
    assert!(primitives::xchacha_seal(&cipher, &[0; 12], b"", b"x").is_err(), "a 96-bit nonce is refused");
    assert!(primitives::xchacha_open(&cipher, &[0; 24], b"", &[0; 15]).is_err(), "shorter than a tag");
}
