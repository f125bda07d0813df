//! Tests of the writer: group commit, savepoints, undo, close.

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;
use unibox_core::{Error, ErrorKind, Result};

use super::{Writer, WriterSetup};
use crate::error::storage;

const CAPACITY: usize = 128;

async fn writer(path: Option<&std::path::Path>) -> Writer {
    let path = path.map(|p| p.to_path_buf());
    let (writer, ()) = Writer::start(CAPACITY, CAPACITY, move || {
        let conn = match path {
            Some(path) => Connection::open(path),
            None => Connection::open_in_memory(),
        }
        .map_err(|err| storage("test.open", err))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE numbers (n INTEGER NOT NULL)")
            .map_err(|err| storage("test.open", err))?;
        Ok(WriterSetup { conn, checkpointer: None, background: None, lock: None, extra: () })
    })
    .await
    .unwrap();
    writer
}

fn insert(conn: &Connection, n: i64) -> Result<i64> {
    conn.execute("INSERT INTO numbers (n) VALUES (?1)", [n]).map_err(|err| storage("test.insert", err))?;
    Ok(n)
}

async fn numbers(writer: &Writer) -> Vec<i64> {
    writer
        .read("test.read", |conn| {
            let mut statement = conn.prepare("SELECT n FROM numbers ORDER BY n").map_err(|e| storage("test", e))?;
            let rows = statement.query_map([], |row| row.get(0)).map_err(|e| storage("test", e))?;
            rows.collect::<rusqlite::Result<Vec<i64>>>().map_err(|e| storage("test", e))
        })
        .await
        .unwrap()
}

/// Holds the writer inside a job until the returned sender is dropped or sent to; returns
/// once the job runs, so everything submitted afterwards waits in the queue.
async fn blocker(writer: &Writer) -> (std_mpsc::Sender<()>, tokio::task::JoinHandle<Result<i64>>) {
    let (release, wait) = std_mpsc::channel::<()>();
    let (started, running) = oneshot::channel::<()>();
    let writer = writer.clone();
    let job = tokio::spawn(async move {
        writer
            .write("test.block", move |conn| {
                let _ = started.send(());
                let _ = wait.recv();
                insert(conn, 0)
            })
            .await
    });
    running.await.unwrap();
    (release, job)
}

fn spawn_insert(writer: &Writer, n: i64, fail: bool) -> tokio::task::JoinHandle<Result<i64>> {
    let writer = writer.clone();
    tokio::spawn(async move {
        writer
            .write("test.job", move |conn| {
                insert(conn, n)?;
                if fail {
                    return Err(Error::new(ErrorKind::InvalidInput, "this job refuses"));
                }
                Ok(n)
            })
            .await
    })
}

async fn queued(writer: &Writer, count: usize) {
    while CAPACITY - writer.sender.capacity() < count {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_s_undo_runs_and_committed_jobs_undos_never_do() {
    use std::sync::Mutex;
    let writer = writer(None).await;
    let undone: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (release, first) = blocker(&writer).await;
    let jobs: Vec<_> = (1..=3)
        .map(|n| {
            let (writer, undone) = (writer.clone(), Arc::clone(&undone));
            tokio::spawn(async move {
                writer
                    .write("test.job", move |tx| {
                        insert(tx, n)?;
                        tx.on_rollback(move || undone.lock().unwrap().push(n));
                        if n == 2 {
                            return Err(Error::new(ErrorKind::InvalidInput, "this job refuses"));
                        }
                        Ok(n)
                    })
                    .await
            })
        })
        .collect();
    queued(&writer, 3).await;
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    for job in jobs {
        let _ = job.await.unwrap();
    }
    assert_eq!(*undone.lock().unwrap(), vec![2], "only the refused job's change outside SQLite is undone");
}

#[tokio::test]
async fn a_failing_job_is_rolled_back_alone() {
    let writer = writer(None).await;
    let (release, first) = blocker(&writer).await;
    let jobs: Vec<_> = (1..=5).map(|n| spawn_insert(&writer, n, n == 3)).collect();
    queued(&writer, 5).await;
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap(), 0);
    for (index, job) in jobs.into_iter().enumerate() {
        let result = job.await.unwrap();
        if index + 1 == 3 {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidInput);
        } else {
            assert!(result.is_ok());
        }
    }
    assert_eq!(numbers(&writer).await, vec![0, 1, 2, 4, 5], "only job 3's insert was rolled back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_job_is_rolled_back_and_the_writer_keeps_running() {
    let writer = writer(None).await;
    let result = writer
        .write("test.panic", |conn| -> Result<()> {
            insert(conn, 7)?;
            panic!("a bug in a job");
        })
        .await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Unexpected);
    assert_eq!(writer.write("test.after", |conn| insert(conn, 8)).await.unwrap(), 8);
    assert_eq!(numbers(&writer).await, vec![8]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_queued_together_share_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let writer = writer(Some(&dir.path().join("numbers.db"))).await;
    let (release, first) = blocker(&writer).await;
    let jobs: Vec<_> = (1..=50).map(|n| spawn_insert(&writer, n, false)).collect();
    queued(&writer, 50).await;
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    for job in jobs {
        job.await.unwrap().unwrap();
    }
    // Every commit appends at least one frame to the write-ahead log: 51 separate commits
    // would leave 51 or more. The blocked job and the batch behind it leave a few.
    let frames: i64 = writer
        .read("test.frames", |conn| {
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)).map_err(|e| storage("test", e))
        })
        .await
        .unwrap();
    assert!((1..10).contains(&frames), "{frames} WAL frames for two group commits");
    assert_eq!(numbers(&writer).await.len(), 51);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_job_is_answered_after_the_jobs_before_it_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numbers.db");
    let writer = writer(Some(&path)).await;
    let (release, first) = blocker(&writer).await;
    // One batch: a job that stores 1, then one that refuses (as a conflict with what the
    // first wrote would).
    let stored = spawn_insert(&writer, 1, false);
    queued(&writer, 1).await;
    let refused = spawn_insert(&writer, 2, true);
    queued(&writer, 2).await;
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(refused.await.unwrap().unwrap_err().kind(), ErrorKind::InvalidInput);
    // Another connection (another reader, another process) already sees what the batch
    // committed before the refusal, and not what the refused job wrote.
    let other = Connection::open(&path).unwrap();
    let seen: Vec<i64> = other
        .prepare("SELECT n FROM numbers ORDER BY n")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(seen, vec![0, 1]);
    assert_eq!(stored.await.unwrap().unwrap(), 1);
}

#[tokio::test]
async fn writes_after_close_fail_cleanly() {
    let writer = writer(None).await;
    writer.close().await;
    let err = writer.write("test.late", |conn| insert(conn, 1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
}
