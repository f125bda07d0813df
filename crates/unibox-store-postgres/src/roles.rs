//! The check at connect that the application role is one row-level security applies to.
//!
//! Row-level security does not restrict a superuser, a role with `BYPASSRLS`, or (unless
//! forced, and the owner can unforce it) the tables' owner. The store therefore refuses to run
//! as any of them: the tenant isolation would rest on the queries alone.

use tokio_postgres::Client;
use unibox_core::{Error, ErrorKind, Result};

use crate::error::PgResultExt;

const OP: &str = "postgres.connect";

/// Where the documentation explains the two roles.
const SEE: &str = "see the unibox-store-postgres documentation, \"Roles\"";

/// Fails with a [`Configuration`](ErrorKind::Configuration) error naming the problem when the
/// connected role is a superuser, has `BYPASSRLS`, or owns (or may act as the owner of) a table
/// of the schema.
pub(crate) async fn check_application_role(client: &Client) -> Result<()> {
    let row = client
        .query_one(
            "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, \
                    (SELECT min(c.relname::text) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = current_schema() AND c.relkind = 'r' \
                       AND pg_has_role(r.oid, c.relowner, 'MEMBER')) \
             FROM pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .await
        .during(OP)?;
    let (role, superuser, bypass, owned): (String, bool, bool, Option<String>) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let problem = if superuser {
        format!("the role `{role}` is a superuser: row-level security does not apply to it")
    } else if bypass {
        format!("the role `{role}` has BYPASSRLS: row-level security does not apply to it")
    } else if let Some(table) = owned {
        format!(
            "the role `{role}` owns (or can act as the owner of) the table `{table}`: an owner can switch \
             row-level security off"
        )
    } else {
        return Ok(());
    };
    Err(Error::new(
        ErrorKind::Configuration,
        format!(
            "{problem}; connect as an application role (LOGIN, NOSUPERUSER, NOBYPASSRLS, not the tables' owner), \
             and migrate with the owner role; {SEE}"
        ),
    )
    .with_operation(OP))
}
