//! [`Purpose`]: what a sealed value is, so a key derived for one purpose never opens another.

use std::fmt;

/// What a sealed value is for. Each purpose gets its own keys (derived with HKDF from the
/// tenant's data key) and is bound into the associated data, so a token blob can never be
/// opened as message content or as a data key, and the other way round.
///
/// ```
/// use unibox_vault::Purpose;
/// assert_eq!(Purpose::TOKENS.as_str(), "tokens");
/// assert_ne!(Purpose::TOKENS, Purpose::new("conversation-content"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Purpose(&'static str);

impl Purpose {
    /// A channel account's platform tokens.
    pub const TOKENS: Purpose = Purpose("tokens");
    /// A tenant's data key, wrapped under a key-encryption key.
    pub const DATA_KEY: Purpose = Purpose("data-key");

    /// A purpose of your own (for example sealed conversation content). Use lowercase kebab-case
    /// and never reuse a name for something else.
    pub const fn new(name: &'static str) -> Self {
        Purpose(name)
    }

    /// The purpose's name, as bound into keys and associated data.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Purpose({})", self.0)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
