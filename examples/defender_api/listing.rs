//! List endpoints' query options and response envelope.
//!
//! `ListQuery` reads the OData paging options `$top` and `$skip`; any other
//! `$` option is refused with `ODataError`. Handlers only call
//! [`ListQuery::respond`], so the options' implementation can change
//! without touching them.

use axum::extract::FromRequestParts;
use axum::Json;
use defender_errors::{echo, ApiError};
use http::request::Parts;
use serde_json::{json, Value};

/// The most items one page holds, as Defender documents.
const MAX_TOP: usize = 10_000;

/// `$top` and `$skip` of a list request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListQuery {
    top: Option<usize>,
    skip: usize,
}

impl ListQuery {
    /// The page `{"@odata.context": …, "value": […]}` of `items`.
    pub(crate) fn respond(&self, entity_set: &str, items: Vec<Value>) -> Json<Value> {
        let top = self.top.unwrap_or(MAX_TOP);
        let value: Vec<Value> = items.into_iter().skip(self.skip).take(top).collect();
        Json(json!({
            "@odata.context": format!("/api/$metadata#{entity_set}"),
            "value": value,
        }))
    }

    fn parse(query: &str) -> Result<Self, ApiError> {
        let mut options = ListQuery::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "$top" => {
                    let top = count(&name, &value)?;
                    if top > MAX_TOP {
                        return Err(ApiError::odata(format_args!(
                            "$top: {top} is more than the maximum of {MAX_TOP}"
                        )));
                    }
                    options.top = Some(top);
                }
                "$skip" => options.skip = count(&name, &value)?,
                other if other.starts_with('$') => {
                    return Err(ApiError::odata(format_args!(
                        "{}: the option is not supported; supported: $top, $skip",
                        echo(other)
                    )))
                }
                _ => {}
            }
        }
        Ok(options)
    }
}

fn count(name: &str, value: &str) -> Result<usize, ApiError> {
    value.parse().map_err(|_| {
        ApiError::odata(format_args!(
            "{name}: '{}' is not a non-negative integer",
            echo(value)
        ))
    })
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        ListQuery::parse(parts.uri.query().unwrap_or(""))
    }
}
