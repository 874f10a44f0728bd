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
use serde_json::Value;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::auth::{Principal, Require, TiReadAll, TiReadWriteAll};
use defender_odata::ODataQuery;

use super::listing::{self, Indicators};
use super::machines::ListErrors;
use super::store::{self, FileInfo, HostStats, Indicator, IpStats};
use super::AppState;

/// The most indicators one import takes.
pub(crate) const MAX_IMPORT: usize = 500;

defender_errors::error_responses! {
    /// `GET /api/files/{hash}`.
    pub(crate) struct FileErrors: InvalidInput, InvalidHashValue, ResourceNotFound;
    /// `GET /api/domains/{domain}/stats`.
    pub(crate) struct DomainErrors: InvalidInput, InvalidDomainName;
    /// `GET /api/ips/{ip}/stats`.
    pub(crate) struct IpErrors: InvalidInput, InvalidIpAddress;
    /// `POST /api/indicators`: the value fails the check of its type.
    pub(crate) struct SubmitErrors: InvalidHashValue, InvalidDomainName, InvalidIpAddress, InvalidUrl;
    /// `POST /api/indicators/import`.
    pub(crate) struct ImportErrors: MaximumBatchSizeExceeded, TooManyRequests;
}

/// Retrieves a file's information by its SHA-1, SHA-256 or MD5 hash.
#[utoipa::path(
    get,
    path = "/api/files/{hash}",
    operation_id = "GetFileInformation",
    tag = "intel",
    params(("hash" = FileHash, Path, description = "An MD5, SHA-1 or SHA-256 hash")),
    responses((status = 200, description = "The file", body = FileInfo), FileErrors),
    security(("bearer" = []))
)]
pub(crate) async fn file(
    _: Require<TiReadAll>,
    Path(hash): Path<FileHash>,
    State(state): State<AppState>,
) -> Result<Json<FileInfo>, ApiError> {
    let hex = hash.as_str();
    let column = match hash.kind() {
        HashKind::Sha1 => "sha1",
        HashKind::Sha256 => "sha256",
        HashKind::Md5 => "md5",
    };
    let file = state.db.file(column, hex).await?;
    Ok(Json(
        file.ok_or_else(|| ApiError::entity_not_found("File", hex))?,
    ))
}

/// `GET /api/domains/{domain}/stats`: a domain never seen in the
/// organization has a prevalence of 0, as in Defender.
#[utoipa::path(
    get,
    path = "/api/domains/{domain}/stats",
    operation_id = "GetDomainStats",
    tag = "intel",
    params(("domain" = DomainName, Path, description = "A domain name")),
    responses((status = 200, description = "The domain's statistics", body = HostStats), DomainErrors),
    security(("bearer" = []))
)]
pub(crate) async fn domain_stats(
    _: Require<TiReadAll>,
    Path(domain): Path<DomainName>,
    State(state): State<AppState>,
) -> Result<Json<HostStats>, ApiError> {
    let stats = state.db.domain(domain.as_str()).await?;
    Ok(Json(stats.unwrap_or_else(|| HostStats {
        host: domain.into_string(),
        org_prevalence: "0".to_owned(),
        org_first_seen: None,
        org_last_seen: None,
    })))
}

/// Organization statistics of an IP address; one never seen has a
/// prevalence of 0.
#[utoipa::path(
    get,
    path = "/api/ips/{ip}/stats",
    operation_id = "GetIpStats",
    tag = "intel",
    params(("ip" = IpAddress, Path, description = "An IPv4 or IPv6 address")),
    responses((status = 200, description = "The address's statistics", body = IpStats), IpErrors),
    security(("bearer" = []))
)]
pub(crate) async fn ip_stats(
    _: Require<TiReadAll>,
    Path(ip): Path<IpAddress>,
    State(state): State<AppState>,
) -> Result<Json<IpStats>, ApiError> {
    let text = ip.to_string();
    let stats = state.db.ip(&text).await?;
    Ok(Json(stats.unwrap_or(IpStats {
        ip_address: text,
        org_prevalence: "0".to_owned(),
        org_first_seen: None,
        org_last_seen: None,
    })))
}

/// One indicator as submitted: `POST /api/indicators` and each element of
/// an import. Names are case-sensitive, as in Defender.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct IndicatorRequest {
    /// The hash, address, domain or URL; checked by `IndicatorType`.
    indicator_value: String,
    indicator_type: IndicatorType,
    action: IndicatorAction,
    title: String,
    description: String,
    severity: Option<Severity>,
}

/// The kind of value an indicator holds.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
pub(crate) enum IndicatorType {
    FileSha1,
    FileSha256,
    FileMd5,
    IpAddress,
    DomainName,
    Url,
}

impl IndicatorType {
    /// Every type, in the order of the enum.
    const ALL: [IndicatorType; 6] = [
        IndicatorType::FileSha1,
        IndicatorType::FileSha256,
        IndicatorType::FileMd5,
        IndicatorType::IpAddress,
        IndicatorType::DomainName,
        IndicatorType::Url,
    ];

    /// The schema of a value of this type: the one its check uses.
    fn value_schema(self) -> RefOr<Schema> {
        match self {
            IndicatorType::FileSha1 => Sha1Hash::schema(),
            IndicatorType::FileSha256 => Sha256Hash::schema(),
            IndicatorType::FileMd5 => Md5Hash::schema(),
            IndicatorType::IpAddress => IpAddress::schema(),
            IndicatorType::DomainName => DomainName::schema(),
            IndicatorType::Url => HttpUrl::schema(),
        }
    }
}

/// The document's view of `POST /api/indicators`: an [`IndicatorRequest`]
/// whose `IndicatorValue` passes the check of its `IndicatorType`, written
/// as one alternative per type.
pub(crate) struct IndicatorSubmission;

impl PartialSchema for IndicatorSubmission {
    fn schema() -> RefOr<Schema> {
        let RefOr::T(Schema::Object(base)) = IndicatorRequest::schema() else {
            unreachable!("a derived struct schema is an object")
        };
        let alternatives = IndicatorType::ALL.into_iter().map(|kind| {
            let mut object = base.clone();
            object.properties.insert(
                "IndicatorType".to_owned(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([name_of(kind)]))
                    .into(),
            );
            object
                .properties
                .insert("IndicatorValue".to_owned(), kind.value_schema());
            object
        });
        alternatives
            .fold(OneOfBuilder::new(), |one_of, object| one_of.item(object))
            .description(Some("One indicator; the value must be valid for its type."))
            .into()
    }
}

impl ToSchema for IndicatorSubmission {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        IndicatorRequest::schemas(schemas);
    }
}

/// What Defender does when it meets the indicator.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
enum IndicatorAction {
    Alert,
    Block,
    Allowed,
}

/// The severity of the alert the indicator raises.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
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
            source_type: "User".to_owned(),
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

/// Submits or updates one indicator. The value must pass the check of its
/// type (the document says which, per type).
#[utoipa::path(
    post,
    path = "/api/indicators",
    operation_id = "SubmitIndicator",
    tag = "intel",
    request_body = IndicatorSubmission,
    responses((status = 200, description = "The indicator as stored", body = Indicator), SubmitErrors),
    security(("bearer" = []))
)]
pub(crate) async fn submit(
    Require(principal, ..): Require<TiReadWriteAll>,
    State(state): State<AppState>,
    Body(request): Body<IndicatorRequest>,
) -> Result<Json<Indicator>, ApiError> {
    let indicator = request.into_indicator(&principal)?;
    let mut stored = state.db.upsert_indicators(vec![indicator]).await?;
    Ok(Json(stored.pop().expect("one indicator in, one out")))
}

/// The body of an import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ImportRequest {
    /// Up to 500 indicators.
    #[schema(schema_with = Batch::<IndicatorRequest, MAX_IMPORT>::schema)]
    indicators: Batch<IndicatorRequest, MAX_IMPORT>,
}

/// The answer of an import: one result per submitted indicator.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportResponse {
    #[serde(rename = "@odata.context")]
    context: &'static str,
    value: Vec<ImportResult>,
}

/// What became of one imported indicator.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportResult {
    /// The stored indicator's id; null when it failed.
    id: Option<String>,
    /// The value as stored, or as submitted when it failed.
    indicator: String,
    is_failed: bool,
    /// Why it failed; null when it did not.
    failure_reason: Option<String>,
}

/// Imports up to 500 indicators. A value that fails its type's check fails
/// only its own item; the result lists every item.
#[utoipa::path(
    post,
    path = "/api/indicators/import",
    operation_id = "ImportIndicators",
    tag = "intel",
    request_body = ImportRequest,
    responses((status = 200, description = "One result per indicator", body = ImportResponse), ImportErrors),
    security(("bearer" = []))
)]
pub(crate) async fn import(
    Require(principal, ..): Require<TiReadWriteAll>,
    State(state): State<AppState>,
    Body(request): Body<ImportRequest>,
) -> Result<Json<ImportResponse>, ApiError> {
    // Checked first; the valid ones are stored in one transaction, which
    // commits before the answer is sent.
    let checked: Vec<Result<Indicator, ImportResult>> = request
        .indicators
        .into_iter()
        .map(|item| {
            let submitted = item.indicator_value.clone();
            item.into_indicator(&principal)
                .map_err(|error| ImportResult {
                    id: None,
                    indicator: submitted,
                    is_failed: true,
                    failure_reason: Some(error.message().to_owned()),
                })
        })
        .collect();
    let valid: Vec<Indicator> = checked
        .iter()
        .filter_map(|item| item.as_ref().ok().cloned())
        .collect();
    let mut stored = state.db.upsert_indicators(valid).await?.into_iter();
    let results = checked
        .into_iter()
        .map(|item| match item {
            Ok(_) => {
                let stored = stored.next().expect("one stored indicator per valid one");
                ImportResult {
                    id: Some(stored.id),
                    indicator: stored.indicator_value,
                    is_failed: false,
                    failure_reason: None,
                }
            }
            Err(failed) => failed,
        })
        .collect();
    Ok(Json(ImportResponse {
        context:
            "/api/$metadata#Collection(microsoft.windowsDefenderATP.api.ImportIndicatorResult)",
        value: results,
    }))
}

/// Lists indicators, with OData options.
#[utoipa::path(
    get,
    path = "/api/indicators",
    operation_id = "ListIndicators",
    tag = "intel",
    params(crate::openapi::ODataOptions<Indicators>),
    responses((status = 200, description = "A page of indicators", body = Indicators), ListErrors),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    _: Require<TiReadAll>,
    query: ODataQuery<Indicators>,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    listing::indicators(&state.db, &query).await
}
