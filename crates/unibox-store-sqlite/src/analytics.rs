//! Analytics on the same file: [`Analytics`] for [`SqliteInbox`].
//!
//! A `record` call folds its observations in memory (loading each conversation's track once),
//! then writes each touched track and tally once, in one group-commit job. A report reads only
//! the tallies of its days: `(tenant, day, ...)` is the primary key's prefix.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::analytics::{
    Analytics, AnalyticsQuery, AnalyticsReport, ConversationTrack, DurationTally, LatencyHistogram, Observation, Tally,
    TallyKey,
};
use unibox_core::{ChannelAccountId, ConversationId, Result, TenantId, Timestamp, UserId};

use crate::SqliteInbox;
use crate::codec::{parsed_column, time_column};
use crate::error::SqlResultExt;

const TALLY_COLUMNS: &str = "messages_in, messages_out, first_response_n, first_response_sum, first_response_hist, \
     response_n, response_sum, response_hist, resolution_n, resolution_sum, resolution_hist";

fn load_track(conn: &Connection, tenant: &TenantId, conversation: ConversationId) -> Result<ConversationTrack> {
    const OP: &str = "sqlite.analytics.record";
    let track = conn
        .prepare_cached(
            "SELECT assignee, opened_at, awaiting_since, first_response_pending FROM analytics_tracks \
             WHERE tenant = ?1 AND conversation = ?2",
        )
        .during(OP)?
        .query_row(params![tenant.as_str(), conversation.as_bytes()], |row| {
            Ok(ConversationTrack {
                assignee: match row.get::<_, Option<String>>(0)? {
                    Some(_) => Some(parsed_column(row, 0, |s| UserId::new(s))?),
                    None => None,
                },
                opened_at: time_column(row, 1)?,
                awaiting_since: time_column(row, 2)?,
                first_response_pending: row.get(3)?,
            })
        })
        .optional()
        .during(OP)?;
    Ok(track.unwrap_or_default())
}

fn save_track(
    conn: &Connection,
    tenant: &TenantId,
    conversation: ConversationId,
    track: &ConversationTrack,
) -> Result<()> {
    const OP: &str = "sqlite.analytics.record";
    conn.prepare_cached(
        "INSERT OR REPLACE INTO analytics_tracks \
         (tenant, conversation, assignee, opened_at, awaiting_since, first_response_pending) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .during(OP)?
    .execute(params![
        tenant.as_str(),
        conversation.as_bytes(),
        track.assignee.as_ref().map(|u| u.as_str()),
        track.opened_at.map(Timestamp::as_unix_millis),
        track.awaiting_since.map(Timestamp::as_unix_millis),
        track.first_response_pending,
    ])
    .during(OP)?;
    Ok(())
}

fn sum_column(sum: u64) -> i64 {
    i64::try_from(sum).unwrap_or(i64::MAX)
}

/// Reads the tally columns starting at `first`.
fn tally_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<std::result::Result<Tally, unibox_core::Error>> {
    let duration = |at: usize| -> rusqlite::Result<std::result::Result<DurationTally, unibox_core::Error>> {
        let count: i64 = row.get(at)?;
        let sum: i64 = row.get(at + 1)?;
        let histogram: Vec<u8> = row.get(at + 2)?;
        Ok(LatencyHistogram::from_bytes(&histogram).map(|histogram| DurationTally {
            count: u64::try_from(count).unwrap_or(0),
            sum_millis: u64::try_from(sum).unwrap_or(0),
            histogram,
        }))
    };
    let messages_in: i64 = row.get(first)?;
    let messages_out: i64 = row.get(first + 1)?;
    let (first_response, response, resolution) = (duration(first + 2)?, duration(first + 5)?, duration(first + 8)?);
    Ok((|| {
        Ok(Tally {
            messages_in: u64::try_from(messages_in).unwrap_or(0),
            messages_out: u64::try_from(messages_out).unwrap_or(0),
            first_response: first_response?,
            response: response?,
            resolution: resolution?,
        })
    })())
}

fn add_tally(conn: &Connection, tenant: &TenantId, key: &TallyKey, delta: &Tally) -> Result<()> {
    const OP: &str = "sqlite.analytics.record";
    let agent = key.agent.as_ref().map_or("", |u| u.as_str());
    let select = format!(
        "SELECT {TALLY_COLUMNS} FROM analytics_tallies WHERE tenant = ?1 AND day = ?2 AND account = ?3 AND agent = ?4"
    );
    let existing = conn
        .prepare_cached(&select)
        .during(OP)?
        .query_row(params![tenant.as_str(), key.day, key.account.as_bytes(), agent], |row| tally_from_row(row, 0))
        .optional()
        .during(OP)?
        .transpose()?;
    let mut tally = existing.unwrap_or_default();
    tally.merge(delta);
    let insert = format!(
        "INSERT OR REPLACE INTO analytics_tallies (tenant, day, account, agent, {TALLY_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    );
    conn.prepare_cached(&insert)
        .during(OP)?
        .execute(params![
            tenant.as_str(),
            key.day,
            key.account.as_bytes(),
            agent,
            sum_column(tally.messages_in),
            sum_column(tally.messages_out),
            sum_column(tally.first_response.count),
            sum_column(tally.first_response.sum_millis),
            tally.first_response.histogram.to_bytes(),
            sum_column(tally.response.count),
            sum_column(tally.response.sum_millis),
            tally.response.histogram.to_bytes(),
            sum_column(tally.resolution.count),
            sum_column(tally.resolution.sum_millis),
            tally.resolution.histogram.to_bytes(),
        ])
        .during(OP)?;
    Ok(())
}

fn report(conn: &Connection, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
    const OP: &str = "sqlite.analytics.report";
    let (first, last) = query.days();
    let sql = format!(
        "SELECT day, account, agent, {TALLY_COLUMNS} FROM analytics_tallies \
         WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3 AND (?4 IS NULL OR account = ?4) AND (?5 IS NULL OR agent = ?5)"
    );
    let mut statement = conn.prepare_cached(&sql).during(OP)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                first,
                last,
                query.account.as_ref().map(|a| a.as_bytes().as_slice()),
                query.agent.as_ref().map(|u| u.as_str()),
            ],
            |row| {
                let agent: String = row.get(2)?;
                let agent = if agent.is_empty() { None } else { Some(parsed_column(row, 2, |s| UserId::new(s))?) };
                let key = TallyKey { day: row.get(0)?, account: ChannelAccountId::from_bytes(row.get(1)?), agent };
                Ok((key, tally_from_row(row, 3)?))
            },
        )
        .during(OP)?;
    let mut tallies = Vec::new();
    for row in rows {
        let (key, tally) = row.during(OP)?;
        tallies.push((key, tally.map_err(|e| e.with_operation(OP))?));
    }
    Ok(AnalyticsReport::from_tallies(tallies.iter().map(|(key, tally)| (key, tally))))
}

#[async_trait]
impl Analytics for SqliteInbox {
    async fn record(&self, tenant: &TenantId, observations: &[Observation]) -> Result<()> {
        if observations.is_empty() {
            return Ok(());
        }
        let tenant = tenant.clone();
        let observations = observations.to_vec();
        self.writer
            .write("sqlite.analytics.record", move |conn| {
                let mut tracks: HashMap<ConversationId, ConversationTrack> = HashMap::new();
                let mut deltas: BTreeMap<TallyKey, Tally> = BTreeMap::new();
                for observation in &observations {
                    let track = match tracks.entry(observation.conversation) {
                        std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                        std::collections::hash_map::Entry::Vacant(entry) => {
                            entry.insert(load_track(conn, &tenant, observation.conversation)?)
                        }
                    };
                    track.observe(observation, &mut deltas);
                }
                for (conversation, track) in &tracks {
                    save_track(conn, &tenant, *conversation, track)?;
                }
                for (key, delta) in &deltas {
                    add_tally(conn, &tenant, key, delta)?;
                }
                Ok(())
            })
            .await
    }

    async fn report(&self, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        query.validate()?;
        let (tenant, query) = (tenant.clone(), query.clone());
        self.read("sqlite.analytics.report", move |conn| report(conn, &tenant, &query)).await
    }
}
