//! The OpenAPI documentation of the envelope (feature `utoipa`): the
//! schemas, one response per status with the codes narrowed, the headers,
//! and what `LayerResponses` adds to which operations.
#![cfg(feature = "utoipa")]

use defender_errors::openapi::{ErrorResponses, LayerResponses};
use defender_errors::{error_responses, ErrorCode};
use serde_json::{json, Value};
use utoipa::{Modify, OpenApi, PartialSchema};

error_responses! {
    /// Two 400 codes and a 404.
    struct LookupErrors: InvalidHashValue, ResourceNotFound, InvalidInput;
}

#[utoipa::path(
    get,
    path = "/files/{hash}",
    params(("hash" = String, Path)),
    responses((status = 200, description = "found"), LookupErrors),
    security(("bearer" = []))
)]
#[allow(dead_code)]
async fn lookup() {}

#[utoipa::path(post, path = "/public", request_body = String, responses((status = 204, description = "done")))]
#[allow(dead_code)]
async fn public() {}

struct Stack;

impl Modify for Stack {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        LayerResponses::new()
            .on_every_operation([ErrorCode::ServiceUnavailable])
            .on_secured_operations([ErrorCode::Unauthorized, ErrorCode::Forbidden])
            .on_operations_with_body([ErrorCode::UnsupportedMediaType, ErrorCode::InvalidInput])
            .modify(openapi);
    }
}

#[derive(OpenApi)]
#[openapi(paths(lookup, public), modifiers(&Stack))]
struct Doc;

fn doc() -> Value {
    serde_json::to_value(Doc::openapi()).unwrap()
}

fn codes(response: &Value) -> Value {
    response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .clone()
}

#[test]
fn the_code_enum_is_every_code_of_the_table() {
    let schema = serde_json::to_value(ErrorCode::schema()).unwrap();
    assert_eq!(schema["type"], "string");
    let names = schema["enum"].as_array().unwrap();
    assert_eq!(names.len(), ErrorCode::ALL.len());
    for name in [
        "BadRequest",
        "ODataError",
        "TooManyRequests",
        "GatewayTimeout",
    ] {
        assert!(names.contains(&json!(name)), "{name}");
    }
}

#[test]
fn the_envelope_has_three_required_members_and_no_others() {
    let doc = doc();
    let envelope = &doc["components"]["schemas"]["DefenderError"];
    assert_eq!(envelope["required"], json!(["error"]));
    assert_eq!(envelope["additionalProperties"], false);
    let detail = &envelope["properties"]["error"];
    assert_eq!(detail["required"], json!(["code", "message", "target"]));
    assert_eq!(detail["additionalProperties"], false);
    assert_eq!(detail["properties"]["target"]["format"], "uuid");
    assert_eq!(
        detail["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    assert!(doc["components"]["schemas"]["ErrorCode"]["enum"].is_array());
}

#[test]
fn codes_are_grouped_by_status_with_an_example_each() {
    let doc = doc();
    let responses = &doc["paths"]["/files/{hash}"]["get"]["responses"];
    assert_eq!(
        codes(&responses["400"]),
        json!(["InvalidInput", "InvalidHashValue"])
    );
    assert_eq!(codes(&responses["404"]), json!(["ResourceNotFound"]));
    let examples = &responses["400"]["content"]["application/json"]["examples"];
    assert_eq!(
        examples["InvalidHashValue"]["value"]["error"]["code"],
        "InvalidHashValue"
    );
    assert_eq!(
        examples["InvalidInput"]["value"]["error"]["message"],
        "Invalid input."
    );
    let header = &responses["400"]["headers"]["x-ms-error-code"];
    assert_eq!(header["required"], true);
    assert_eq!(
        header["schema"]["enum"],
        json!(["InvalidInput", "InvalidHashValue"])
    );
    assert_eq!(
        responses["404"]["headers"]["x-ms-request-id"]["schema"]["format"],
        "uuid"
    );
}

#[test]
fn the_layer_responses_go_where_they_apply() {
    let doc = doc();
    let secured = &doc["paths"]["/files/{hash}"]["get"]["responses"];
    let public = &doc["paths"]["/public"]["post"]["responses"];
    for status in ["401", "403", "500", "503"] {
        assert!(secured[status].is_object(), "secured {status}");
    }
    assert!(secured["415"].is_null(), "no body, no 415");
    assert!(
        public["401"].is_null() && public["403"].is_null(),
        "no auth, no 401/403"
    );
    assert_eq!(codes(&public["415"]), json!(["UnsupportedMediaType"]));
    assert_eq!(codes(&public["400"]), json!(["InvalidInput"]));
    assert_eq!(codes(&public["500"]), json!(["InternalServerError"]));
    // 503 carries Retry-After; successes carry the request id.
    assert_eq!(secured["503"]["headers"]["Retry-After"]["required"], true);
    assert!(secured["503"]["headers"]["retry-after-ms"].is_object());
    assert_eq!(
        secured["200"]["headers"]["x-ms-request-id"]["required"],
        true
    );
    assert_eq!(
        public["204"]["headers"]["x-ms-request-id"]["schema"]["format"],
        "uuid"
    );
}

#[test]
fn codes_an_operation_declares_are_joined_with_the_layers() {
    let mut responses = ErrorResponses::new()
        .code(ErrorCode::InvalidHashValue)
        .into();
    ErrorResponses::new()
        .codes([ErrorCode::InvalidInput, ErrorCode::InvalidHashValue])
        .add_to(&mut responses);
    let responses = serde_json::to_value(&responses).unwrap();
    assert_eq!(
        codes(&responses["400"]),
        json!(["InvalidInput", "InvalidHashValue"])
    );
    assert_eq!(
        responses["400"]["description"],
        "Bad Request: InvalidInput, InvalidHashValue"
    );
}

#[test]
fn method_not_allowed_documents_allow() {
    let responses = ErrorResponses::new()
        .code(ErrorCode::MethodNotAllowed)
        .to_map();
    let response = serde_json::to_value(&responses["405"]).unwrap();
    assert_eq!(response["headers"]["Allow"]["required"], true);
}
