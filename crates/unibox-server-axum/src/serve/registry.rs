//! The open connections: how many there are, how many per peer address, and which one has been
//! idle longest, so a full server makes room by closing it instead of refusing a new client.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// A connection idle for less than this is not closed to make room: it may be a client that just
/// connected and is about to send, or one whose answer is still being written.
const EVICTABLE_AFTER: Duration = Duration::from_millis(250);

/// What one connection shares with the registry and its own task.
#[derive(Debug)]
pub(crate) struct ConnectionState {
    /// Requests being handled on it (HTTP/1.1: zero or one).
    in_flight: AtomicU32,
    /// When the connection opened or last finished a request, in ms since the registry's epoch.
    last_progress: AtomicU64,
    /// Set once the registry chose it to make room.
    evicted: AtomicBool,
    /// Wakes the connection's task to close it.
    pub(crate) evict: Notify,
}

impl ConnectionState {
    /// Whether no request is being handled.
    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }
}

/// Marks a request in progress on a connection until dropped.
pub(crate) struct InFlight {
    state: Arc<ConnectionState>,
    epoch: Instant,
}

impl InFlight {
    pub(crate) fn begin(state: &Arc<ConnectionState>, epoch: Instant) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight { state: Arc::clone(state), epoch }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.state.last_progress.store(millis_since(self.epoch), Ordering::Release);
        self.state.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Why a connection was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every connection slot is busy with a request or was used less than 250 ms ago.
    Full,
    /// The peer address already holds its share.
    PeerFull,
}

/// The registry of open connections.
#[derive(Debug)]
pub(crate) struct Registry {
    max_connections: usize,
    max_per_peer: usize,
    epoch: Instant,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    connections: HashMap<u64, Arc<ConnectionState>>,
    peers: HashMap<IpAddr, usize>,
    /// Connections told to close that have not closed yet; they no longer count against the cap.
    evicting: usize,
}

impl Registry {
    pub(crate) fn new(max_connections: usize, max_per_peer: usize) -> Arc<Self> {
        Arc::new(Registry {
            max_connections: max_connections.max(1),
            max_per_peer: max_per_peer.max(1),
            epoch: Instant::now(),
            open: Mutex::new(Open::default()),
        })
    }

    /// The instant the connections' times count from.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// Open connections right now.
    pub(crate) fn open_connections(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).connections.len()
    }

    /// Takes a slot for a connection from `peer`, closing the longest-idle connection when the
    /// server is full.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Ticket, Refusal> {
        let now = millis_since(self.epoch);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.peers.get(&peer).is_some_and(|&held| held >= self.max_per_peer) {
            return Err(Refusal::PeerFull);
        }
        if open.connections.len() - open.evicting >= self.max_connections {
            let evictable_before = now.checked_sub(EVICTABLE_AFTER.as_millis() as u64);
            let oldest_idle = evictable_before.and_then(|before| {
                open.connections
                    .values()
                    .filter(|c| c.is_idle() && !c.evicted.load(Ordering::Acquire))
                    .map(|c| (c.last_progress.load(Ordering::Acquire), c))
                    .filter(|(last, _)| *last <= before)
                    .min_by_key(|(last, _)| *last)
                    .map(|(_, c)| Arc::clone(c))
            });
            let Some(victim) = oldest_idle else {
                return Err(Refusal::Full);
            };
            victim.evicted.store(true, Ordering::Release);
            victim.evict.notify_one();
            open.evicting += 1;
        }
        let id = open.next_id;
        open.next_id += 1;
        let state = Arc::new(ConnectionState {
            in_flight: AtomicU32::new(0),
            last_progress: AtomicU64::new(now),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        open.connections.insert(id, Arc::clone(&state));
        *open.peers.entry(peer).or_insert(0) += 1;
        Ok(Ticket { registry: Arc::clone(self), id, peer, state })
    }

    /// When a connection idle since its last progress reaches `idle_timeout`.
    pub(crate) fn idle_deadline(&self, state: &ConnectionState, idle_timeout: Duration) -> Instant {
        let last = Duration::from_millis(state.last_progress.load(Ordering::Acquire));
        self.epoch + last + idle_timeout
    }
}

/// One open connection's slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    registry: Arc<Registry>,
    id: u64,
    peer: IpAddr,
    pub(crate) state: Arc<ConnectionState>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.registry.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = open.connections.remove(&self.id)
            && state.evicted.load(Ordering::Acquire)
        {
            open.evicting -= 1;
        }
        if let Some(held) = open.peers.get_mut(&self.peer) {
            *held -= 1;
            if *held == 0 {
                open.peers.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[tokio::test]
    async fn a_peer_holds_at_most_its_share_and_gets_it_back_on_close() {
        let registry = Registry::new(10, 2);
        let first = registry.admit(PEER).unwrap();
        let _second = registry.admit(PEER).unwrap();
        assert_eq!(registry.admit(PEER).unwrap_err(), Refusal::PeerFull);
        assert!(registry.admit(OTHER).is_ok());
        drop(first);
        assert!(registry.admit(PEER).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_server_closes_its_longest_idle_connection_to_make_room() {
        let registry = Registry::new(2, 10);
        let oldest = registry.admit(PEER).unwrap();
        tokio::time::advance(Duration::from_millis(100)).await;
        let busy = registry.admit(PEER).unwrap();
        let _request = InFlight::begin(&busy.state, registry.epoch());
        // Both were used less than 250 ms ago: nothing to close yet.
        assert_eq!(registry.admit(OTHER).unwrap_err(), Refusal::Full);
        tokio::time::advance(Duration::from_secs(1)).await;
        let newcomer = registry.admit(OTHER).unwrap();
        assert!(oldest.state.evicted.load(Ordering::Acquire), "the idle one is told to close");
        assert!(!busy.state.evicted.load(Ordering::Acquire), "a connection handling a request is kept");
        // Until the evicted one closes, the cap counts it out; a second newcomer finds nothing idle.
        assert_eq!(registry.admit(OTHER).unwrap_err(), Refusal::Full);
        drop(oldest);
        assert_eq!(registry.open_connections(), 2);
        drop(newcomer);
        assert_eq!(registry.open_connections(), 1);
    }
}
