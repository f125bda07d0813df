//! [`UsageMeter`] for [`SqliteInbox`]: usage counters in the inbox file (table
//! `usage_counters`, schema version 4), one row per tenant, day, channel and metric.

use async_trait::async_trait;
use rusqlite::params;
use unibox_core::metering::{UsageCounter, UsageDay, UsageIncrement, UsageMeter, UsageQuery, sort_counters};
use unibox_core::{ChannelKind, Result, TenantId};

use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

#[async_trait]
impl UsageMeter for SqliteInbox {
    async fn add(&self, increments: &[UsageIncrement]) -> Result<()> {
        const OP: &str = "sqlite.metering.add";
        if increments.is_empty() {
            return Ok(());
        }
        let rows: Vec<(String, i64, String, String, i64)> = increments
            .iter()
            .map(|i| {
                let quantity = i64::try_from(i.quantity).map_err(|_| corrupt(OP, "usage quantity"))?;
                let channel = i.channel.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default();
                Ok((i.tenant.to_string(), UsageDay::of(i.at).0, channel, i.metric.name(), quantity))
            })
            .collect::<Result<_>>()?;
        // One job: the whole call commits or none of it does.
        self.writer
            .write(OP, move |conn| {
                let mut upsert = conn
                    .prepare_cached(
                        "INSERT INTO usage_counters (tenant, day, channel, metric, quantity) VALUES (?1, ?2, ?3, ?4, ?5) \
                         ON CONFLICT (tenant, day, channel, metric) DO UPDATE SET quantity = quantity + excluded.quantity",
                    )
                    .during(OP)?;
                for (tenant, day, channel, metric, quantity) in &rows {
                    upsert.execute(params![tenant, day, channel, metric, quantity]).during(OP)?;
                }
                Ok(())
            })
            .await
    }

    async fn usage(&self, tenant: &TenantId, query: &UsageQuery) -> Result<Vec<UsageCounter>> {
        const OP: &str = "sqlite.metering.usage";
        query.validate()?;
        let tenant = tenant.clone();
        let query = query.clone();
        self.read(OP, move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT day, channel, metric, quantity FROM usage_counters \
                     WHERE tenant = ?1 AND day >= ?2 AND day < ?3",
                )
                .during(OP)?
                .query_map(params![tenant.as_str(), query.from.0, query.until.0], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            let mut counters = Vec::with_capacity(rows.len());
            for (day, channel, metric, quantity) in rows {
                let counter = UsageCounter {
                    channel: (!channel.is_empty()).then(|| ChannelKind::new(channel)),
                    metric: metric.parse().map_err(|_| corrupt(OP, "usage metric"))?,
                    day: UsageDay(day),
                    quantity: u64::try_from(quantity).map_err(|_| corrupt(OP, "usage quantity"))?,
                };
                if query.matches(&counter) {
                    counters.push(counter);
                }
            }
            sort_counters(&mut counters);
            Ok(counters)
        })
        .await
    }
}
