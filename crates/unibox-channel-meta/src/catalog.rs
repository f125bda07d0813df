//! Meta's commerce catalog as a [`ProductSource`]: the products WhatsApp and Instagram product
//! messages show, read page by page from the Graph API (`GET /{catalog-id}/products` with
//! `fields=id,retailer_id,name,price,currency,image_url,url,availability,inventory`, paged by
//! the `after` cursor) into the tenant's catalog.
//!
//! A product's id in unibox is its `retailer_id` (the content id a WhatsApp cart's
//! `product_retailer_id` and a product message name), falling back to Meta's id. Graph writes
//! `price` formatted for display (`$459.00`, `฿1,200.00`, `1.200,00 €`); the amount is kept as
//! decimal text (`459.00`, `1200.00`). The token needs the `catalog_management` permission (a
//! system-user token of the business that owns the catalog).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::catalog::{Product, ProductPage, ProductSource};
use unibox_core::{ChannelAccount, Clock, Error, ErrorKind, Result};

use crate::GraphClient;

/// The fields read for each product.
pub const CATALOG_FIELDS: &str = "id,retailer_id,name,price,currency,image_url,url,availability,inventory";
/// Products per page.
const PRODUCTS_PER_PAGE: &str = "100";

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<WireProduct>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
    /// Present only when there is a next page.
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

#[derive(Deserialize)]
struct WireProduct {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    retailer_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    image_url: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    availability: Option<String>,
    #[serde(default)]
    inventory: Option<u64>,
}

/// The amount of a price Graph formatted for display, as decimal text with a `.` point and no
/// grouping; `None` when it holds no digits.
///
/// The last `.` or `,` followed by one or two digits at the end is the decimal point; every
/// other `.`, `,`, space and symbol is dropped.
///
/// ```
/// use unibox_channel_meta::catalog::price_amount;
/// assert_eq!(price_amount("$459.00").as_deref(), Some("459.00"));
/// assert_eq!(price_amount("฿1,200.00").as_deref(), Some("1200.00"));
/// assert_eq!(price_amount("1.200,50 €").as_deref(), Some("1200.50"));
/// assert_eq!(price_amount("Rp 150.000").as_deref(), Some("150000"));
/// assert_eq!(price_amount("free"), None);
/// ```
pub fn price_amount(formatted: &str) -> Option<String> {
    let kept: String = formatted.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',').collect();
    let kept = kept.trim_matches(|c| c == '.' || c == ',');
    if !kept.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let point = kept.rfind(['.', ',']).filter(|&at| (1..=2).contains(&(kept.len() - at - 1)));
    let digits = |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>();
    Some(match point {
        Some(at) => format!("{}.{}", digits(&kept[..at]), digits(&kept[at + 1..])),
        None => digits(kept),
    })
}

/// Which Meta catalog each channel account sells from: the WhatsApp number's (phone number
/// id) or the Instagram account's, keyed by the account's platform id.
///
/// ```
/// use unibox_channel_meta::catalog::MetaCatalogs;
/// let catalogs = MetaCatalogs::new().with("106540352242922", "354160437058781");
/// assert_eq!(catalogs.of("106540352242922"), Some("354160437058781"));
/// assert_eq!(catalogs.of("17841400000000000"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaCatalogs(HashMap<String, String>);

impl MetaCatalogs {
    /// No catalogs.
    pub fn new() -> Self {
        MetaCatalogs::default()
    }

    /// With the account `platform_account_id` selling from `catalog_id`.
    pub fn with(mut self, platform_account_id: impl Into<String>, catalog_id: impl Into<String>) -> Self {
        self.0.insert(platform_account_id.into(), catalog_id.into());
        self
    }

    /// The catalog of the account, if configured.
    pub fn of(&self, platform_account_id: &str) -> Option<&str> {
        self.0.get(platform_account_id).map(String::as_str)
    }

    /// Whether none is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Deserialize)]
struct IdPage {
    #[serde(default)]
    data: Vec<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    retailer_id: Option<String>,
}

/// Meta's own id of the product whose `retailer_id` is `retailer_id` in `catalog`, which the
/// Messenger and Instagram product template names (unibox's catalog keeps the retailer id):
/// `GET /{catalog-id}/products?filter={"retailer_id":{"eq":…}}&fields=id,retailer_id`.
/// `NotFound` when the catalog has no such product.
///
/// ```no_run
/// # async fn lookup(graph: unibox_channel_meta::GraphClient, token: secrecy::SecretString) -> unibox_core::Result<()> {
/// let id = unibox_channel_meta::catalog::meta_product_id(&graph, "354160437058781", "SKU-DESK-117", &token).await?;
/// println!("send the product template with elements: [{{\"id\": \"{id}\"}}]");
/// # Ok(()) }
/// ```
pub async fn meta_product_id(
    graph: &GraphClient,
    catalog: &str,
    retailer_id: &str,
    token: &SecretString,
) -> Result<String> {
    const OP: &str = "meta.catalog.product_id";
    if catalog.is_empty() || !catalog.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(ErrorKind::Configuration, "a Meta catalog id is digits").with_operation(OP));
    }
    if retailer_id.trim().is_empty() || retailer_id.len() > 100 {
        return Err(
            Error::new(ErrorKind::InvalidInput, "a product's retailer id is 1 to 100 characters").with_operation(OP)
        );
    }
    let filter = serde_json::json!({ "retailer_id": { "eq": retailer_id } }).to_string();
    let page: IdPage = graph
        .get(
            &format!("{catalog}/products"),
            &[("fields", "id,retailer_id"), ("filter", filter.as_str()), ("limit", "2")],
            Some(token),
        )
        .await
        .map_err(|e| e.with_operation(OP))?;
    page.data
        .into_iter()
        .find(|p| p.retailer_id.as_deref() == Some(retailer_id))
        .and_then(|p| p.id.filter(|id| !id.is_empty()))
        .ok_or_else(|| {
            Error::new(ErrorKind::NotFound, "the account's Meta catalog has no product with this retailer id")
                .with_operation(OP)
                .with_context("product", retailer_id)
        })
}

/// Lists a Meta catalog's products for the accounts [`MetaCatalogs`] names, through a
/// [`GraphClient`]. The WhatsApp and Instagram channels offer one through
/// [`Channel::catalog`](unibox_core::Channel::catalog) when catalogs are configured.
///
/// ```
/// use std::sync::Arc;
/// use unibox_channel_meta::GraphClient;
/// use unibox_channel_meta::catalog::{MetaCatalogSource, MetaCatalogs};
/// use unibox_core::SystemClock;
/// use unibox_core::http::ReqwestClient;
/// let graph = GraphClient::new(Arc::new(ReqwestClient::new()));
/// let source = MetaCatalogSource::new(graph, MetaCatalogs::new().with("106540352242922", "354160437058781"), Arc::new(SystemClock));
/// assert_eq!(source.catalogs().of("106540352242922"), Some("354160437058781"));
/// ```
#[derive(Clone)]
pub struct MetaCatalogSource {
    graph: GraphClient,
    catalogs: MetaCatalogs,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for MetaCatalogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaCatalogSource").field("graph", &self.graph).field("catalogs", &self.catalogs).finish()
    }
}

impl MetaCatalogSource {
    /// A source reading `catalogs` through `graph`, stamping products with `clock`'s time.
    pub fn new(graph: GraphClient, catalogs: MetaCatalogs, clock: Arc<dyn Clock>) -> Self {
        MetaCatalogSource { graph, catalogs, clock }
    }

    /// The configured catalogs.
    pub fn catalogs(&self) -> &MetaCatalogs {
        &self.catalogs
    }
}

#[async_trait]
impl ProductSource for MetaCatalogSource {
    async fn list_products(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<ProductPage> {
        const OP: &str = "meta.catalog.list";
        let catalog = self.catalogs.of(&account.platform_account_id).ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "no Meta catalog is configured for this account")
                .with_operation(OP)
                .with_context("account", account.id)
        })?;
        if catalog.is_empty() || !catalog.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::Configuration, "a Meta catalog id is digits").with_operation(OP));
        }
        let token = access_token.ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "no access token is stored for this account").with_operation(OP)
        })?;
        if from.is_some_and(|cursor| cursor.is_empty() || cursor.len() > 1024) {
            return Err(Error::new(ErrorKind::InvalidInput, "not a Graph paging cursor").with_operation(OP));
        }
        let mut query = vec![("fields", CATALOG_FIELDS), ("limit", PRODUCTS_PER_PAGE)];
        if let Some(cursor) = from {
            query.push(("after", cursor));
        }
        let page: Page = self
            .graph
            .get(&format!("{catalog}/products"), &query, Some(token))
            .await
            .map_err(|e| e.with_operation(OP).with_context("account", account.id))?;
        let now = self.clock.now();
        let any = !page.data.is_empty();
        let products = page
            .data
            .into_iter()
            .filter_map(|wire| {
                let id = wire.retailer_id.filter(|r| !r.is_empty()).or(wire.id.filter(|i| !i.is_empty()))?;
                let mut product = Product::new(account.tenant.clone(), account.id, id, wire.name, now);
                if let (Some(amount), Some(currency)) =
                    (wire.price.as_deref().and_then(price_amount), wire.currency.filter(|c| !c.is_empty()))
                {
                    product = product.with_price(amount, currency);
                }
                if let Some(image) = wire.image_url.and_then(|u| u.parse().ok()) {
                    product = product.with_image(image);
                }
                if let Some(link) = wire.url.and_then(|u| u.parse().ok()) {
                    product = product.with_link(link);
                }
                let stock = wire.inventory.or_else(|| {
                    wire.availability.as_deref().filter(|a| a.eq_ignore_ascii_case("out of stock")).map(|_| 0)
                });
                if let Some(stock) = stock {
                    product = product.with_stock(stock);
                }
                Some(product)
            })
            .collect();
        let next = page
            .paging
            .filter(|p| p.next.is_some() && any)
            .and_then(|p| p.cursors?.after)
            .filter(|after| !after.is_empty());
        Ok(ProductPage::new(products, next))
    }
}
