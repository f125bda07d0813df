//! Request signing of the Shopee Open Platform v2: `sign` = lowercase hex of HMAC-SHA256 over
//! the base string, keyed with the partner key.
//!
//! The base string is a plain concatenation, no separators: `partner_id + api_path +
//! timestamp`, followed by `access_token + shop_id` for shop-level calls or `access_token +
//! merchant_id` for merchant-level ones. Public calls (the authorization link, token exchange
//! and refresh) stop after the timestamp.

use unibox_core::channel::{hex, signature};

/// Who a call acts for, which decides the tail of the base string.
///
/// ```
/// use unibox_channel_shopee::SignedCall;
/// let call = SignedCall::Shop { access_token: "59777174636562737266615546704c6d", shop_id: 14701711 };
/// assert_eq!(
///     call.base_string(2001887, "/api/v2/shop/get_shop_info", 1655714431),
///     "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711",
/// );
/// ```
#[derive(Clone, Copy)]
pub enum SignedCall<'a> {
    /// A public call (`auth/token/get`, `auth/access_token/get`, `shop/auth_partner`).
    Public,
    /// A shop-level call.
    Shop {
        /// The shop's access token.
        access_token: &'a str,
        /// The shop.
        shop_id: u64,
    },
    /// A merchant-level call (cross-border sellers).
    Merchant {
        /// The merchant's access token.
        access_token: &'a str,
        /// The merchant.
        merchant_id: u64,
    },
}

impl std::fmt::Debug for SignedCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignedCall::Public => f.write_str("Public"),
            SignedCall::Shop { shop_id, .. } => write!(f, "Shop {{ shop_id: {shop_id}, access_token: [REDACTED] }}"),
            SignedCall::Merchant { merchant_id, .. } => {
                write!(f, "Merchant {{ merchant_id: {merchant_id}, access_token: [REDACTED] }}")
            }
        }
    }
}

impl SignedCall<'_> {
    /// The base string Shopee signs (it contains the access token: never log it).
    pub fn base_string(&self, partner_id: u64, api_path: &str, timestamp: i64) -> String {
        let mut base = format!("{partner_id}{api_path}{timestamp}");
        match self {
            SignedCall::Public => {}
            SignedCall::Shop { access_token, shop_id } => {
                base.push_str(access_token);
                base.push_str(&shop_id.to_string());
            }
            SignedCall::Merchant { access_token, merchant_id } => {
                base.push_str(access_token);
                base.push_str(&merchant_id.to_string());
            }
        }
        base
    }

    /// The `sign` query parameter: lowercase hex of HMAC-SHA256(partner key, base string).
    ///
    /// ```
    /// use unibox_channel_shopee::SignedCall;
    /// let sign = SignedCall::Public.sign("partner-key", 2001887, "/api/v2/public/get_shops_by_partner", 1655714431);
    /// assert_eq!(sign.len(), 64);
    /// assert!(sign.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    /// ```
    pub fn sign(&self, partner_key: &str, partner_id: u64, api_path: &str, timestamp: i64) -> String {
        let base = self.base_string(partner_id, api_path, timestamp);
        hex::encode(&signature::hmac_sha256(partner_key.as_bytes(), &[base.as_bytes()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shopee's official examples ("API calls", Signature calculation, step 1).
    #[test]
    fn the_official_base_strings() {
        let shop = SignedCall::Shop { access_token: "59777174636562737266615546704c6d", shop_id: 14701711 };
        assert_eq!(
            shop.base_string(2001887, "/api/v2/shop/get_shop_info", 1655714431),
            "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
        );
        let merchant = SignedCall::Merchant { access_token: "09777174636962737266615546704c6d", merchant_id: 1000000 };
        assert_eq!(
            merchant.base_string(2001887, "/api/v2/global_product/get_category", 1655714431),
            "2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000"
        );
        assert_eq!(
            SignedCall::Public.base_string(2001887, "/api/v2/public/get_shops_by_partner", 1655714431),
            "2001887/api/v2/public/get_shops_by_partner1655714431"
        );
    }

    // Computed independently with Python's hmac module:
    // hmac.new(b"partner-key-for-tests", base.encode(), hashlib.sha256).hexdigest()
    #[test]
    fn the_sign_is_lowercase_hex_hmac_sha256_of_the_base_string() {
        let shop = SignedCall::Shop { access_token: "59777174636562737266615546704c6d", shop_id: 14701711 };
        assert_eq!(shop.sign("partner-key-for-tests", 2001887, "/api/v2/shop/get_shop_info", 1655714431), SHOP_SIGN);
        assert_eq!(
            SignedCall::Public.sign(
                "partner-key-for-tests",
                2001887,
                "/api/v2/public/get_shops_by_partner",
                1655714431
            ),
            PUBLIC_SIGN
        );
    }

    const SHOP_SIGN: &str = "493935f875a472a98add12909561dd5f145ded4f4c1658650e249163da64313f";
    const PUBLIC_SIGN: &str = "e47e6ff88462930969d176cc150cd2331ad657bc3fb3b5d00e85963388f5809b";

    #[test]
    fn debug_hides_the_access_token() {
        let shop = SignedCall::Shop { access_token: "59777174636562737266615546704c6d", shop_id: 14701711 };
        assert!(!format!("{shop:?}").contains("5977717463"));
    }
}
