//! [`Cipher`]: which AEAD seals new values, chosen per deployment and recorded in every blob.

use std::fmt;

/// The authenticated cipher that seals new values (token sets, content sealed with
/// [`Vault::seal`](crate::Vault::seal)) and, in a [`Keyring`](crate::Keyring), wraps new data
/// keys. Whatever is chosen, every blob names its cipher in its first byte, so a store holding
/// values sealed under both opens all of them, and switching the choice needs no migration:
/// old values keep their cipher until they are sealed again.
///
/// - [`XChaCha20Poly1305`](Cipher::XChaCha20Poly1305), the default: 192-bit random nonces
///   (no practical limit on values sealed per key), fast without AES hardware.
/// - [`Aes256GcmSiv`](Cipher::Aes256GcmSiv): AES-256 in GCM-SIV mode (RFC 8452), for
///   deployments that must state "AES-256". Chosen over plain AES-256-GCM because the vault draws
///   nonces at random and GCM's are only 96 bits: a repeated GCM nonce reveals the
///   authentication key and lets anyone forge, while a repeated GCM-SIV nonce only reveals that
///   two identical values were sealed, and GCM-SIV's per-nonce key derivation allows far more
///   values per key at the same safety margin.
///
/// Both are wrapped in the same envelope: HKDF-SHA256 keys per purpose and cipher, a key
/// commitment checked before decryption (neither AEAD commits to its key), and associated data
/// binding tenant, subject, purpose and header.
///
/// ```
/// use unibox_vault::Cipher;
/// assert_eq!(Cipher::default(), Cipher::XChaCha20Poly1305);
/// assert_eq!(Cipher::Aes256GcmSiv.name(), "AES-256-GCM-SIV");
/// assert_eq!("aes-256-gcm-siv".parse::<Cipher>().unwrap(), Cipher::Aes256GcmSiv);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Cipher {
    /// XChaCha20-Poly1305 with a 192-bit random nonce (format byte 1).
    #[default]
    XChaCha20Poly1305,
    /// AES-256-GCM-SIV (RFC 8452) with a 96-bit random nonce (format byte 2).
    Aes256GcmSiv,
}

impl Cipher {
    /// Every cipher the vault opens.
    pub const ALL: [Cipher; 2] = [Cipher::XChaCha20Poly1305, Cipher::Aes256GcmSiv];

    /// The cipher's standard name.
    ///
    /// ```
    /// assert_eq!(unibox_vault::Cipher::XChaCha20Poly1305.name(), "XChaCha20-Poly1305");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Cipher::XChaCha20Poly1305 => "XChaCha20-Poly1305",
            Cipher::Aes256GcmSiv => "AES-256-GCM-SIV",
        }
    }

    /// The first byte of every blob sealed with this cipher. Byte 1 is the original format, so
    /// blobs written before there was a choice open unchanged.
    pub(crate) const fn format_byte(self) -> u8 {
        match self {
            Cipher::XChaCha20Poly1305 => 1,
            Cipher::Aes256GcmSiv => 2,
        }
    }

    pub(crate) const fn from_format_byte(byte: u8) -> Option<Cipher> {
        match byte {
            1 => Some(Cipher::XChaCha20Poly1305),
            2 => Some(Cipher::Aes256GcmSiv),
            _ => None,
        }
    }

    /// The nonce length in the blob's header.
    pub(crate) const fn nonce_len(self) -> usize {
        match self {
            Cipher::XChaCha20Poly1305 => crate::primitives::NONCE_LEN,
            Cipher::Aes256GcmSiv => crate::primitives::AES_NONCE_LEN,
        }
    }

    /// What this cipher's HKDF `info` labels end with. XChaCha20-Poly1305 keeps the original
    /// labels (existing blobs open); AES appends its name, so one derived key never serves two
    /// algorithms (the suffix comes last, where no purpose name can imitate it).
    pub(crate) const fn key_label_suffix(self) -> &'static str {
        match self {
            Cipher::XChaCha20Poly1305 => "",
            Cipher::Aes256GcmSiv => "/aes-256-gcm-siv",
        }
    }
}

impl fmt::Display for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Cipher {
    type Err = unibox_core::Error;

    /// Accepts the standard name in any case (`XChaCha20-Poly1305`, `AES-256-GCM-SIV`), as a
    /// configuration file would spell it.
    fn from_str(text: &str) -> unibox_core::Result<Self> {
        Cipher::ALL.into_iter().find(|cipher| cipher.name().eq_ignore_ascii_case(text.trim())).ok_or_else(|| {
            unibox_core::Error::new(
                unibox_core::ErrorKind::Configuration,
                format!("unknown vault cipher {text:?}; expected XChaCha20-Poly1305 or AES-256-GCM-SIV"),
            )
        })
    }
}
