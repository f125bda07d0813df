//! [`Analytics`] for [`PostgresInbox`] (the tallies the hub's analytics fold from the change
//! log): a `record` call locks the tenant's position row, checks it is at the span's start,
//! folds the observations (loading each conversation's track once) and writes each touched
//! track and tally and the new position in one transaction, so the position and the tallies
//! change together, and two recorders of one tenant (any processes) run one after the other.

mod rows;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use unibox_core::analytics::{
    Analytics, AnalyticsQuery, AnalyticsReport, ChangeSpan, ConversationTrack, Observation, Tally, TallyKey,
};
use unibox_core::changes::Position;
use unibox_core::{ChannelAccountId, ConversationId, Result, TenantId, UserId};

use crate::codec::parsed;
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::Tx;

use rows::{TALLY_COLUMNS, add_tally, load_track, save_track, tally};

/// The tenant's position; `lock` holds its row until the transaction ends.
async fn position(tx: &Tx<'_>, tenant: &TenantId, lock: bool, operation: &'static str) -> Result<Position> {
    let sql = if lock {
        "SELECT position FROM analytics_positions WHERE tenant = $1 FOR UPDATE"
    } else {
        "SELECT position FROM analytics_positions WHERE tenant = $1"
    };
    let statement = tx.prepare_cached(sql).await.during(operation)?;
    let found = tx.query_opt(&statement, &[&tenant.as_str()]).await.during(operation)?;
    Ok(Position::new(found.and_then(|row| u64::try_from(row.get::<_, i64>(0)).ok()).unwrap_or(0)))
}

async fn record(tx: &Tx<'_>, tenant: &TenantId, span: ChangeSpan, observations: &[Observation]) -> Result<()> {
    const OP: &str = "postgres.analytics.record";
    // The row exists before it is locked, so the first two recorders also queue on it.
    tx.execute(
        "INSERT INTO analytics_positions (tenant, position) VALUES ($1, 0) ON CONFLICT DO NOTHING",
        &[&tenant.as_str()],
    )
    .await
    .during(OP)?;
    let at = position(tx, tenant, true, OP).await?;
    if at != span.after {
        return Err(span.moved_error(at).with_operation(OP));
    }
    let mut tracks: HashMap<ConversationId, ConversationTrack> = HashMap::new();
    let mut deltas: BTreeMap<TallyKey, Tally> = BTreeMap::new();
    for observation in observations {
        let track = match tracks.entry(observation.conversation) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(load_track(tx, tenant, observation.conversation).await?),
        };
        track.observe(observation, &mut deltas);
    }
    let mut touched: Vec<_> = tracks.iter().collect();
    touched.sort_by_key(|(conversation, _)| conversation.as_uuid());
    for (conversation, track) in touched {
        save_track(tx, tenant, *conversation, track).await?;
    }
    for (key, delta) in &deltas {
        add_tally(tx, tenant, key, delta).await?;
    }
    tx.execute(
        "UPDATE analytics_positions SET position = $2 WHERE tenant = $1",
        &[&tenant.as_str(), &i64::try_from(span.through.value()).unwrap_or(i64::MAX)],
    )
    .await
    .during(OP)?;
    Ok(())
}

async fn report(tx: &Tx<'_>, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
    const OP: &str = "postgres.analytics.report";
    // One transaction: the position read is the one the tallies reflect.
    let reflected = position(tx, tenant, false, OP).await?;
    let (first, last) = query.days();
    let sql = format!(
        "SELECT day, account, agent, {TALLY_COLUMNS} FROM analytics_tallies \
         WHERE tenant = $1 AND day BETWEEN $2 AND $3 AND ($4::UUID IS NULL OR account = $4) \
           AND ($5::TEXT IS NULL OR agent = $5)"
    );
    let statement = tx.prepare_cached(&sql).await.during(OP)?;
    let rows = tx
        .query(
            &statement,
            &[
                &tenant.as_str(),
                &first,
                &last,
                &query.account.map(|a| a.as_uuid()),
                &query.agent.as_ref().map(|u| u.as_str()),
            ],
        )
        .await
        .during(OP)?;
    let mut tallies = Vec::with_capacity(rows.len());
    for row in &rows {
        let agent: &str = row.get(2);
        let agent = if agent.is_empty() { None } else { Some(parsed(agent, OP, "agent", |s| UserId::new(s))?) };
        let key = TallyKey { day: row.get(0), account: ChannelAccountId::from_uuid(row.get(1)), agent };
        tallies.push((key, tally(row, 3, OP)?));
    }
    let mut report = AnalyticsReport::from_tallies(tallies.iter().map(|(key, tally)| (key, tally)));
    report.position = reflected;
    Ok(report)
}

#[async_trait]
impl Analytics for PostgresInbox {
    async fn record(&self, tenant: &TenantId, span: ChangeSpan, observations: &[Observation]) -> Result<()> {
        const OP: &str = "postgres.analytics.record";
        span.validate()?;
        let (owner, observations) = (tenant.clone(), observations.to_vec());
        self.db
            .tenant_tx(OP, tenant, move |tx| Box::pin(async move { record(tx, &owner, span, &observations).await }))
            .await
    }

    async fn position(&self, tenant: &TenantId) -> Result<Position> {
        const OP: &str = "postgres.analytics.position";
        let owner = tenant.clone();
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { position(tx, &owner, false, OP).await })).await
    }

    async fn report(&self, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        const OP: &str = "postgres.analytics.report";
        query.validate()?;
        let (owner, query) = (tenant.clone(), query.clone());
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { report(tx, &owner, &query).await })).await
    }
}
