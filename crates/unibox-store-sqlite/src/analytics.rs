//! Analytics on the same file: [`Analytics`] for [`SqliteInbox`].
//!
//! A `record` call checks and moves the tenant's change-log position, folds its observations in
//! memory (loading each conversation's track once), then writes each touched track and tally
//! once, all in one group-commit job: the position and the tallies change together or not at
//! all. A report reads only the tallies of its days (`(tenant, day, ...)` is the primary key's
//! prefix) and the position, in the read's one transaction.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::analytics::{
    Analytics, AnalyticsQuery, AnalyticsReport, ChangeSpan, ConversationTrack, DurationTally, LatencyHistogram,
    Observation, Tally, TallyKey,
};
use unibox_core::changes::Position;
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

fn position(conn: &Connection, tenant: &TenantId, operation: &'static str) -> Result<Position> {
    let position: Option<i64> = conn
        .prepare_cached("SELECT position FROM analytics_positions WHERE tenant = ?1")
        .during(operation)?
        .query_row(params![tenant.as_str()], |row| row.get(0))
        .optional()
        .during(operation)?;
    Ok(Position::new(position.and_then(|p| u64::try_from(p).ok()).unwrap_or(0)))
}

fn save_position(conn: &Connection, tenant: &TenantId, position: Position) -> Result<()> {
    const OP: &str = "sqlite.analytics.record";
    conn.prepare_cached(
        "INSERT INTO analytics_positions (tenant, position) VALUES (?1, ?2) \
         ON CONFLICT (tenant) DO UPDATE SET position = excluded.position",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), i64::try_from(position.value()).unwrap_or(i64::MAX)])
    .during(OP)?;
    Ok(())
}

fn record(conn: &Connection, tenant: &TenantId, span: ChangeSpan, observations: &[Observation]) -> Result<()> {
    const OP: &str = "sqlite.analytics.record";
    let at = position(conn, tenant, OP)?;
    if at != span.after {
        return Err(span.moved_error(at).with_operation(OP));
    }
    let mut tracks: HashMap<ConversationId, ConversationTrack> = HashMap::new();
    let mut deltas: BTreeMap<TallyKey, Tally> = BTreeMap::new();
    for observation in observations {
        let track = match tracks.entry(observation.conversation) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(load_track(conn, tenant, observation.conversation)?)
            }
        };
        track.observe(observation, &mut deltas);
    }
    for (conversation, track) in &tracks {
        save_track(conn, tenant, *conversation, track)?;
    }
    for (key, delta) in &deltas {
        add_tally(conn, tenant, key, delta)?;
    }
    save_position(conn, tenant, span.through)
}

fn report(conn: &Connection, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
    const OP: &str = "sqlite.analytics.report";
    // Reads run in one transaction: the position read is the one the tallies reflect.
    let reflected = position(conn, tenant, OP)?;
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
    let mut report = AnalyticsReport::from_tallies(tallies.iter().map(|(key, tally)| (key, tally)));
    report.position = reflected;
    Ok(report)
}

#[async_trait]
impl Analytics for SqliteInbox {
    async fn record(&self, tenant: &TenantId, span: ChangeSpan, observations: &[Observation]) -> Result<()> {
        span.validate()?;
        let tenant = tenant.clone();
        let observations = observations.to_vec();
        self.writer.write("sqlite.analytics.record", move |conn| record(conn, &tenant, span, &observations)).await
    }

    async fn position(&self, tenant: &TenantId) -> Result<Position> {
        const OP: &str = "sqlite.analytics.position";
        let tenant = tenant.clone();
        self.read(OP, move |conn| position(conn, &tenant, OP)).await
    }

    async fn report(&self, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        query.validate()?;
        let (tenant, query) = (tenant.clone(), query.clone());
        self.read("sqlite.analytics.report", move |conn| report(conn, &tenant, &query)).await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::schema::{migrate, migrate_up_to};

    /// A database from before analytics followed the change log: its tallies were fed up to now,
    /// so each tenant's analytics start at its latest change (or trim), not at the beginning.
    #[test]
    fn existing_databases_start_analytics_at_each_tenants_latest_change() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_up_to(&mut conn, 8).unwrap();
        conn.execute_batch(
            "INSERT INTO changes (tenant, at, kind) VALUES ('acme', 1, 'message_added'), ('globex', 2, 'message_added'),
                 ('acme', 3, 'conversation_changed');
             INSERT INTO change_trims (tenant, through) VALUES ('initech', 40);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let at = |tenant: &str| position(&conn, &tenant.parse().unwrap(), "test").unwrap();
        assert_eq!(at("acme"), Position::new(3));
        assert_eq!(at("globex"), Position::new(2));
        assert_eq!(at("initech"), Position::new(40), "a trimmed log's tenant starts after the trim");
        assert_eq!(at("umbrella"), Position::START, "a tenant without changes starts at the beginning");
    }
}
