//! Alerts: list and get.

use axum::extract::State;
use axum::Json;
use defender_errors::extract::Path;
use defender_errors::ApiError;
use serde_json::Value;

use super::auth::{AlertReadAll, Require};
use defender_errors::odata::ODataQuery;

use super::listing::{self, Alerts};
use super::machines::to_values;
use super::store::Alert;
use super::AppState;

/// `GET /api/alerts`
pub(crate) async fn list(
    _: Require<AlertReadAll>,
    query: ODataQuery<Alerts>,
    State(state): State<AppState>,
) -> Json<Value> {
    let items = to_values(&state.store.read().alerts);
    listing::respond("Alerts", &query, &items)
}

/// `GET /api/alerts/{id}`
pub(crate) async fn get(
    _: Require<AlertReadAll>,
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Json<Alert>, ApiError> {
    let store = state.store.read();
    let alert = store
        .alerts
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::entity_not_found("Alert", &id))?;
    Ok(Json(alert.clone()))
}
