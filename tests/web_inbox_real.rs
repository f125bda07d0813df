//! `examples/web_inbox` with a real LINE account configured: the channel's API base URL points
//! at a loopback fake LINE server; a signed LINE webhook lands in the inbox, the agent API shows
//! it, a reply goes out as a push with the configured token, and "simulate customer" refuses it.

#[path = "../examples/web_inbox/app.rs"]
#[allow(dead_code)]
mod app;

use serde_json::{Value, json};
use unibox::secrecy::SecretString;
use unibox_testkit::http::{FakeServer, ScriptedResponse};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_line_account_receives_and_replies_through_the_configured_api() {
    let fake_line = FakeServer::start().await.unwrap();
    fake_line.set_default(ScriptedResponse::json(200, &json!({ "sentMessages": [{ "id": "1", "quoteToken": "q" }] })));
    let dir = tempfile::tempdir().unwrap();
    let line = app::RealAccount {
        secret: SecretString::from("real-line-channel-secret"),
        token: SecretString::from("real-line-access-token"),
        account_id: "Ureal0000000000000000000000000000".to_string(),
        api_base: Some(fake_line.url().to_string()),
        verify_token: None,
    };
    let inbox = app::start_with(dir.path(), "127.0.0.1:0".parse().unwrap(), Some(line), None).await.unwrap();
    let base = format!("http://{}", inbox.addr);
    let http = reqwest::Client::new();

    let body = json!({ "destination": "Ureal0000000000000000000000000000", "events": [{
        "type": "message", "message": { "type": "text", "id": "5001", "quoteToken": "q", "text": "Is it in stock?" },
        "webhookEventId": "01REALTEST0001", "deliveryContext": { "isRedelivery": false },
        "timestamp": unibox::Timestamp::now().as_unix_millis(),
        "source": { "type": "user", "userId": "Ucustomer000000000000000000000001" },
        "replyToken": "real-reply-1", "mode": "active" }] })
    .to_string();
    let signature = unibox_channel_line::signature_header("real-line-channel-secret", body.as_bytes());
    let answer = http
        .post(format!("{base}/webhooks/line"))
        .header("x-line-signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "webhook answered {}", answer.status());

    let signed_in = http
        .post(format!("{base}/api/session"))
        .header("content-type", "application/json")
        .body(json!({ "tenant": "demo", "user": "sam", "password": app::DEMO_PASSWORD, "bearer": true }).to_string())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let signed_in: Value = serde_json::from_slice(&signed_in).unwrap();
    let token = signed_in["token"].as_str().expect("a bearer token").to_string();

    let mut id = None;
    for _ in 0..100 {
        let rows = http
            .get(format!("{base}/api/conversations"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let rows: Value = serde_json::from_slice(&rows).unwrap();
        if let Some(row) = rows["items"].as_array().and_then(|items| items.first()) {
            id = Some(row["id"].as_str().unwrap().to_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = id.expect("the conversation appears through the agent API");

    let reply = http
        .post(format!("{base}/api/conversations/{id}/messages"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json!({ "text": "Yes, two left." }).to_string())
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success(), "reply answered {}", reply.status());

    let mut push = None;
    for _ in 0..200 {
        push = fake_line
            .requests()
            .into_iter()
            .find(|r| r.path().ends_with("/message/reply") || r.path().ends_with("/message/push"));
        if push.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let push = push.unwrap_or_else(|| {
        panic!(
            "no push; the fake LINE server saw {:?}",
            fake_line.requests().iter().map(|r| r.path().to_string()).collect::<Vec<_>>()
        )
    });
    assert_eq!(push.header("authorization"), Some("Bearer real-line-access-token"));
    let sent = push.json().unwrap();
    // Within the reply token's life LINE's reply API is used (free); the push API otherwise.
    if push.path().ends_with("/message/reply") {
        assert_eq!(sent["replyToken"], "real-reply-1");
    } else {
        assert_eq!(sent["to"], "Ucustomer000000000000000000000001");
    }
    assert_eq!(sent["messages"][0]["text"], "Yes, two left.");

    let simulated = http
        .post(format!("{base}/sandbox/simulate"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json!({ "channel": "line", "customer": "Ann", "kind": "text", "text": "hi" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(simulated.status(), 400, "a real channel is never simulated");
    inbox.stop().await;
}
