//! [`UsageMeter`] for [`PostgresInbox`]: usage counters (table `usage_counters`, migration
//! `0024_metering.sql`), one row per tenant, day, channel and metric, summed in place.

use async_trait::async_trait;
use unibox_core::metering::{UsageCounter, UsageDay, UsageIncrement, UsageMeter, UsageQuery, sort_counters};
use unibox_core::{ChannelKind, Result, TenantId};

use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;

#[async_trait]
impl UsageMeter for PostgresInbox {
    async fn add(&self, increments: &[UsageIncrement]) -> Result<()> {
        const OP: &str = "postgres.metering.add";
        let mut rows: Vec<(String, i64, String, String, i64)> = increments
            .iter()
            .map(|i| {
                let quantity = i64::try_from(i.quantity).map_err(|_| corrupt(OP, "usage quantity"))?;
                let channel = i.channel.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default();
                Ok((i.tenant.as_str().to_owned(), UsageDay::of(i.at).0, channel, i.metric.name(), quantity))
            })
            .collect::<Result<_>>()?;
        let Some(first) = increments.first() else { return Ok(()) };
        // Rows in key order: two concurrent calls lock the same counters in the same order (no
        // deadlock), and each tenant's rows are together.
        rows.sort();
        // One transaction for the whole call (all increments or none), scoped to each tenant
        // in turn: the row-level security policies see one tenant at a time.
        self.db
            .tenant_tx(OP, &first.tenant, move |tx| {
                Box::pin(async move {
                    let scope = tx.prepare_cached("SELECT set_config('unibox.tenant', $1, true)").await.during(OP)?;
                    let upsert = tx
                        .prepare_cached(
                            "INSERT INTO usage_counters (tenant, day, channel, metric, quantity) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, day, channel, metric) \
                             DO UPDATE SET quantity = usage_counters.quantity + excluded.quantity",
                        )
                        .await
                        .during(OP)?;
                    let mut scoped: Option<&str> = None;
                    for (tenant, day, channel, metric, quantity) in &rows {
                        if scoped != Some(tenant.as_str()) {
                            tx.execute(&scope, &[tenant]).await.during(OP)?;
                            scoped = Some(tenant.as_str());
                        }
                        tx.execute(&upsert, &[tenant, day, channel, metric, quantity]).await.during(OP)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn usage(&self, tenant: &TenantId, query: &UsageQuery) -> Result<Vec<UsageCounter>> {
        const OP: &str = "postgres.metering.usage";
        query.validate()?;
        let name = tenant.as_str().to_owned();
        let query = query.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT day, channel, metric, quantity FROM usage_counters \
                             WHERE tenant = $1 AND day >= $2 AND day < $3",
                        )
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&name, &query.from.0, &query.until.0]).await.during(OP)?;
                    let mut counters = Vec::with_capacity(rows.len());
                    for row in rows {
                        let channel: String = row.get(1);
                        let counter = UsageCounter {
                            channel: (!channel.is_empty()).then(|| ChannelKind::new(channel)),
                            metric: row.get::<_, &str>(2).parse().map_err(|_| corrupt(OP, "usage metric"))?,
                            day: UsageDay(row.get(0)),
                            quantity: u64::try_from(row.get::<_, i64>(3)).map_err(|_| corrupt(OP, "usage quantity"))?,
                        };
                        if query.matches(&counter) {
                            counters.push(counter);
                        }
                    }
                    sort_counters(&mut counters);
                    Ok(counters)
                })
            })
            .await
    }
}
