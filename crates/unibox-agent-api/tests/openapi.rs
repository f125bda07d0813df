//! `openapi.json` describes exactly the router: every route documented, nothing documented
//! that does not exist, and each documented method answered by the router.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use common::Trial;
use http::{Request, StatusCode};

fn documented() -> BTreeSet<(String, String)> {
    let spec: serde_json::Value = serde_json::from_str(unibox_agent_api::OPENAPI).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut routes = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn openapi_documents_every_route_and_nothing_else() {
    let served: BTreeSet<(String, String)> =
        unibox_agent_api::routes().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&served).collect();
    assert!(undocumented.is_empty(), "served but not in openapi.json: {undocumented:?}");
    assert!(missing.is_empty(), "in openapi.json but not served: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_answers_each_documented_method_and_refuses_the_others() {
    let trial = Trial::start().await;
    let documented = documented();
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    let id = unibox_core::ConversationId::new();
    for path in paths {
        let concrete = format!("/api{}", path.replace("{id}", &id.to_string()));
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let request = Request::builder().method(method).uri(&concrete).body(Body::empty()).unwrap();
            let (status, json) = trial.send(request).await;
            if documented.contains(&(method.to_string(), path.clone())) {
                // Served: the route's own answer, a typed error without a session (or, for the
                // sign-in, without a body).
                assert!(
                    status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST,
                    "{method} {path}: {status} {json}"
                );
                assert!(json["error"]["kind"].is_string(), "{method} {path}: {json}");
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is not documented");
            }
        }
    }
}
