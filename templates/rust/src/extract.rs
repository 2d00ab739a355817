//! Extractors that turn axum's plain-text rejections into this API's JSON errors (a 400, or a
//! 413 for a body over the limit), so bad input never gets an undocumented status or a
//! non-JSON body.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON object request body, read into `T`; anything else is a 400. (serde would also read
/// a struct from an array, `["milk"]`, which the spec does not allow; a key given twice takes
/// its last value, as in JavaScript and Python.)
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<Value>::from_request(request, state).await {
            Ok(Json(object @ Value::Object(_))) => {
                serde_json::from_value(object).map(JsonBody).map_err(|e| {
                    ApiError::BadRequest(format!("the body is not what the spec says: {e}"))
                })
            }
            Ok(Json(_)) => Err(ApiError::BadRequest(
                "the body must be a JSON object".to_owned(),
            )),
            Err(rejection) => Err(body_error(rejection.status(), rejection.body_text())),
        }
    }
}

/// The largest request body read, in bytes (axum's default body limit, 2 MiB).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The raw request body, up to [`MAX_BODY_BYTES`]; a larger one is a JSON 413, and the rest
/// of it is not read.
#[derive(Debug, Clone, Default)]
pub struct BodyBytes(pub Bytes);

impl<S> FromRequest<S> for BodyBytes
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(BodyBytes)
            .map_err(|rejection| body_error(rejection.status(), rejection.body_text()))
    }
}

/// The JSON error for a body axum could not read: a 413 when it is too large, else a 400.
fn body_error(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes"))
    } else {
        ApiError::BadRequest(text)
    }
}

/// Path parameters; a segment that cannot be decoded is a 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}
