//! `serve` gives handlers the connection's peer address as axum's `ConnectInfo`, as
//! `into_make_service_with_connect_info` would (the agent API throttles sign-ins by it).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_see_the_peer_address() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        Router::new().route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(unibox_server_axum::serve(listener, app, async move {
        let _ = stopped.await;
    }));

    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let local = client.local_addr().unwrap();
    client.write_all(b"GET /peer HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&local.to_string()), "the client's own address and port: {answer}");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
