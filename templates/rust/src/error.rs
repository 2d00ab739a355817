//! Error responses: every failure is a JSON `{"error": "..."}` with a 4xx or 5xx status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// What went wrong with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request is malformed.
    BadRequest(String),
    /// 401: no credentials, or wrong ones. `challenge` is the `WWW-Authenticate` value.
    Unauthorized {
        /// Why.
        message: String,
        /// The `WWW-Authenticate` header.
        challenge: String,
    },
    /// 403: the request comes from a browser origin that may not make it.
    Forbidden(String),
    /// 403: the token lacks a scope (RFC 6750, 3.1). `challenge` is the `WWW-Authenticate`
    /// value.
    InsufficientScope {
        /// Why.
        message: String,
        /// The `WWW-Authenticate` header.
        challenge: String,
    },
    /// 404: no such item or route.
    NotFound(String),
    /// 405: the route exists, the method does not.
    MethodNotAllowed(String),
    /// 409: the change conflicts with the current state.
    Conflict(String),
    /// 413: the body is larger than the server reads.
    PayloadTooLarge(String),
    /// 421: the request names a `Host` this server does not answer.
    MisdirectedRequest(String),
    /// 500: the server failed (e.g. the disk is full).
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message, challenge) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m, None),
            ApiError::Unauthorized { message, challenge } => {
                (StatusCode::UNAUTHORIZED, message, Some(challenge))
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m, None),
            ApiError::InsufficientScope { message, challenge } => {
                (StatusCode::FORBIDDEN, message, Some(challenge))
            }
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m, None),
            ApiError::MethodNotAllowed(m) => (StatusCode::METHOD_NOT_ALLOWED, m, None),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m, None),
            ApiError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m, None),
            ApiError::MisdirectedRequest(m) => (StatusCode::MISDIRECTED_REQUEST, m, None),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m, None),
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if let Some(challenge) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
