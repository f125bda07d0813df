//! What order fetches of both platforms share: Lazada and TikTok Shop list an order **one line
//! per unit** (two scarves are two lines), so lines of the same product and SKU are folded into
//! one [`OrderItem`] with a quantity; and an amount sent as a number or a string is kept as
//! decimal text, never a float.

use unibox_core::orders::OrderItem;

/// Folds lines of the same (product, SKU, name, unit price) into one item whose quantity is
/// their sum, keeping the order of first appearance.
///
/// ```
/// use unibox_channel_marketplace::orders::fold_lines;
/// use unibox_core::orders::OrderItem;
/// let line = || OrderItem::new("Thai silk scarf", 1).with_sku("SCARF-RED").with_unit_price("450.00");
/// let folded = fold_lines(vec![line(), OrderItem::new("Gift box", 1), line()]);
/// assert_eq!(folded.len(), 2);
/// assert_eq!((folded[0].name.as_str(), folded[0].quantity), ("Thai silk scarf", 2));
/// ```
pub fn fold_lines(lines: Vec<OrderItem>) -> Vec<OrderItem> {
    let mut items: Vec<OrderItem> = Vec::with_capacity(lines.len());
    for line in lines {
        let same = items.iter_mut().find(|item| {
            item.product_id == line.product_id
                && item.sku == line.sku
                && item.name == line.name
                && item.unit_price == line.unit_price
        });
        match same {
            Some(item) => item.quantity = item.quantity.saturating_add(line.quantity),
            None => items.push(line),
        }
    }
    items
}

/// An amount as decimal text: a JSON number exactly as written, or a non-empty string.
///
/// ```
/// use unibox_channel_marketplace::orders::decimal;
/// assert_eq!(decimal(&serde_json::json!(450.25)).as_deref(), Some("450.25"));
/// assert_eq!(decimal(&serde_json::json!("1200.00")).as_deref(), Some("1200.00"));
/// assert_eq!(decimal(&serde_json::json!("")), None);
/// ```
pub fn decimal(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    }
}
