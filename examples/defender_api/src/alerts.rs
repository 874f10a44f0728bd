//! Alerts: list and get.

use axum::extract::State;
use axum::Json;
use defender_errors::extract::Path;
use defender_errors::ApiError;
use serde_json::Value;

use super::auth::{AlertReadAll, Require};
use defender_odata::ODataQuery;

use super::listing::{self, Alerts};
use super::machines::{GetErrors, ListErrors};
use super::store::Alert;
use super::AppState;

/// Lists alerts, with OData options.
#[utoipa::path(
    get,
    path = "/api/alerts",
    operation_id = "ListAlerts",
    tag = "alerts",
    params(crate::openapi::ODataOptions<Alerts>),
    responses((status = 200, description = "A page of alerts", body = Alerts), ListErrors),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    _: Require<AlertReadAll>,
    query: ODataQuery<Alerts>,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    listing::alerts(&state.db, &query).await
}

/// Retrieves an alert by its id.
#[utoipa::path(
    get,
    path = "/api/alerts/{id}",
    operation_id = "GetAlert",
    tag = "alerts",
    params(("id" = String, Path, description = "The alert id")),
    responses((status = 200, description = "The alert", body = Alert), GetErrors),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    _: Require<AlertReadAll>,
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Json<Alert>, ApiError> {
    let alert = state.db.alert(&id).await?;
    Ok(Json(
        alert.ok_or_else(|| ApiError::entity_not_found("Alert", &id))?,
    ))
}
