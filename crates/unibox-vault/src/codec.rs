//! The plaintext inside a sealed token blob: a small length-prefixed binary encoding of a
//! [`TokenSet`], written into and read from zeroized buffers only.

use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Result, Timestamp, TokenSet};
use zeroize::Zeroizing;

use crate::primitives::unopenable;

const VERSION: u8 = 1;

/// Encodes every field of `tokens`.
pub(crate) fn encode(tokens: &TokenSet) -> Zeroizing<Vec<u8>> {
    let access = tokens.access_token.expose_secret().as_bytes();
    let refresh = tokens.refresh_token.as_ref().map(|t| t.expose_secret().as_bytes());
    let capacity =
        32 + access.len() + refresh.map_or(0, <[u8]>::len) + tokens.scopes.iter().map(|s| s.len() + 4).sum::<usize>();
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    out.push(VERSION);
    put_bytes(&mut out, access);
    match refresh {
        Some(refresh) => {
            out.push(1);
            put_bytes(&mut out, refresh);
        }
        None => out.push(0),
    }
    put_time(&mut out, tokens.expires_at);
    put_time(&mut out, tokens.refresh_expires_at);
    out.extend_from_slice(&(tokens.scopes.len() as u32).to_be_bytes());
    for scope in &tokens.scopes {
        put_bytes(&mut out, scope.as_bytes());
    }
    out
}

/// Decodes what [`encode`] wrote; anything else is the vault's opaque "cannot open" error.
pub(crate) fn decode(bytes: &[u8]) -> Result<TokenSet> {
    let mut reader = Reader(bytes);
    if reader.byte()? != VERSION {
        return Err(unopenable());
    }
    let access = reader.secret()?;
    let refresh = match reader.byte()? {
        0 => None,
        1 => Some(reader.secret()?),
        _ => return Err(unopenable()),
    };
    let expires_at = reader.time()?;
    let refresh_expires_at = reader.time()?;
    let count = reader.u32()?;
    let mut scopes = Vec::new();
    for _ in 0..count {
        scopes.push(String::from_utf8(reader.bytes()?.to_vec()).map_err(|_| unopenable())?);
    }
    if !reader.0.is_empty() {
        return Err(unopenable());
    }
    Ok(TokenSet { access_token: access, refresh_token: refresh, expires_at, refresh_expires_at, scopes })
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_time(out: &mut Vec<u8>, at: Option<Timestamp>) {
    match at {
        Some(at) => {
            out.push(1);
            out.extend_from_slice(&at.as_unix_millis().to_be_bytes());
        }
        None => out.push(0),
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(unopenable());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn secret(&mut self) -> Result<SecretString> {
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| unopenable())?;
        Ok(SecretString::from(text))
    }

    fn time(&mut self) -> Result<Option<Timestamp>> {
        match self.byte()? {
            0 => Ok(None),
            1 => {
                let bytes: [u8; 8] = self.take(8)?.try_into().map_err(|_| unopenable())?;
                Ok(Some(Timestamp::from_unix_millis(i64::from_be_bytes(bytes))))
            }
            _ => Err(unopenable()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let mut tokens = TokenSet::new("EAAG-access")
            .with_refresh_token("refresh-1")
            .expiring_at(Timestamp::from_unix_seconds(1_800_000_000));
        tokens.refresh_expires_at = Some(Timestamp::from_unix_millis(-5));
        tokens.scopes = vec!["pages_messaging".into(), "".into()];
        let decoded = decode(&encode(&tokens)).unwrap();
        assert_eq!(decoded.access_token.expose_secret(), "EAAG-access");
        assert_eq!(decoded.refresh_token.unwrap().expose_secret(), "refresh-1");
        assert_eq!(decoded.expires_at, tokens.expires_at);
        assert_eq!(decoded.refresh_expires_at, tokens.refresh_expires_at);
        assert_eq!(decoded.scopes, tokens.scopes);
    }

    #[test]
    fn truncated_or_extended_encodings_are_refused() {
        let encoded = encode(&TokenSet::new("abc").with_refresh_token("r"));
        for len in 0..encoded.len() {
            assert!(decode(&encoded[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut longer = encoded.to_vec();
        longer.push(0);
        assert!(decode(&longer).is_err());
    }
}
