//! Tamper evidence of the audit chain: over a 100,000-record chain with a signed checkpoint
//! every 1,000 records, every edit, deletion, reordering, insertion and truncation is found,
//! and located at the first bad record.

use std::sync::Arc;

use unibox_core::audit::{
    AuditKey, AuditOutcome, AuditQuery, AuditRecord, AuditSink, AuditTrail, ChainedRecord, Checkpoint, TamperKind,
    actions, verify_chain,
};
use unibox_core::memory::MemoryAuditLog;
use unibox_core::{Actor, Role, TenantId, Timestamp};

const RECORDS: u64 = 100_000;
const CHECKPOINT_EVERY: u64 = 1_000;

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

fn key() -> AuditKey {
    AuditKey::new("audit-2026-11", b"0123456789abcdef0123456789abcdef-test-key".to_vec()).unwrap()
}

/// A realistic mix of actors, actions and outcomes.
fn record(i: u64) -> AuditRecord {
    let tenant = tenant();
    let actor = match i % 4 {
        0 => Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin),
        1 => Actor::user(tenant.clone(), format!("agent-{}", i % 7).parse().unwrap(), Role::Agent),
        2 => Actor::user(tenant.clone(), "vic".parse().unwrap(), Role::Viewer),
        _ => Actor::automation(tenant.clone(), "auto-reply"),
    };
    let action = actions::ALL[(i % actions::ALL.len() as u64) as usize];
    let outcome = match i % 10 {
        7 => AuditOutcome::Denied { reason: "vic (viewer) lacks the send_message permission".into() },
        9 => AuditOutcome::Failed { error: "platform_unavailable".into() },
        _ => AuditOutcome::Success,
    };
    let target = format!("conversation:0193{:012x}", i / 3);
    AuditRecord::new(&actor, action, target, Timestamp::from_unix_millis(1_732_170_000_000 + i as i64 * 250), outcome)
}

struct Chain {
    records: Vec<ChainedRecord>,
    checkpoints: Vec<Checkpoint>,
}

fn build_chain() -> Chain {
    let key = key();
    let mut records: Vec<ChainedRecord> = Vec::with_capacity(RECORDS as usize);
    let mut checkpoints = Vec::new();
    for i in 0..RECORDS {
        let chained = ChainedRecord::link(records.last().map(|r| (r.seq, r.hash)), record(i));
        if chained.seq.is_multiple_of(CHECKPOINT_EVERY) {
            checkpoints.push(key.sign(&tenant(), chained.seq, chained.hash, chained.record.at));
        }
        records.push(chained);
    }
    Chain { records, checkpoints }
}

fn verify(records: &[ChainedRecord], checkpoints: &[Checkpoint]) -> unibox_core::audit::AuditVerification {
    let key = key();
    verify_chain(&tenant(), records, checkpoints.to_vec(), &[&key])
}

/// Positions to tamper with: both ends, checkpoint boundaries and a spread in between.
fn positions() -> Vec<usize> {
    let n = RECORDS as usize;
    vec![0, 1, 998, 999, 1_000, 12_345, 49_999, 50_000, 77_777, n - 1_001, n - 2, n - 1]
}

#[test]
fn the_untouched_chain_verifies() {
    let chain = build_chain();
    let verification = verify(&chain.records, &chain.checkpoints);
    assert!(verification.is_intact(), "{:?}", verification.tamper);
    assert_eq!(verification.records, RECORDS);
    assert_eq!(verification.checkpoints, (RECORDS / CHECKPOINT_EVERY) as usize);
    assert_eq!(verification.head, Some((RECORDS, chain.records.last().unwrap().hash)));
}

#[test]
fn every_edit_is_detected_at_the_edited_record() {
    let chain = build_chain();
    let mut records = chain.records;
    for position in positions() {
        let original = records[position].clone();
        for edit in 0..4 {
            let r = &mut records[position].record;
            match edit {
                0 => r.target.push('x'),
                1 => r.outcome = AuditOutcome::Success,
                2 => r.at = Timestamp::from_unix_millis(r.at.as_unix_millis() + 1),
                _ => r.action = "settings.change".into(),
            }
            if records[position] == original {
                continue; // the edit happened to be a no-op (the outcome already was Success)
            }
            let tamper = verify(&records, &chain.checkpoints).tamper.expect("an edit must be detected");
            assert_eq!(tamper.seq, position as u64 + 1, "edit {edit} at {position}");
            assert_eq!(tamper.kind, TamperKind::Edited);
            records[position] = original.clone();
        }
    }
    assert!(verify(&records, &chain.checkpoints).is_intact());
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link_or_the_checkpoint() {
    let chain = build_chain();
    for position in positions() {
        let mut records = chain.records.clone();
        let r = &mut records[position];
        r.record.target = "conversation:forged".into();
        r.hash = unibox_core::audit::record_hash(&r.prev_hash, r.seq, &r.record);
        let tamper = verify(&records, &chain.checkpoints).tamper.expect("detected");
        let seq = position as u64 + 1;
        if seq.is_multiple_of(CHECKPOINT_EVERY) {
            assert_eq!((tamper.seq, tamper.kind), (seq, TamperKind::CheckpointMismatch));
        } else if seq == RECORDS {
            unreachable!("the last record is covered by a checkpoint");
        } else {
            assert_eq!((tamper.seq, tamper.kind), (seq + 1, TamperKind::BrokenLink));
        }
    }
}

#[test]
fn every_deletion_is_detected_at_the_deleted_seq() {
    let chain = build_chain();
    let mut records = chain.records;
    for position in positions() {
        let removed = records.remove(position);
        let tamper = verify(&records, &chain.checkpoints).tamper.expect("a deletion must be detected");
        records.insert(position, removed);
        let seq = position as u64 + 1;
        assert_eq!(tamper.seq, seq, "deletion at {position}: {tamper}");
        if seq == RECORDS {
            assert_eq!(tamper.kind, TamperKind::Truncated { last: RECORDS - 1 });
        } else {
            assert_eq!(tamper.kind, TamperKind::Missing { expected: seq });
        }
    }
}

#[test]
fn every_reordering_is_detected_at_the_first_moved_record() {
    let chain = build_chain();
    let mut records = chain.records;
    for position in positions().into_iter().filter(|p| *p + 1 < RECORDS as usize) {
        for distance in [1, 2, 500] {
            let other = (position + distance).min(RECORDS as usize - 1);
            if other == position {
                continue;
            }
            records.swap(position, other);
            let tamper = verify(&records, &chain.checkpoints).tamper.expect("a reordering must be detected");
            records.swap(position, other);
            assert_eq!(tamper.seq, position as u64 + 1, "swap {position} and {other}: {tamper}");
        }
        // Reordered and renumbered: the seqs look right, the links do not.
        records.swap(position, position + 1);
        records[position].seq = position as u64 + 1;
        records[position + 1].seq = position as u64 + 2;
        let tamper = verify(&records, &chain.checkpoints).tamper.expect("detected");
        records[position].seq = position as u64 + 2;
        records[position + 1].seq = position as u64 + 1;
        records.swap(position, position + 1);
        assert_eq!((tamper.seq, tamper.kind), (position as u64 + 1, TamperKind::BrokenLink));
    }
    assert!(verify(&records, &chain.checkpoints).is_intact());
}

#[test]
fn every_insertion_is_detected() {
    let chain = build_chain();
    let mut records = chain.records.clone();
    for position in positions() {
        // A forged record linked after its predecessor, taking the next seq.
        let prev = position.checked_sub(1).map(|p| (records[p].seq, records[p].hash));
        let mut forged = record(7);
        forged.target = "conversation:forged".into();
        records.insert(position, ChainedRecord::link(prev, forged.clone()));
        let tamper = verify(&records, &chain.checkpoints).tamper.expect("an insertion must be detected");
        records.remove(position);
        let seq = position as u64 + 1;
        assert!(tamper.seq == seq || tamper.seq == seq + 1, "insertion at {position}: {tamper}");
    }
    for position in [0, 999, 50_000, RECORDS as usize - 1] {
        let mut forged = record(7);
        forged.target = "conversation:forged".into();
        let seq = position as u64 + 1;
        // The whole rest of the chain renumbered and rehashed: only the checkpoints can tell.
        let mut records: Vec<ChainedRecord> = chain.records[..position].to_vec();
        let tail = std::iter::once(forged).chain(chain.records[position..].iter().map(|r| r.record.clone()));
        for r in tail {
            let linked = ChainedRecord::link(records.last().map(|l| (l.seq, l.hash)), r);
            records.push(linked);
        }
        let tamper = verify(&records, &chain.checkpoints).tamper.expect("a rehashed insertion must be detected");
        let next_checkpoint = seq.div_ceil(CHECKPOINT_EVERY) * CHECKPOINT_EVERY;
        assert_eq!((tamper.seq, tamper.kind), (next_checkpoint, TamperKind::CheckpointMismatch), "at {position}");
    }
}

#[test]
fn truncation_is_detected_by_the_checkpoints() {
    let chain = build_chain();
    for keep in [0usize, 1, 999, 1_000, 50_000, RECORDS as usize - 1_000, RECORDS as usize - 1] {
        let records = &chain.records[..keep];
        let tamper = verify(records, &chain.checkpoints).tamper.expect("a truncation must be detected");
        assert_eq!(tamper.kind, TamperKind::Truncated { last: keep as u64 }, "kept {keep}");
        assert_eq!(tamper.seq, keep as u64 + 1, "kept {keep}");
    }
}

#[test]
fn forged_or_foreign_checkpoints_are_rejected() {
    let chain = build_chain();
    let mut checkpoints = chain.checkpoints.clone();
    checkpoints[10].signature[0] ^= 1;
    let tamper = verify(&chain.records, &checkpoints).tamper.expect("detected");
    assert_eq!((tamper.seq, tamper.kind), (11 * CHECKPOINT_EVERY, TamperKind::ForgedCheckpoint));

    let mut checkpoints = chain.checkpoints.clone();
    checkpoints[3].seq += 1;
    assert_eq!(verify(&chain.records, &checkpoints).tamper.unwrap().kind, TamperKind::ForgedCheckpoint);

    let other_key = AuditKey::new("audit-2026-11", vec![9; 32]).unwrap();
    let forged = other_key.sign(&tenant(), RECORDS, chain.records.last().unwrap().hash, Timestamp::UNIX_EPOCH);
    let mut checkpoints = chain.checkpoints.clone();
    checkpoints.push(forged);
    assert_eq!(verify(&chain.records, &checkpoints).tamper.unwrap().kind, TamperKind::ForgedCheckpoint);
}

#[test]
fn a_record_of_another_tenant_is_detected() {
    let chain = build_chain();
    let mut records = chain.records.clone();
    let globex: TenantId = "globex".parse().unwrap();
    records[4_242].record.tenant = globex;
    let tamper = verify(&records, &chain.checkpoints).tamper.unwrap();
    assert_eq!((tamper.seq, tamper.kind), (4_243, TamperKind::ForeignTenant));
}

#[tokio::test]
async fn the_trail_chains_signs_queries_and_verifies_through_a_log() {
    let log = Arc::new(MemoryAuditLog::new());
    let trail = AuditTrail::new(log.clone(), key()).checkpoint_every(100);
    for i in 0..1_050 {
        trail.record(record(i)).await.unwrap();
    }
    // Another tenant's chain is separate.
    let globex = Actor::user("globex".parse().unwrap(), "gus".parse().unwrap(), Role::Admin);
    trail
        .record(AuditRecord::new(&globex, actions::LOGIN, "session", Timestamp::UNIX_EPOCH, AuditOutcome::Success))
        .await
        .unwrap();

    let verification = trail.verify(&tenant()).await.unwrap();
    assert!(verification.is_intact(), "{:?}", verification.tamper);
    assert_eq!((verification.records, verification.checkpoints), (1_050, 10));
    assert!(trail.verify(globex.tenant()).await.unwrap().is_intact());

    // Query by actor, action, target and time, newest first, by keyset pages.
    let query = AuditQuery::new().actor("ann").action(actions::ALL[0]).limit(7);
    let mut seen = Vec::new();
    let mut next = None;
    loop {
        let page = trail.query(&tenant(), &query.clone().before_seq(next)).await.unwrap();
        seen.extend(page.items.iter().map(|r| r.seq));
        next = page.next;
        if next.is_none() {
            break;
        }
    }
    let expected: Vec<u64> =
        (0..1_050u64).rev().filter(|i| i % 4 == 0 && i % actions::ALL.len() as u64 == 0).map(|i| i + 1).collect();
    assert_eq!(seen, expected);
    let since = Timestamp::from_unix_millis(1_732_170_000_000 + 1_000 * 250);
    let late = trail.query(&tenant(), &AuditQuery::new().since(since).limit(500)).await.unwrap();
    assert_eq!(late.items.len(), 50);
    let target =
        trail.query(&tenant(), &AuditQuery::new().target(format!("conversation:0193{:012x}", 5))).await.unwrap();
    assert_eq!(target.items.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![18, 17, 16]);

    // The last 50 records are after the last checkpoint: sign one now to cover them.
    let checkpoint = trail.checkpoint_now(&tenant()).await.unwrap().unwrap();
    assert_eq!(checkpoint.seq, 1_050);
    assert_eq!(trail.verify(&tenant()).await.unwrap().checkpoints, 11);
}

#[test]
fn records_and_errors_never_carry_the_key() {
    let key = key();
    let debug = format!("{key:?}");
    assert!(!debug.contains("0123456789abcdef"), "{debug}");
    let checkpoint = key.sign(&tenant(), 1, unibox_core::audit::AuditHash::GENESIS, Timestamp::UNIX_EPOCH);
    let json = serde_json::to_string(&checkpoint).unwrap();
    assert!(!json.contains("0123456789abcdef"));
}
