//! Threat intelligence: file information, domain and IP statistics, and
//! custom indicators (submit one, import a batch, list).

use axum::extract::State;
use axum::Json;
use defender_errors::extract::{Json as Body, Path};
use defender_errors::{
    ApiError, Batch, DomainName, FileHash, HashKind, HttpUrl, IpAddress, Md5Hash, Sha1Hash,
    Sha256Hash,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{Principal, Require, TiReadAll, TiReadWriteAll};
use defender_errors::odata::ODataQuery;

use super::listing::{self, Indicators};
use super::machines::to_values;
use super::store::{self, FileInfo, HostStats, Indicator, IpStats};
use super::AppState;

/// The most indicators one import takes.
pub(crate) const MAX_IMPORT: usize = 500;

/// `GET /api/files/{hash}`: by SHA-1, SHA-256 or MD5.
pub(crate) async fn file(
    _: Require<TiReadAll>,
    Path(hash): Path<FileHash>,
    State(state): State<AppState>,
) -> Result<Json<FileInfo>, ApiError> {
    let store = state.store.read();
    let hex = hash.as_str();
    let found = store.files.iter().find(|f| match hash.kind() {
        HashKind::Sha1 => f.sha1 == hex,
        HashKind::Sha256 => f.sha256 == hex,
        HashKind::Md5 => f.md5 == hex,
    });
    let file = found.ok_or_else(|| ApiError::entity_not_found("File", hex))?;
    Ok(Json(file.clone()))
}

/// `GET /api/domains/{domain}/stats`: a domain never seen in the
/// organization has a prevalence of 0, as in Defender.
pub(crate) async fn domain_stats(
    _: Require<TiReadAll>,
    Path(domain): Path<DomainName>,
    State(state): State<AppState>,
) -> Json<HostStats> {
    let store = state.store.read();
    let stats = store.domains.iter().find(|d| d.host == domain.as_str());
    Json(stats.cloned().unwrap_or_else(|| HostStats {
        host: domain.into_string(),
        org_prevalence: "0".to_owned(),
        org_first_seen: None,
        org_last_seen: None,
    }))
}

/// `GET /api/ips/{ip}/stats`
pub(crate) async fn ip_stats(
    _: Require<TiReadAll>,
    Path(ip): Path<IpAddress>,
    State(state): State<AppState>,
) -> Json<IpStats> {
    let store = state.store.read();
    let text = ip.to_string();
    let stats = store.ips.iter().find(|s| s.ip_address == text);
    Json(stats.cloned().unwrap_or(IpStats {
        ip_address: text,
        org_prevalence: "0".to_owned(),
        org_first_seen: None,
        org_last_seen: None,
    }))
}

/// One indicator as submitted: `POST /api/indicators` and each element of
/// an import. Names are case-sensitive, as in Defender.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct IndicatorRequest {
    indicator_value: String,
    indicator_type: IndicatorType,
    action: IndicatorAction,
    title: String,
    description: String,
    severity: Option<Severity>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
enum IndicatorType {
    FileSha1,
    FileSha256,
    FileMd5,
    IpAddress,
    DomainName,
    Url,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
enum IndicatorAction {
    Alert,
    Block,
    Allowed,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
enum Severity {
    #[default]
    Informational,
    Low,
    Medium,
    High,
}

impl IndicatorRequest {
    /// Checks the value by its type and makes the stored indicator, with
    /// the value in its canonical form.
    fn into_indicator(self, creator: &Principal) -> Result<Indicator, ApiError> {
        let value = &self.indicator_value;
        let canonical = match self.indicator_type {
            IndicatorType::FileSha1 => value.parse::<Sha1Hash>()?.into_string(),
            IndicatorType::FileSha256 => value.parse::<Sha256Hash>()?.into_string(),
            IndicatorType::FileMd5 => value.parse::<Md5Hash>()?.into_string(),
            IndicatorType::IpAddress => value.parse::<IpAddress>()?.to_string(),
            IndicatorType::DomainName => value.parse::<DomainName>()?.into_string(),
            IndicatorType::Url => value.parse::<HttpUrl>()?.to_string(),
        };
        let now = store::now();
        Ok(Indicator {
            id: String::new(),
            indicator_value: canonical,
            indicator_type: name_of(self.indicator_type),
            action: name_of(self.action),
            title: self.title,
            description: self.description,
            severity: name_of(self.severity.unwrap_or_default()),
            created_by: creator.name.to_owned(),
            creation_time_date_time_utc: now.clone(),
            last_update_time: now,
            source_type: "User",
        })
    }
}

/// A unit enum variant's name, as serde writes it.
fn name_of<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => unreachable!("unit variants serialize as strings"),
    }
}

/// `POST /api/indicators`: submits or updates one indicator.
pub(crate) async fn submit(
    Require(principal, ..): Require<TiReadWriteAll>,
    State(state): State<AppState>,
    Body(request): Body<IndicatorRequest>,
) -> Result<Json<Indicator>, ApiError> {
    let indicator = request.into_indicator(&principal)?;
    Ok(Json(state.store.write().upsert_indicator(indicator)))
}

/// The body of an import.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ImportRequest {
    indicators: Batch<IndicatorRequest, MAX_IMPORT>,
}

/// `POST /api/indicators/import`: up to 500 indicators. A value that fails
/// its type's check fails only its own item; the result lists every item.
pub(crate) async fn import(
    Require(principal, ..): Require<TiReadWriteAll>,
    State(state): State<AppState>,
    Body(request): Body<ImportRequest>,
) -> Json<Value> {
    let mut store = state.store.write();
    let results: Vec<Value> = request
        .indicators
        .into_iter()
        .map(|item| {
            let submitted = item.indicator_value.clone();
            match item.into_indicator(&principal) {
                Ok(indicator) => {
                    let stored = store.upsert_indicator(indicator);
                    json!({"id": stored.id, "indicator": stored.indicator_value, "isFailed": false, "failureReason": null})
                }
                Err(error) => {
                    json!({"id": null, "indicator": submitted, "isFailed": true, "failureReason": error.message()})
                }
            }
        })
        .collect();
    Json(json!({
        "@odata.context": "/api/$metadata#Collection(microsoft.windowsDefenderATP.api.ImportIndicatorResult)",
        "value": results,
    }))
}

/// `GET /api/indicators`
pub(crate) async fn list(
    _: Require<TiReadAll>,
    query: ODataQuery<Indicators>,
    State(state): State<AppState>,
) -> Json<Value> {
    let items = to_values(&state.store.read().indicators);
    listing::respond("Indicators", &query, &items)
}
