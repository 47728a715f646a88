//! The answers API Gateway gives itself, without reaching a route: the template's
//! `GatewayResponses` make them `application/problem+json` with the routes' stable codes, and
//! the host answers the same bodies (a workspace test compares the two).

use ida_runtime::http::Problem;
use lambda_http::http::HeaderValue;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{ALLOW, HeaderName, WWW_AUTHENTICATE};

/// A refusal by the gateway itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayProblem {
    /// `UNAUTHORIZED`: no credentials, or the authorizer said `Unauthorized`.
    #[error("unauthenticated")]
    Unauthorized,
    /// `ACCESS_DENIED`: the authorizer's policy denies the request.
    #[error("access denied by the authorizer's policy")]
    AccessDenied,
    /// `AUTHORIZER_FAILURE`: the authorizer itself failed.
    #[error("the authorizer failed")]
    AuthorizerFailure,
    /// `MISSING_AUTHENTICATION_TOKEN` in API Gateway: no resource has this path.
    #[error("no route has this path")]
    NotFound,
    /// A known path with another method; API Gateway answers this like an unknown path.
    #[error("the path has no route for this method")]
    MethodNotAllowed {
        /// The methods it has, for the `Allow` header.
        allow: Vec<&'static str>,
    },
    /// `REQUEST_TOO_LARGE`: the body exceeds API Gateway's 10 MB.
    #[error("the request body exceeds {limit} bytes")]
    RequestTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// `INTEGRATION_TIMEOUT`: the route did not answer within API Gateway's 29 s.
    #[error("the route did not answer in time")]
    IntegrationTimeout,
    /// The request could not be handed to the route (API Gateway's 502 for a broken
    /// integration).
    #[error("the request could not be handed to the route")]
    BadGateway,
}

impl GatewayProblem {
    /// The `GatewayResponses` type of the template this problem corresponds to, if any.
    pub fn response_type(&self) -> Option<&'static str> {
        match self {
            GatewayProblem::Unauthorized => Some("UNAUTHORIZED"),
            GatewayProblem::AccessDenied => Some("ACCESS_DENIED"),
            GatewayProblem::AuthorizerFailure => Some("AUTHORIZER_FAILURE"),
            GatewayProblem::NotFound => Some("MISSING_AUTHENTICATION_TOKEN"),
            GatewayProblem::MethodNotAllowed { .. } => None,
            GatewayProblem::RequestTooLarge { .. } => Some("REQUEST_TOO_LARGE"),
            GatewayProblem::IntegrationTimeout => Some("INTEGRATION_TIMEOUT"),
            GatewayProblem::BadGateway => None,
        }
    }

    /// Every problem the template must describe, one of each kind.
    pub fn templated() -> [GatewayProblem; 6] {
        [
            GatewayProblem::Unauthorized,
            GatewayProblem::AccessDenied,
            GatewayProblem::AuthorizerFailure,
            GatewayProblem::NotFound,
            GatewayProblem::RequestTooLarge { limit: 0 },
            GatewayProblem::IntegrationTimeout,
        ]
    }
}

impl Problem for GatewayProblem {
    fn status(&self) -> StatusCode {
        match self {
            GatewayProblem::Unauthorized => StatusCode::UNAUTHORIZED,
            GatewayProblem::AccessDenied => StatusCode::FORBIDDEN,
            GatewayProblem::AuthorizerFailure => StatusCode::INTERNAL_SERVER_ERROR,
            GatewayProblem::NotFound => StatusCode::NOT_FOUND,
            GatewayProblem::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            GatewayProblem::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayProblem::IntegrationTimeout => StatusCode::GATEWAY_TIMEOUT,
            GatewayProblem::BadGateway => StatusCode::BAD_GATEWAY,
        }
    }

    fn problem_code(&self) -> &'static str {
        match self {
            GatewayProblem::Unauthorized => "unauthenticated",
            GatewayProblem::AccessDenied => "forbidden",
            GatewayProblem::AuthorizerFailure => "internal_error",
            GatewayProblem::NotFound => "not_found",
            GatewayProblem::MethodNotAllowed { .. } => "method_not_allowed",
            GatewayProblem::RequestTooLarge { .. } => "body_too_large",
            GatewayProblem::IntegrationTimeout => "integration_timeout",
            GatewayProblem::BadGateway => "bad_gateway",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            GatewayProblem::Unauthorized => "Authentication required",
            GatewayProblem::AccessDenied => "Forbidden",
            GatewayProblem::AuthorizerFailure => "Internal server error",
            GatewayProblem::NotFound => "Not found",
            GatewayProblem::MethodNotAllowed { .. } => "Method not allowed",
            GatewayProblem::RequestTooLarge { .. } => "Request body too large",
            GatewayProblem::IntegrationTimeout => "Gateway timeout",
            GatewayProblem::BadGateway => "Bad gateway",
        }
    }

    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        match self {
            GatewayProblem::Unauthorized => vec![(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ida\""),
            )],
            GatewayProblem::MethodNotAllowed { allow } => HeaderValue::from_str(&allow.join(", "))
                .map(|value| vec![(ALLOW, value)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}
