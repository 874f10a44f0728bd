//! Spoofing characters (bidirectional controls, invisible marks, line and
//! paragraph separators) in OData options come back escaped in the
//! message, through `ODataQuery` behind `DefenderErrorLayer`.

use std::sync::LazyLock;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use defender_errors::DefenderErrorLayer;
use defender_odata::{Capabilities as C, ODataQuery, ODataSchema, PropertyType as T, Schema};
use http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Each character and how an echo writes it.
const SPOOFING: &[(char, &str)] = &[
    ('\u{202a}', "\\u{202a}"),
    ('\u{202b}', "\\u{202b}"),
    ('\u{202c}', "\\u{202c}"),
    ('\u{202d}', "\\u{202d}"),
    ('\u{202e}', "\\u{202e}"),
    ('\u{2066}', "\\u{2066}"),
    ('\u{2067}', "\\u{2067}"),
    ('\u{2068}', "\\u{2068}"),
    ('\u{2069}', "\\u{2069}"),
    ('\u{200b}', "\\u{200b}"),
    ('\u{200c}', "\\u{200c}"),
    ('\u{200d}', "\\u{200d}"),
    ('\u{200e}', "\\u{200e}"),
    ('\u{200f}', "\\u{200f}"),
    ('\u{2060}', "\\u{2060}"),
    ('\u{feff}', "\\u{feff}"),
    ('\u{061c}', "\\u{61c}"),
    ('\u{2028}', "\\u{2028}"),
    ('\u{2029}', "\\u{2029}"),
];

/// `c` percent-encoded as UTF-8, as a client puts it in a query string.
fn percent(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

struct Machines;

impl ODataSchema for Machines {
    fn schema() -> &'static Schema {
        static SCHEMA: LazyLock<Schema> =
            LazyLock::new(|| Schema::builder().property("id", T::String, C::ALL).build());
        &SCHEMA
    }
}

async fn odata_error_message(app: &Router, uri: String) -> String {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let envelope: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope["error"]["code"], "ODataError");
    envelope["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_odata_option_is_escaped() {
    let app = Router::new()
        .route("/machines", get(|_: ODataQuery<Machines>| async { "ok" }))
        .layer(DefenderErrorLayer::new());
    for (c, escaped) in SPOOFING {
        let uri = format!("/machines?$select=i{}d", percent(*c));
        assert_eq!(
            odata_error_message(&app, uri).await,
            format!(
                "Invalid OData URI query $select: expected a property name at position 0, found 'i{escaped}d'."
            )
        );
        let uri = format!("/machines?$filter=id%20eq%20x{}y", percent(*c));
        assert_eq!(
            odata_error_message(&app, uri).await,
            format!(
                "Invalid OData URI query $filter: unexpected character '{escaped}' at position 7."
            )
        );
    }
}
