//! An [`AuditQuery`] as one SQL statement over `audit_log`, tenant-scoped, newest first.
//!
//! Each filter has an index of its own (`audit_log_by_actor`, `_by_target`, `_by_action`,
//! `_by_time`, all `(tenant, field, seq)`); without one the primary key serves, walked from the
//! newest record.

use tokio_postgres::types::ToSql;
use unibox_core::TenantId;
use unibox_core::audit::AuditQuery;

use super::rows::COLUMNS;

/// A value bound to the statement.
type Value = Box<dyn ToSql + Sync + Send>;

/// The statement of a query and its values (`$1` the tenant, then the filters', then the limit).
pub(super) struct QuerySql {
    pub(super) sql: String,
    values: Vec<Value>,
}

impl QuerySql {
    /// The statement for `query` in `tenant`, returning at most `limit` rows.
    pub(super) fn new(tenant: &TenantId, query: &AuditQuery, limit: usize) -> Self {
        let mut values: Vec<Value> = vec![Box::new(tenant.as_str().to_owned())];
        let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE tenant = $1");
        let mut add = |filter: &str, value: Value| {
            values.push(value);
            sql.push_str(&format!(" AND {filter} ${}", values.len()));
        };
        if let Some(actor) = &query.actor {
            add("actor =", Box::new(actor.clone()));
        }
        if let Some(target) = &query.target {
            add("target =", Box::new(target.clone()));
        }
        if let Some(action) = &query.action {
            add("action =", Box::new(action.clone()));
        }
        if let Some(since) = query.since {
            add("at >=", Box::new(since.as_unix_millis()));
        }
        if let Some(until) = query.until {
            add("at <", Box::new(until.as_unix_millis()));
        }
        if let Some(before) = query.before_seq {
            add("seq <", Box::new(i64::try_from(before).unwrap_or(i64::MAX)));
        }
        values.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", values.len()));
        QuerySql { sql, values }
    }

    /// The values, as the driver takes them.
    pub(super) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values.iter().map(|value| value.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unibox_core::Timestamp;

    #[test]
    fn every_filter_is_a_numbered_parameter_after_the_tenant() {
        let tenant: TenantId = "acme".parse().unwrap();
        let query = AuditQuery::new()
            .actor("ann")
            .action("message.send")
            .since(Timestamp::from_unix_seconds(1))
            .before_seq(Some(9));
        let sql = QuerySql::new(&tenant, &query, 51);
        assert!(sql.sql.ends_with(
            "WHERE tenant = $1 AND actor = $2 AND action = $3 AND at >= $4 AND seq < $5 ORDER BY seq DESC LIMIT $6"
        ));
        assert_eq!(sql.params().len(), 6);
        let none = QuerySql::new(&tenant, &AuditQuery::new(), 51);
        assert!(none.sql.ends_with("WHERE tenant = $1 ORDER BY seq DESC LIMIT $2"), "{}", none.sql);
    }
}
