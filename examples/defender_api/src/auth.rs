//! Bearer tokens and permissions.
//!
//! Two demo tokens stand in for Azure AD application tokens: `demo-admin`
//! holds every permission, `demo-reader` only the read permissions. The
//! [`authenticate`] middleware answers 401 `Unauthorized` for a missing or
//! unknown token; the [`Require`] extractor answers 403 `Forbidden` when the
//! token lacks the permission an endpoint needs. `Require` reads only the
//! request head, so a reader calling an action is refused before its body
//! is read.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use defender_errors::ApiError;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::request::Parts;
use http::HeaderValue;

/// The administrator's token: every permission.
pub const ADMIN_TOKEN: &str = "demo-admin";
/// The reader's token: read permissions only.
pub const READER_TOKEN: &str = "demo-reader";

const ADMIN_PERMISSIONS: &[&str] = &[
    MachineReadAll::NAME,
    MachineIsolate::NAME,
    MachineLiveResponse::NAME,
    MachineCollectForensics::NAME,
    AlertReadAll::NAME,
    TiReadAll::NAME,
    TiReadWriteAll::NAME,
];

const READER_PERMISSIONS: &[&str] = &[MachineReadAll::NAME, AlertReadAll::NAME, TiReadAll::NAME];

/// Who is calling: the token's identity and its permissions.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token, which is also the key of its rate limits.
    pub token: &'static str,
    /// The name written as `requestor` / `createdBy`.
    pub name: &'static str,
    permissions: &'static [&'static str],
}

impl Principal {
    fn from_token(token: &str) -> Option<Self> {
        match token {
            ADMIN_TOKEN => Some(Principal {
                token: ADMIN_TOKEN,
                name: "admin@contoso.com",
                permissions: ADMIN_PERMISSIONS,
            }),
            READER_TOKEN => Some(Principal {
                token: READER_TOKEN,
                name: "reader@contoso.com",
                permissions: READER_PERMISSIONS,
            }),
            _ => None,
        }
    }

    fn has(&self, permission: &str) -> bool {
        self.permissions.contains(&permission)
    }
}

/// Middleware: resolves `Authorization: Bearer <token>` into a
/// [`Principal`] in the request's extensions, or answers 401.
pub async fn authenticate(mut request: Request, next: Next) -> Response {
    let principal = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| Principal::from_token(token.trim()))?
        });
    match principal {
        Some(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        None => {
            let cause = if request.headers().contains_key(AUTHORIZATION) {
                "the bearer token is not valid"
            } else {
                "no Authorization header"
            };
            let mut response = ApiError::unauthorized().with_cause(cause).into_response();
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// A permission an endpoint requires, named as in Defender's API
/// permission list.
pub trait Permission {
    /// The permission's name, e.g. `Machine.Read.All`.
    const NAME: &'static str;
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $ty:ident = $name:literal;)*) => {$(
        $(#[$doc])*
        pub struct $ty;

        impl Permission for $ty {
            const NAME: &'static str = $name;
        }
    )*};
}

permissions! {
    /// Read machines and machine actions.
    MachineReadAll = "Machine.Read.All";
    /// Isolate and release machines.
    MachineIsolate = "Machine.Isolate";
    /// Run live response sessions.
    MachineLiveResponse = "Machine.LiveResponse";
    /// Collect and download investigation packages.
    MachineCollectForensics = "Machine.CollectForensics";
    /// Read alerts.
    AlertReadAll = "Alert.Read.All";
    /// Read threat intelligence: files, domains, IPs, indicators.
    TiReadAll = "Ti.Read.All";
    /// Submit indicators.
    TiReadWriteAll = "Ti.ReadWrite.All";
}

/// Extractor: the caller, who must hold permission `P`.
pub struct Require<P>(pub Principal, pub PhantomData<fn() -> P>);

impl<P: Permission, S: Send + Sync> FromRequestParts<S> for Require<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)?;
        if principal.has(P::NAME) {
            Ok(Require(principal, PhantomData))
        } else {
            Err(ApiError::forbidden().with_cause(format!(
                "{} lacks the permission {}",
                principal.name,
                P::NAME
            )))
        }
    }
}
