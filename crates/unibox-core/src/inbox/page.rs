//! Keyset pagination: a [`Cursor`] and a [`Page`].

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::{Error, ErrorKind, Result, Timestamp};

/// An opaque position in a keyset-paginated listing. Pass [`Page::next`] back to continue.
/// It prints as a short string, so it can travel through a URL.
///
/// ```
/// use unibox_core::inbox::Cursor;
/// let cursor = Cursor::new(unibox_core::Timestamp::from_unix_millis(42), uuid::Uuid::nil());
/// let text = cursor.to_string();
/// assert_eq!(text.parse::<Cursor>().unwrap(), cursor);
/// assert!("garbage".parse::<Cursor>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last item returned.
    pub at: Timestamp,
    /// The id of the last item returned (ties on `at` are broken by id).
    pub id: Uuid,
}

impl Cursor {
    /// A cursor after the item with this sort key and id.
    pub fn new(at: Timestamp, id: Uuid) -> Self {
        Cursor { at, id }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.at.as_unix_millis(), self.id.simple())
    }
}

impl FromStr for Cursor {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid =
            || Error::new(ErrorKind::InvalidInput, "invalid page cursor; pass back the `next` value of a page");
        let (at, id) = s.split_once('.').ok_or_else(invalid)?;
        let at = at.parse::<i64>().map_err(|_| invalid())?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Cursor { at: Timestamp::from_unix_millis(at), id })
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, or `None` on the last page.
    pub next: Option<Cursor>,
}

/// The default page size.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page size a backend must serve.
pub const MAX_PAGE_SIZE: usize = 500;

pub(crate) fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("page size must be 1 to {MAX_PAGE_SIZE}, got {limit}"),
        ));
    }
    Ok(())
}
