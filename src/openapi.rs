//! OpenAPI documentation of the envelope and of each operation's errors,
//! for utoipa (feature `utoipa`).
//!
//! - [`ErrorResponse`] (the envelope) and [`ErrorCode`] implement
//!   [`ToSchema`]: the schemas `DefenderError` (all three members required,
//!   `target` a UUID, no other member) and `ErrorCode` (a string enum of
//!   every code in [`ErrorCode::ALL`]).
//! - [`ErrorResponses`] turns a list of codes into OpenAPI responses: one
//!   response per status, whose body is the envelope with `code` narrowed
//!   to the listed codes of that status, with an example per code and the
//!   headers the layer sends (`x-ms-error-code`, `x-ms-request-id`,
//!   `Retry-After` and `retry-after-ms` on 429 and 503, `Allow` on 405).
//! - [`error_responses!`](crate::error_responses) declares such a list as a
//!   type, for the `responses(...)` of a `#[utoipa::path]`.
//! - [`LayerResponses`] is a [`Modify`] that adds the responses the layer
//!   and the middleware around it produce to every operation (500, plus what
//!   you configure: 401/403 where an operation requires authentication,
//!   413/415 where it takes a body, 503/504, ...), adds `x-ms-request-id` to
//!   every success response, and registers the two schemas.
//!
//! # Example
//!
//! ```
//! use defender_errors::openapi::LayerResponses;
//! use defender_errors::{error_responses, ErrorCode};
//! use utoipa::OpenApi;
//!
//! error_responses! {
//!     /// What `GET /api/machines/{id}` answers besides 200.
//!     pub struct GetMachineErrors: ResourceNotFound;
//! }
//!
//! /// Retrieves a machine by its id.
//! #[utoipa::path(
//!     get,
//!     path = "/api/machines/{id}",
//!     params(("id" = String, Path, description = "The machine id")),
//!     responses((status = 200, description = "The machine", body = String), GetMachineErrors),
//!     security(("bearer" = []))
//! )]
//! async fn get_machine() {}
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(get_machine), modifiers(&Layer))]
//! struct ApiDoc;
//!
//! /// The layer stack of this server: a timeout, a load shedder, bearer auth.
//! struct Layer;
//!
//! impl utoipa::Modify for Layer {
//!     fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
//!         LayerResponses::new()
//!             .on_every_operation([ErrorCode::ServiceUnavailable, ErrorCode::GatewayTimeout])
//!             .on_secured_operations([ErrorCode::Unauthorized, ErrorCode::Forbidden])
//!             .modify(openapi);
//!     }
//! }
//!
//! let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
//! let responses = &doc["paths"]["/api/machines/{id}"]["get"]["responses"];
//! // One response per status, each with the codes of that status.
//! let not_found = &responses["404"]["content"]["application/json"];
//! assert_eq!(not_found["schema"]["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"], serde_json::json!(["ResourceNotFound"]));
//! assert!(not_found["examples"]["ResourceNotFound"].is_object());
//! for status in ["401", "403", "500", "503", "504"] {
//!     assert!(responses[status].is_object(), "{status}");
//! }
//! assert_eq!(responses["200"]["headers"]["x-ms-request-id"]["schema"]["format"], "uuid");
//! assert_eq!(responses["503"]["headers"]["Retry-After"]["required"], true);
//! assert!(doc["components"]["schemas"]["DefenderError"].is_object());
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{json, Value};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder, Responses};
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{ComponentsBuilder, ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::client::ErrorResponse;
use crate::ErrorCode;

#[doc(hidden)]
pub use utoipa as __utoipa;

/// The name of the envelope's schema in `components/schemas`.
pub const ERROR_SCHEMA: &str = "DefenderError";
/// The name of the code enum's schema in `components/schemas`.
pub const CODE_SCHEMA: &str = "ErrorCode";
/// The header every response carries the tracking id in.
pub const REQUEST_ID_HEADER: &str = "x-ms-request-id";
/// The media type of the envelope, as the document names it.
const JSON: &str = "application/json";
/// The `target` of the examples: any UUID will do.
const EXAMPLE_TARGET: &str = "43f4cb08-8fac-4b65-9db1-745c2ae65f3a";

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A Defender error code; the same value is sent in the `x-ms-error-code` header.",
            ))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(CODE_SCHEMA)
    }
}

impl PartialSchema for ErrorResponse {
    fn schema() -> RefOr<Schema> {
        let detail = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("code", Ref::from_schema_name(CODE_SCHEMA))
            .required("code")
            .property(
                "message",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Human-readable; empty for InternalServerError.")),
            )
            .required("message")
            .property(
                "target",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::Custom("uuid".to_owned())))
                    .description(Some(
                        "The request's tracking id, also sent in `x-ms-request-id`.",
                    )),
            )
            .required("target")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("The Defender error envelope."))
            .property("error", detail)
            .required("error")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for ErrorResponse {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(ERROR_SCHEMA)
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CODE_SCHEMA.to_owned(), ErrorCode::schema()));
    }
}

/// The error responses of one operation, built from the codes it can
/// return. See the [module docs](self).
///
/// ```
/// use defender_errors::openapi::ErrorResponses;
/// use defender_errors::ErrorCode;
///
/// let responses = ErrorResponses::new()
///     .codes([ErrorCode::InvalidHashValue, ErrorCode::ResourceNotFound, ErrorCode::InvalidInput])
///     .to_map();
/// // Two 400 codes share one response; 404 has its own.
/// assert_eq!(responses.keys().collect::<Vec<_>>(), ["400", "404"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorResponses {
    /// Kept in the order of [`ErrorCode::ALL`], without repeats.
    codes: Vec<ErrorCode>,
}

impl ErrorResponses {
    /// No codes yet.
    pub fn new() -> Self {
        ErrorResponses::default()
    }

    /// Adds one code.
    pub fn code(self, code: ErrorCode) -> Self {
        self.codes([code])
    }

    /// Adds codes.
    pub fn codes(mut self, codes: impl IntoIterator<Item = ErrorCode>) -> Self {
        self.codes.extend(codes);
        self.codes.sort_by_key(|code| table_position(*code));
        self.codes.dedup();
        self
    }

    /// The codes, in the order of the table.
    pub fn as_codes(&self) -> &[ErrorCode] {
        &self.codes
    }

    /// The responses, keyed by status as `Operation::responses` holds them.
    pub fn to_map(&self) -> BTreeMap<String, RefOr<Response>> {
        let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
        for code in &self.codes {
            by_status
                .entry(code.status().as_u16())
                .or_default()
                .push(*code);
        }
        by_status
            .into_iter()
            .map(|(status, codes)| (status.to_string(), status_response(&codes).into()))
            .collect()
    }

    /// Adds these responses to `responses`. Where a response for the same
    /// status is already there and was made by this type, the two lists of
    /// codes are joined; any other response already there is kept as it is.
    pub fn add_to(&self, responses: &mut Responses) {
        for (status, response) in self.to_map() {
            let joined = match responses.responses.get(&status) {
                None => response,
                Some(existing) => match documented_codes(existing) {
                    Some(existing) => {
                        let mut codes = existing;
                        codes.extend(documented_codes(&response).unwrap_or_default());
                        codes.sort_by_key(|code| table_position(*code));
                        codes.dedup();
                        status_response(&codes).into()
                    }
                    None => continue,
                },
            };
            responses.responses.insert(status, joined);
        }
    }
}

impl From<ErrorResponses> for Responses {
    fn from(errors: ErrorResponses) -> Self {
        let mut responses = Responses::new();
        responses.responses = errors.to_map();
        responses
    }
}

/// Declares a type whose [`IntoResponses`](utoipa::IntoResponses) are the
/// error responses of a list of codes (see [`ErrorResponses`]), for the
/// `responses(...)` of a `#[utoipa::path]`.
///
/// ```
/// defender_errors::error_responses! {
///     /// What submitting an indicator can fail with.
///     pub struct SubmitErrors: InvalidHashValue, InvalidDomainName, MissingRequiredParameter;
/// }
/// use utoipa::IntoResponses;
/// assert_eq!(SubmitErrors::responses().len(), 1); // all three are 400
/// ```
#[macro_export]
macro_rules! error_responses {
    ($( $(#[$meta:meta])* $vis:vis struct $name:ident: $($code:ident),+ $(,)?; )+) => {$(
        $(#[$meta])*
        $vis struct $name;

        impl $crate::openapi::__utoipa::IntoResponses for $name {
            fn responses() -> ::std::collections::BTreeMap<
                ::std::string::String,
                $crate::openapi::__utoipa::openapi::RefOr<
                    $crate::openapi::__utoipa::openapi::response::Response,
                >,
            > {
                $crate::openapi::ErrorResponses::new()
                    .codes([$($crate::ErrorCode::$code),+])
                    .to_map()
            }
        }
    )+};
}

/// A [`Modify`] that documents what the layer, and the middleware around
/// it, add to every operation. See the [module docs](self).
///
/// By default it adds `500 InternalServerError` (a handler panic) to every
/// operation, `x-ms-request-id` to every success response, and the
/// `DefenderError` and `ErrorCode` schemas to the components. The other
/// responses depend on the stack, so they are configured:
/// [`on_every_operation`](Self::on_every_operation) for a timeout (504) or
/// a load shedder (503), [`on_secured_operations`](Self::on_secured_operations)
/// for authentication (401/403, on operations whose effective `security`
/// requires a scheme), [`on_operations_with_body`](Self::on_operations_with_body)
/// for a body limit (413) or a JSON body (415). Responses an operation
/// already declares for a status are joined with these, not replaced.
#[derive(Debug, Clone)]
pub struct LayerResponses {
    every: ErrorResponses,
    secured: ErrorResponses,
    with_body: ErrorResponses,
}

impl Default for LayerResponses {
    fn default() -> Self {
        LayerResponses {
            every: ErrorResponses::new().code(ErrorCode::InternalServerError),
            secured: ErrorResponses::new(),
            with_body: ErrorResponses::new(),
        }
    }
}

impl LayerResponses {
    /// 500 on every operation, `x-ms-request-id` on every success.
    pub fn new() -> Self {
        LayerResponses::default()
    }

    /// Codes any operation can return (a timeout's 504, an overload's 503,
    /// a router's 404 or 405, ...).
    pub fn on_every_operation(mut self, codes: impl IntoIterator<Item = ErrorCode>) -> Self {
        self.every = self.every.codes(codes);
        self
    }

    /// Codes an operation that requires authentication can return.
    pub fn on_secured_operations(mut self, codes: impl IntoIterator<Item = ErrorCode>) -> Self {
        self.secured = self.secured.codes(codes);
        self
    }

    /// Codes an operation with a request body can return.
    pub fn on_operations_with_body(mut self, codes: impl IntoIterator<Item = ErrorCode>) -> Self {
        self.with_body = self.with_body.codes(codes);
        self
    }

    /// Applies these responses to one operation; `secured` tells whether it
    /// requires authentication.
    pub fn apply(&self, operation: &mut Operation, secured: bool) {
        self.every.add_to(&mut operation.responses);
        if secured {
            self.secured.add_to(&mut operation.responses);
        }
        if operation.request_body.is_some() {
            self.with_body.add_to(&mut operation.responses);
        }
        for (status, response) in operation.responses.responses.iter_mut() {
            if let (false, RefOr::T(response)) = (is_error_status(status), response) {
                response
                    .headers
                    .entry(REQUEST_ID_HEADER.to_owned())
                    .or_insert_with(|| request_id_header().into());
            }
        }
    }
}

impl Modify for LayerResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let default_secured = requires_auth(openapi.security.as_deref());
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = match &operation.security {
                    Some(security) => requires_auth(Some(security)),
                    None => default_secured,
                };
                self.apply(operation, secured);
            }
        }
        let mut components = openapi
            .components
            .take()
            .unwrap_or_else(|| ComponentsBuilder::new().build());
        let mut schemas = vec![(ERROR_SCHEMA.to_owned(), ErrorResponse::schema())];
        ErrorResponse::schemas(&mut schemas);
        for (name, schema) in schemas {
            components.schemas.entry(name).or_insert(schema);
        }
        openapi.components = Some(components);
    }
}

/// Whether a `security` list requires a scheme: it is not empty and no
/// entry is the empty requirement `{}` (which makes authentication
/// optional). utoipa's empty requirement is its `Default`, compared as a
/// value rather than read from its serialized form.
fn requires_auth(security: Option<&[utoipa::openapi::security::SecurityRequirement]>) -> bool {
    let optional = utoipa::openapi::security::SecurityRequirement::default();
    security.is_some_and(|list| !list.is_empty() && !list.contains(&optional))
}

/// Whether a `responses` key is a 4xx or 5xx status (or range).
fn is_error_status(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

fn table_position(code: ErrorCode) -> usize {
    ErrorCode::ALL
        .iter()
        .position(|c| *c == code)
        .expect("every code is in the table")
}

/// The codes of a response this module made: the names of its examples.
fn documented_codes(response: &RefOr<Response>) -> Option<Vec<ErrorCode>> {
    let RefOr::T(response) = response else {
        return None;
    };
    let RefOr::T(content) = response.content.get(JSON)? else {
        return None;
    };
    let codes: Vec<ErrorCode> = content
        .examples
        .keys()
        .map(|name| name.parse().ok())
        .collect::<Option<_>>()?;
    (!codes.is_empty()).then_some(codes)
}

/// The response of one status, for `codes` (all of that status).
fn status_response(codes: &[ErrorCode]) -> Response {
    let status = codes[0].status();
    let names: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
    let narrowed = ObjectBuilder::new().schema_type(Type::Object).property(
        "error",
        ObjectBuilder::new().schema_type(Type::Object).property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names.iter().copied())),
        ),
    );
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name(ERROR_SCHEMA))
        .item(narrowed);
    let examples = codes.iter().map(|code| {
        let example = utoipa::openapi::example::ExampleBuilder::new()
            .summary(code.as_str())
            .value(Some(json!({"error": {
                "code": code.as_str(),
                "message": code.default_message(),
                "target": EXAMPLE_TARGET,
            }})));
        (code.as_str(), example.build())
    });
    let content = ContentBuilder::new()
        .schema(Some(schema))
        .examples_from_iter(examples)
        .build();
    let mut response = ResponseBuilder::new()
        .description(format!(
            "{}: {}",
            status.canonical_reason().unwrap_or("Error"),
            names.join(", ")
        ))
        .content(JSON, content)
        .header(
            crate::ERROR_CODE_HEADER.as_str(),
            required_header(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(names.iter().copied())),
                "The error code, as in the body.",
            ),
        )
        .header(REQUEST_ID_HEADER, request_id_header());
    match status.as_u16() {
        429 | 503 => {
            response = response
                .header(
                    "Retry-After",
                    required_header(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0)),
                        "Seconds to wait before retrying.",
                    ),
                )
                .header("retry-after-ms", {
                    let mut header = Header::new(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0)),
                    );
                    header.description = Some(
                        "Milliseconds to wait before retrying (read first by Azure SDKs)."
                            .to_owned(),
                    );
                    header
                })
        }
        405 => {
            response = response.header(
                "Allow",
                required_header(
                    ObjectBuilder::new().schema_type(Type::String),
                    "The methods the resource supports.",
                ),
            )
        }
        _ => {}
    }
    response.build()
}

/// `x-ms-request-id`: a UUID on every response.
fn request_id_header() -> Header {
    required_header(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uuid".to_owned()))),
        "The request's tracking id (the envelope's `target`).",
    )
}

/// A header the response always carries. utoipa's `Header` has no
/// `required` field, so the member is written as an extension, which
/// serializes in place.
fn required_header(schema: impl Into<RefOr<Schema>>, description: &str) -> Header {
    let mut header = Header::new(schema);
    header.description = Some(description.to_owned());
    header.extensions = Some(Extensions::from_iter([("required", Value::Bool(true))]));
    header
}

/// The schemas of the typed values, so a parameter or body member of one of
/// these types documents exactly what the value's check accepts.
mod values {
    use std::borrow::Cow;

    use utoipa::openapi::schema::{
        AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type,
    };
    use utoipa::openapi::RefOr;
    use utoipa::{PartialSchema, ToSchema};

    use crate::{Batch, DomainName, FileHash, HttpUrl, IpAddress, Md5Hash, Sha1Hash, Sha256Hash};

    /// One DNS label: 1 to 63 letters, digits and hyphens, no hyphen at
    /// either end.
    const LABEL: &str = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

    /// A string schema with a pattern (anchored at both ends).
    fn pattern(pattern: String, max_length: Option<usize>, description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .max_length(max_length)
            .description(Some(description))
            .into()
    }

    fn hex(lengths: &[usize], description: &str) -> RefOr<Schema> {
        let alternatives: Vec<String> = lengths
            .iter()
            .map(|len| format!("[0-9a-fA-F]{{{len}}}"))
            .collect();
        pattern(
            format!("^({})$", alternatives.join("|")),
            lengths.iter().max().copied(),
            description,
        )
    }

    macro_rules! named {
        ($($ty:ty => $name:literal, $schema:expr;)*) => {$(
            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    $schema
                }
            }

            impl ToSchema for $ty {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed($name)
                }
            }
        )*};
    }

    named! {
        FileHash => "FileHash", hex(&[32, 40, 64], "A file hash: MD5, SHA-1 or SHA-256, in hexadecimal digits.");
        Md5Hash => "Md5Hash", hex(&[32], "An MD5 hash: 32 hexadecimal digits.");
        Sha1Hash => "Sha1Hash", hex(&[40], "A SHA-1 hash: 40 hexadecimal digits.");
        Sha256Hash => "Sha256Hash", hex(&[64], "A SHA-256 hash: 64 hexadecimal digits.");
        DomainName => "DomainName", pattern(
            // The last label is not all digits (that would be an IPv4 address).
            format!("^({LABEL}\\.)*(?![0-9]+$){LABEL}$"),
            Some(253),
            "An RFC 1123 host name (internationalized names in A-label form).",
        );
        HttpUrl => "HttpUrl", pattern(
            // A subset the check accepts: a host name, an optional path of
            // unreserved characters. Labels starting with `xn--` must be
            // valid punycode, which a pattern cannot say, so they are left out.
            format!("^[Hh][Tt][Tt][Pp][Ss]?://((?![Xx][Nn]--){LABEL}\\.)*(?![0-9]+(/|$))(?![Xx][Nn]--){LABEL}(/[A-Za-z0-9._~-]*)*$"),
            Some(2048),
            "An absolute http or https URL.",
        );
        IpAddress => "IpAddress", AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::Custom("ipv4".to_owned()))))
            .item(ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::Custom("ipv6".to_owned()))))
            .description(Some("An IPv4 (dotted quad) or IPv6 address."))
            .into();
    }

    impl<T: ToSchema, const MAX: usize> PartialSchema for Batch<T, MAX> {
        fn schema() -> RefOr<Schema> {
            ArrayBuilder::new()
                .items(T::schema())
                .max_items(Some(MAX))
                .into()
        }
    }

    impl<T: ToSchema, const MAX: usize> ToSchema for Batch<T, MAX> {
        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            T::schemas(schemas);
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::security::SecurityRequirement;

    use super::requires_auth;

    #[test]
    fn an_empty_requirement_makes_authentication_optional() {
        let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
        assert!(requires_auth(Some(std::slice::from_ref(&bearer))));
        assert!(!requires_auth(Some(&[
            bearer,
            SecurityRequirement::default()
        ])));
        assert!(!requires_auth(Some(&[])));
        assert!(!requires_auth(None));
    }
}
