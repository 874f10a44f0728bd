//! The client form of the envelope reads what the layer sends: every code
//! of the table, through a real router behind the layer, parsed back and
//! written out again unchanged; and a code this version does not know is
//! kept as text.
#![cfg(feature = "axum")]

use crate::common;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use common::{assert_uuid, get as get_req, send};
use defender_errors::client::{ErrorResponse, ReceivedCode};
use defender_errors::{ApiError, DefenderErrorLayer, ErrorCode};

/// `GET /{code}` answers with that code's error.
fn app() -> Router {
    Router::new()
        .route(
            "/{code}",
            get(|Path(code): Path<String>| async move {
                let code: ErrorCode = code.parse().expect("the test asks for known codes");
                Err::<(), _>(ApiError::from_code(code))
            }),
        )
        .layer(DefenderErrorLayer::new())
}

#[tokio::test]
async fn every_code_round_trips_through_the_client_type() {
    let app = app();
    assert!(ErrorCode::ALL.len() >= 27, "the table lost codes");
    for &code in ErrorCode::ALL {
        let reply = send(&app, get_req(&format!("/{}", code.as_str()))).await;
        assert_eq!(reply.status, code.status(), "{code}");

        let error: ErrorResponse = serde_json::from_slice(&reply.body)
            .unwrap_or_else(|e| panic!("{code}: {e}: {:?}", reply.body));
        assert_eq!(error.code(), Some(code));
        assert_eq!(error.error.code, ReceivedCode::Known(code));
        assert_eq!(error.error.code.as_str(), reply.header("x-ms-error-code"));
        assert_eq!(error.error.message, code.default_message());
        assert_uuid(&error.error.target);
        assert_eq!(error.error.target, reply.header("x-ms-request-id"));
        assert_eq!(
            error.tracking_id().map(|id| id.to_string()).as_deref(),
            Some(reply.header("x-ms-request-id"))
        );

        // Written out again, it is the body that was sent.
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            reply.json(),
            "{code}"
        );
    }
}

#[test]
fn an_unknown_code_is_kept_as_text() {
    let body = r#"{"error":{"code":"QuotaExhausted","message":"Try tomorrow.","target":"43f4cb08-8fac-4b65-9db1-745c2ae65f3a"}}"#;
    let error: ErrorResponse = serde_json::from_str(body).unwrap();
    assert_eq!(
        error.error.code,
        ReceivedCode::Unknown("QuotaExhausted".to_owned())
    );
    assert_eq!(error.code(), None);
    assert_eq!(error.error.message, "Try tomorrow.");
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        serde_json::from_str::<serde_json::Value>(body).unwrap()
    );
}

#[test]
fn codes_are_case_sensitive() {
    let error: ErrorResponse =
        serde_json::from_str(r#"{"error":{"code":"resourcenotfound","message":"","target":""}}"#)
            .unwrap();
    assert_eq!(
        error.error.code,
        ReceivedCode::Unknown("resourcenotfound".to_owned())
    );
    assert_eq!(error.tracking_id(), None);
}
