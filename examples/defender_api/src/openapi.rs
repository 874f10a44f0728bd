//! The OpenAPI document of the API, served at `GET /openapi.json`.
//!
//! It is generated from the code: each handler's `#[utoipa::path]` (its
//! parameters, body and the codes it returns), the types it reads and
//! writes, the OData schema of each list, and [`LayerResponses`] configured
//! as the middleware stack in [`app`](crate::app) is.

use std::marker::PhantomData;

use axum::Json;
use defender_errors::openapi::LayerResponses;
use defender_errors::{DomainName, ErrorCode, FileHash, IpAddress};
use defender_odata::{ODataSchema, PropertyType};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Required};
use utoipa::{IntoParams, Modify, OpenApi};

use crate::{alerts, intel, machines};

/// The document, from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Defender-like API",
        description = "An imitation of the Microsoft Defender for Endpoint REST API. \
Every error is the Defender envelope `{\"error\": {\"code\", \"message\", \"target\"}}`; \
each operation lists the codes it can return, one response per status.",
        license(name = "MIT", identifier = "MIT")
    ),
    paths(
        machines::list,
        machines::get,
        machines::isolate,
        machines::unisolate,
        machines::run_live_response,
        machines::get_action,
        machines::package_uri,
        alerts::list,
        alerts::get,
        intel::file,
        intel::domain_stats,
        intel::ip_stats,
        intel::submit,
        intel::import,
        intel::list,
        crate::simulate_panic,
        crate::simulate_slow,
        crate::simulate_delay,
        document,
        crate::healthz,
    ),
    components(schemas(FileHash, DomainName, IpAddress)),
    modifiers(&Stack),
    tags(
        (name = "machines", description = "Machines and machine actions"),
        (name = "alerts", description = "Alerts"),
        (name = "intel", description = "Files, domains, IPs and custom indicators"),
        (name = "simulate", description = "Endpoints that fail on purpose"),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "GetOpenApiDocument",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json", body = Object)),
    security(())
)]
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The bearer scheme, and what the middleware stack of [`app`](crate::app)
/// adds to every operation.
struct Stack;

impl Modify for Stack {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`demo-admin` (every permission) or `demo-reader` (read only)",
                    ))
                    .build(),
            ),
        );
        LayerResponses::new()
            .on_every_operation([
                // The router: an unmatched path (an empty segment), another method.
                ErrorCode::NotFound,
                ErrorCode::MethodNotAllowed,
                // The Accept check, the concurrency limit, the time limit.
                ErrorCode::NotAcceptable,
                ErrorCode::ServiceUnavailable,
                ErrorCode::GatewayTimeout,
                // The request-head checks: an ambiguous head, too many or too
                // large header fields, a transfer coding other than chunked,
                // a declared length over the body limit.
                ErrorCode::BadRequest,
                ErrorCode::RequestHeaderFieldsTooLarge,
                ErrorCode::NotImplemented,
                ErrorCode::PayloadTooLarge,
            ])
            .on_secured_operations([ErrorCode::Unauthorized, ErrorCode::Forbidden])
            .on_operations_with_body([
                // The JSON extractor, the body limit, the body deadline.
                ErrorCode::InvalidRequestBody,
                ErrorCode::InvalidInput,
                ErrorCode::MissingRequiredParameter,
                ErrorCode::UnsupportedMediaType,
                ErrorCode::PayloadTooLarge,
                ErrorCode::RequestTimeout,
            ])
            .modify(openapi);
    }
}

/// The OData system query options a list accepts, from its schema `M`.
pub(crate) struct ODataOptions<M>(PhantomData<M>);

impl<M: ODataSchema> IntoParams for ODataOptions<M> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = M::schema();
        let names = |keep: fn(&defender_odata::Property) -> bool| -> Vec<String> {
            schema
                .properties()
                .iter()
                .filter(|p| keep(p))
                .map(|p| p.name().to_owned())
                .collect()
        };
        let list = |values: Vec<String>| {
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(values)),
                )
                .min_items(Some(1))
                .unique_items(true)
        };
        let mut params = vec![
            option(
                "$filter",
                filter_schema(schema),
                "A boolean expression over the entity's properties. The document describes \
                 one comparison (`property eq value`); the server also accepts `and`, `or`, \
                 `not`, the other comparison operators and functions.",
            ),
            option(
                "$top",
                integer(0, schema.max_top()),
                "The number of items to return.",
            ),
            option(
                "$skip",
                integer(0, u64::MAX),
                "The number of items to skip.",
            ),
            option(
                "$count",
                ObjectBuilder::new().schema_type(Type::Boolean).into(),
                "`true` adds `@odata.count`, the number of matching items.",
            ),
            form(option(
                "$select",
                list(names(|p| p.is_selectable())).into(),
                "The properties to return, each once (the server also accepts `*`).",
            )),
            form(option(
                "$orderby",
                list(names(|p| p.is_sortable())).into(),
                "The properties to sort by, each once; the server also accepts ` asc` or \
                 ` desc` after a property.",
            )),
        ];
        let expandable: Vec<String> = schema.expandable().map(str::to_owned).collect();
        if !expandable.is_empty() {
            params.push(form(option(
                "$expand",
                list(expandable).into(),
                "The relations to expand.",
            )));
        }
        params
    }
}

/// An optional query parameter.
fn option(name: &str, schema: RefOr<Schema>, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

/// A list parameter written comma-separated, as OData does.
fn form(mut parameter: Parameter) -> Parameter {
    parameter.style = Some(ParameterStyle::Form);
    parameter.explode = Some(false);
    parameter
}

fn integer(minimum: u64, maximum: u64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .maximum(Some(maximum))
        .into()
}

/// `$filter` as the literal `true` or `false`, or one comparison
/// `property eq literal`, per filterable property and its type: a quoted
/// string, a member of an enumeration, an integer or a boolean.
fn filter_schema(schema: &defender_odata::Schema) -> RefOr<Schema> {
    let alternatives: Vec<String> = schema
        .properties()
        .iter()
        .filter(|p| p.is_filterable())
        .filter_map(|p| {
            let literal = match p.ty() {
                PropertyType::String => "'[A-Za-z0-9 ._-]{0,40}'".to_owned(),
                PropertyType::Integer => "(0|[1-9][0-9]{0,8})".to_owned(),
                PropertyType::Boolean => "(true|false)".to_owned(),
                PropertyType::Enum(_) => {
                    let members = p.ty().members().unwrap_or_default();
                    format!("'({})'", members.join("|"))
                }
                _ => return None,
            };
            Some(format!("{} +eq +{literal}", p.name()))
        })
        .chain(["true".to_owned(), "false".to_owned()])
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^ *({}) *$", alternatives.join("|"))))
        .max_length(Some(schema.max_filter_length()))
        .into()
}
