//! Machines and machine actions: list, get, isolate, release, live
//! response, and the investigation package download link.

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use defender_errors::extract::{Json as Body, Path};
use defender_errors::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{
    MachineCollectForensics, MachineIsolate, MachineLiveResponse, MachineReadAll, Require,
};
use defender_odata::ODataQuery;

use super::listing::{self, Machines};
use super::store::{self, Machine, MachineAction};
use super::AppState;

/// Selective isolation needs at least this sensor version on Windows.
pub(crate) const MIN_SELECTIVE_ISOLATION_VERSION: &str = "10.4500.0.0";

// An operation with a path parameter also answers `InvalidInput` for a
// segment that is not valid UTF-8 once percent-decoded.
defender_errors::error_responses! {
    /// `GET /api/machines`, `GET /api/alerts`, `GET /api/indicators`.
    pub(crate) struct ListErrors: ODataError, TooManyRequests;
    /// An entity read by id.
    pub(crate) struct GetErrors: InvalidInput, ResourceNotFound;
    /// `isolate`.
    pub(crate) struct IsolateErrors: InvalidInput, OsPlatformNotSupported, ClientVersionNotSupported, DisallowedOperation, ResourceNotFound;
    /// `unisolate`.
    pub(crate) struct UnisolateErrors: InvalidInput, DisallowedOperation, ResourceNotFound;
    /// `runliveresponse`.
    pub(crate) struct LiveResponseErrors: InvalidInput, BadRequest, DisabledFeature, ResourceNotFound;
    /// `GetPackageUri`.
    pub(crate) struct PackageUriErrors: InvalidInput, BadRequest, ResourceNotFound;
}

/// Lists machines, with OData options.
#[utoipa::path(
    get,
    path = "/api/machines",
    operation_id = "ListMachines",
    tag = "machines",
    params(crate::openapi::ODataOptions<Machines>),
    responses((status = 200, description = "A page of machines", body = Machines), ListErrors),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    _: Require<MachineReadAll>,
    query: ODataQuery<Machines>,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    listing::machines(&state.db, &query).await
}

/// Retrieves a machine by its id.
#[utoipa::path(
    get,
    path = "/api/machines/{id}",
    operation_id = "GetMachine",
    tag = "machines",
    params(("id" = String, Path, description = "The machine id")),
    responses((status = 200, description = "The machine", body = Machine), GetErrors),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    _: Require<MachineReadAll>,
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Json<Machine>, ApiError> {
    let machine = state.db.machine(&id).await?.ok_or_else(|| not_found(&id))?;
    Ok(Json(machine))
}

/// The body of `isolate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct IsolateRequest {
    /// Why the machine is isolated.
    comment: String,
    /// `Full` (the default) or `Selective` (Outlook and Teams keep working).
    isolation_type: Option<IsolationType>,
}

/// How much of the network an isolated machine keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
enum IsolationType {
    Full,
    Selective,
}

/// Isolates a machine from the network.
#[utoipa::path(
    post,
    path = "/api/machines/{id}/isolate",
    operation_id = "IsolateMachine",
    tag = "machines",
    params(("id" = String, Path, description = "The machine id")),
    request_body = IsolateRequest,
    responses((status = 201, description = "The machine action created", body = MachineAction), IsolateErrors),
    security(("bearer" = []))
)]
pub(crate) async fn isolate(
    Require(principal, ..): Require<MachineIsolate>,
    Path(id): Path<String>,
    State(state): State<AppState>,
    Body(request): Body<IsolateRequest>,
) -> Result<Response, ApiError> {
    let isolation = request.isolation_type.unwrap_or(IsolationType::Full);
    let scope = match isolation {
        IsolationType::Full => "Full",
        IsolationType::Selective => "Selective",
    };
    let check = |machine: &Machine| {
        if isolation == IsolationType::Selective {
            if !machine.os_platform.starts_with("Windows") {
                return Err(ApiError::os_platform_not_supported(&machine.os_platform));
            }
            let agent = machine.agent_version.as_deref().unwrap_or("0");
            if version_below(agent, MIN_SELECTIVE_ISOLATION_VERSION) {
                return Err(ApiError::client_version_not_supported(
                    "Selective isolation",
                    MIN_SELECTIVE_ISOLATION_VERSION,
                ));
            }
        }
        Ok(())
    };
    let make = |machine: &Machine| {
        new_action(
            machine,
            "Isolate",
            Some(scope),
            principal.name,
            request.comment,
        )
    };
    match state.db.set_isolation(&id, true, check, make).await? {
        Some(action) => Ok(created(action)),
        None => Err(ApiError::disallowed_operation(&format!(
            "Cannot isolate machine {id}: it is already isolated"
        ))),
    }
}

/// The body of `unisolate` and the other comment-only actions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CommentRequest {
    /// Why the action is taken.
    comment: String,
}

/// Releases a machine from isolation.
#[utoipa::path(
    post,
    path = "/api/machines/{id}/unisolate",
    operation_id = "UnisolateMachine",
    tag = "machines",
    params(("id" = String, Path, description = "The machine id")),
    request_body = CommentRequest,
    responses((status = 201, description = "The machine action created", body = MachineAction), UnisolateErrors),
    security(("bearer" = []))
)]
pub(crate) async fn unisolate(
    Require(principal, ..): Require<MachineIsolate>,
    Path(id): Path<String>,
    State(state): State<AppState>,
    Body(request): Body<CommentRequest>,
) -> Result<Response, ApiError> {
    let make =
        |machine: &Machine| new_action(machine, "Unisolate", None, principal.name, request.comment);
    match state.db.set_isolation(&id, false, |_| Ok(()), make).await? {
        Some(action) => Ok(created(action)),
        None => Err(ApiError::disallowed_operation(&format!(
            "Cannot release machine {id} from isolation: it is not isolated"
        ))),
    }
}

/// The body of `runliveresponse`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LiveResponseRequest {
    /// The commands to run, at least one.
    #[schema(min_items = 1)]
    commands: Vec<Value>,
    /// Why the session is run.
    comment: String,
}

/// Runs live response commands on a machine: refused while the tenant's
/// live response feature is off, before the body is read.
#[utoipa::path(
    post,
    path = "/api/machines/{id}/runliveresponse",
    operation_id = "RunLiveResponse",
    tag = "machines",
    params(("id" = String, Path, description = "The machine id")),
    request_body = LiveResponseRequest,
    responses((status = 201, description = "The machine action created", body = MachineAction), LiveResponseErrors),
    security(("bearer" = []))
)]
pub(crate) async fn run_live_response(
    Require(principal, ..): Require<MachineLiveResponse>,
    Path(id): Path<String>,
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    if !state.db.live_response().await? {
        return Err(ApiError::disabled_feature().with_cause("live response is off for this tenant"));
    }
    let Body(body) = Body::<LiveResponseRequest>::from_request(request, &()).await?;
    if body.commands.is_empty() {
        return Err(ApiError::bad_request(
            "A live response session needs at least one command.",
        ));
    }
    let make =
        |machine: &Machine| new_action(machine, "LiveResponse", None, principal.name, body.comment);
    let action = state.db.record_action(&id, make).await?;
    Ok(created(action.ok_or_else(|| not_found(&id))?))
}

/// Retrieves a machine action by its id.
#[utoipa::path(
    get,
    path = "/api/machineactions/{id}",
    operation_id = "GetMachineAction",
    tag = "machines",
    params(("id" = String, Path, description = "The machine action id")),
    responses((status = 200, description = "The machine action", body = MachineAction), GetErrors),
    security(("bearer" = []))
)]
pub(crate) async fn get_action(
    _: Require<MachineReadAll>,
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Json<MachineAction>, ApiError> {
    Ok(Json(action(&state, &id).await?))
}

/// `GET /api/machineactions/{id}/GetPackageUri`: the download link of a
/// collected investigation package. Asking it of any other action is the
/// general `BadRequest`: the request is well-formed, the action exists,
/// but the combination makes no sense.
#[utoipa::path(
    get,
    path = "/api/machineactions/{id}/GetPackageUri",
    operation_id = "GetPackageUri",
    tag = "machines",
    params(("id" = String, Path, description = "The id of a CollectInvestigationPackage action")),
    responses((status = 200, description = "The package's download link", body = PackageUri), PackageUriErrors),
    security(("bearer" = []))
)]
pub(crate) async fn package_uri(
    _: Require<MachineCollectForensics>,
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Json<PackageUri>, ApiError> {
    let action = action(&state, &id).await?;
    if action.kind != "CollectInvestigationPackage" {
        return Err(ApiError::bad_request(format!(
            "Machine action {id} is of type {}; only a CollectInvestigationPackage action has a package.",
            action.kind
        )));
    }
    if action.status != "Succeeded" {
        return Err(ApiError::bad_request(format!(
            "The package of machine action {id} is not ready (status {}).",
            action.status
        )));
    }
    Ok(Json(PackageUri {
        context: "/api/$metadata#Edm.String",
        value: format!("https://download.contoso.example/packages/{id}.zip?token=demo"),
    }))
}

/// The answer of `GetPackageUri`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PackageUri {
    #[serde(rename = "@odata.context")]
    context: &'static str,
    /// The download link, valid for a limited time.
    #[schema(format = "uri")]
    value: String,
}

fn not_found(id: &str) -> ApiError {
    ApiError::entity_not_found("Machine", id)
}

fn new_action(
    machine: &Machine,
    kind: &str,
    scope: Option<&str>,
    requestor: &str,
    comment: String,
) -> MachineAction {
    let now = store::now();
    MachineAction {
        id: uuid::Uuid::new_v4().to_string(),
        kind: kind.to_owned(),
        scope: scope.map(str::to_owned),
        requestor: requestor.to_owned(),
        requestor_comment: comment,
        status: "Pending".to_owned(),
        machine_id: machine.id.clone(),
        computer_dns_name: machine.computer_dns_name.clone(),
        creation_date_time_utc: now.clone(),
        last_update_date_time_utc: now,
    }
}

/// Answers 201 with `action`, which is stored already.
fn created(action: MachineAction) -> Response {
    (StatusCode::CREATED, Json(action)).into_response()
}

/// The machine action with `id`, or the `ResourceNotFound` that names it.
async fn action(state: &AppState, id: &str) -> Result<MachineAction, ApiError> {
    state
        .db
        .action(id)
        .await?
        .ok_or_else(|| ApiError::entity_not_found("Machine action", id))
}

/// Whether dotted version `version` is below `minimum`, comparing
/// component by component as numbers (a missing component is 0).
fn version_below(version: &str, minimum: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (mut version, mut minimum) = (parts(version), parts(minimum));
    let len = version.len().max(minimum.len());
    version.resize(len, 0);
    minimum.resize(len, 0);
    version < minimum
}

#[cfg(test)]
mod tests {
    use super::version_below;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_below("10.3720.17763.1", "10.4500.0.0"));
        assert!(!version_below("10.8210.19041.4046", "10.4500.0.0"));
        assert!(!version_below("10.4500", "10.4500.0.0"));
        assert!(version_below("9.99999", "10"));
    }
}
