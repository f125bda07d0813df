//! Working the inbox as a team: assignment and automatic assignment, status and tags, read
//! markers per agent, canned replies, contact profiles and merging.
//!
//! The data types live here; the operations are [`Hub`](crate::Hub) methods that take an
//! [`Actor`](crate::Actor) and are authorized by the [`Policy`](crate::Policy). Stores implement
//! the [`TeamWorkflow`](crate::inbox::TeamWorkflow) port methods (read markers, canned replies, contacts) and the
//! [`AgentRoster`] port.

mod canned;
mod contact_update;
mod event;
mod read_state;
pub(crate) mod roster;

pub use canned::{CannedReply, MAX_CANNED_REPLY_LEN, TemplateValues};
pub use contact_update::{ContactProfile, ContactUpdate, MAX_ATTRIBUTES};
pub use event::WorkflowEvent;
pub use read_state::ReadState;
pub use roster::{Agent, AgentRoster, AssignmentStrategy, eligible_agents, first_with_room, least_open, next_turn};
