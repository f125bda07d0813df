//! Analytics rows: conversation tracks and tallies, read and written inside a transaction.

use tokio_postgres::Row;
use unibox_core::analytics::{ConversationTrack, DurationTally, LatencyHistogram, Tally, TallyKey};
use unibox_core::{ConversationId, Result, TenantId, Timestamp, UserId};

use crate::codec::parsed;
use crate::error::{PgResultExt, corrupt};
use crate::pool::Tx;

/// The tally columns [`tally`] reads, in order.
pub(crate) const TALLY_COLUMNS: &str = "messages_in, messages_out, first_response_n, first_response_sum, \
     first_response_hist, response_n, response_sum, response_hist, resolution_n, resolution_sum, resolution_hist";

const OP: &str = "postgres.analytics.record";

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn column(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The tally in the [`TALLY_COLUMNS`] starting at column `first`.
pub(crate) fn tally(row: &Row, first: usize, operation: &'static str) -> Result<Tally> {
    let duration = |at: usize| -> Result<DurationTally> {
        let histogram = LatencyHistogram::from_bytes(row.get::<_, &[u8]>(at + 2))
            .map_err(|_| corrupt(operation, "latency histogram"))?;
        Ok(DurationTally { count: count(row.get(at)), sum_millis: count(row.get(at + 1)), histogram })
    };
    Ok(Tally {
        messages_in: count(row.get(first)),
        messages_out: count(row.get(first + 1)),
        first_response: duration(first + 2)?,
        response: duration(first + 5)?,
        resolution: duration(first + 8)?,
    })
}

/// The conversation's track (empty when it has none yet).
pub(crate) async fn load_track(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversation: ConversationId,
) -> Result<ConversationTrack> {
    let statement = tx
        .prepare_cached(
            "SELECT assignee, opened_at, awaiting_since, first_response_pending FROM analytics_tracks \
             WHERE tenant = $1 AND conversation = $2",
        )
        .await
        .during(OP)?;
    let Some(row) = tx.query_opt(&statement, &[&tenant.as_str(), &conversation.as_uuid()]).await.during(OP)? else {
        return Ok(ConversationTrack::default());
    };
    let assignee: Option<&str> = row.get(0);
    Ok(ConversationTrack {
        assignee: assignee.map(|s| parsed(s, OP, "assignee", |s| UserId::new(s))).transpose()?,
        opened_at: row.get::<_, Option<i64>>(1).map(Timestamp::from_unix_millis),
        awaiting_since: row.get::<_, Option<i64>>(2).map(Timestamp::from_unix_millis),
        first_response_pending: row.get(3),
    })
}

pub(crate) async fn save_track(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversation: ConversationId,
    track: &ConversationTrack,
) -> Result<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO analytics_tracks (tenant, conversation, assignee, opened_at, awaiting_since, \
               first_response_pending) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant, conversation) DO UPDATE SET assignee = excluded.assignee, \
               opened_at = excluded.opened_at, awaiting_since = excluded.awaiting_since, \
               first_response_pending = excluded.first_response_pending",
        )
        .await
        .during(OP)?;
    tx.execute(
        &statement,
        &[
            &tenant.as_str(),
            &conversation.as_uuid(),
            &track.assignee.as_ref().map(|u| u.as_str()),
            &track.opened_at.map(Timestamp::as_unix_millis),
            &track.awaiting_since.map(Timestamp::as_unix_millis),
            &track.first_response_pending,
        ],
    )
    .await
    .during(OP)?;
    Ok(())
}

/// Adds `delta` to the tally of `key`.
pub(crate) async fn add_tally(tx: &Tx<'_>, tenant: &TenantId, key: &TallyKey, delta: &Tally) -> Result<()> {
    let agent = key.agent.as_ref().map_or("", |u| u.as_str());
    let select = format!(
        "SELECT {TALLY_COLUMNS} FROM analytics_tallies WHERE tenant = $1 AND day = $2 AND account = $3 AND agent = $4 \
         FOR UPDATE"
    );
    let statement = tx.prepare_cached(&select).await.during(OP)?;
    let existing =
        tx.query_opt(&statement, &[&tenant.as_str(), &key.day, &key.account.as_uuid(), &agent]).await.during(OP)?;
    let mut total = match existing {
        Some(row) => tally(&row, 0, OP)?,
        None => Tally::default(),
    };
    total.merge(delta);
    let upsert = format!(
        "INSERT INTO analytics_tallies (tenant, day, account, agent, {TALLY_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (tenant, day, account, agent) DO UPDATE SET messages_in = excluded.messages_in, \
           messages_out = excluded.messages_out, first_response_n = excluded.first_response_n, \
           first_response_sum = excluded.first_response_sum, first_response_hist = excluded.first_response_hist, \
           response_n = excluded.response_n, response_sum = excluded.response_sum, \
           response_hist = excluded.response_hist, resolution_n = excluded.resolution_n, \
           resolution_sum = excluded.resolution_sum, resolution_hist = excluded.resolution_hist"
    );
    let statement = tx.prepare_cached(&upsert).await.during(OP)?;
    tx.execute(
        &statement,
        &[
            &tenant.as_str(),
            &key.day,
            &key.account.as_uuid(),
            &agent,
            &column(total.messages_in),
            &column(total.messages_out),
            &column(total.first_response.count),
            &column(total.first_response.sum_millis),
            &total.first_response.histogram.to_bytes(),
            &column(total.response.count),
            &column(total.response.sum_millis),
            &total.response.histogram.to_bytes(),
            &column(total.resolution.count),
            &column(total.resolution.sum_millis),
            &total.resolution.histogram.to_bytes(),
        ],
    )
    .await
    .during(OP)?;
    Ok(())
}
