//! The OpenAPI 3.1 document of [`crate::router`]: every endpoint, request and response body,
//! error code and header.
//!
//! Built from the code, not written by hand: bodies from the `ToSchema` derives of the types
//! the handlers read and write ([`crate::api`], [`crate::keys::Jwks`],
//! [`crate::error::ErrorBody`]); each error response's status, `error`, `code` and headers from
//! the very [`ServerError`] values the handlers return (the same functions build the real
//! responses); the code lists from [`RefreshFailure::ALL`] and [`AccessFailure::ALL`]. What a
//! route can fail with is listed once per route below.
//!
//! Serve it with [`crate::ConfigBuilder::openapi_path`], or merge [`document`] into your own
//! application's document. Protected routes of your app can cite the `AuthUserRejected`,
//! `AuthUserStoreFailed` and `AuthUserStoreUnavailable` responses under `components.responses`
//! and the `bearer` (and, in cookie mode, `accessCookie`) security schemes.

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use logout_lens_model::http::AUTH_CODE_HEADER;
use serde::Deserialize;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, InfoBuilder, LicenseBuilder, OpenApi, Ref, RefOr, Response,
    ResponseBuilder, Schema,
};
use utoipa::{OpenApi as _, ToSchema};

use crate::config::Config;
use crate::cookies::REFRESH_COOKIE_PATH;
use crate::error::{AccessFailure, RefreshFailure, ServerError};
use crate::routes::paths;

// The request bodies below mirror the model's tolerant wire types for the document only:
// a field the model reads as `Option` is `Option` here (optional and nullable), one it reads
// with a default is a plain `#[serde(default)]` field (optional, not nullable).

/// The seed app's logout report (every field optional; unknown fields are ignored).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "TOKEN_EXPIRED", "message": "JWT access token expired", "timestamp": 1705330335000_i64,
    "idleMinutes": 23, "location": "/dashboard",
    "context": {"hasToken": true, "hasRefreshToken": true, "isAuthenticated": true,
                "userId": 123, "userEmail": "user@example.com"}
}))]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // mirrors `logout_lens_model::event::AppReport`
struct SeedReport {
    /// `TOKEN_EXPIRED`, `REFRESH_FAILED`, `USER_ACTION`, `AUTH_ERROR`, or anything else.
    #[serde(rename = "type", default)]
    report_type: String,
    #[serde(default)]
    message: String,
    /// ms since the epoch, by the app's clock.
    timestamp: Option<i64>,
    idle_minutes: Option<f64>,
    location: Option<String>,
    context: Option<SeedContext>,
}

/// The seed app's `context` object.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // mirrors `logout_lens_model::event::AppContext`
struct SeedContext {
    #[serde(default)]
    has_token: bool,
    #[serde(default)]
    has_refresh_token: bool,
    #[serde(default)]
    is_authenticated: bool,
    user_id: Option<ReportedUserId>,
    user_email: Option<String>,
}

/// Apps send user ids as numbers or strings.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // mirrors `logout_lens_model::event::UserId`
enum ReportedUserId {
    Number(i64),
    Text(String),
}

/// A schema-v1 event envelope (`PROTOCOL.md`): an object with both `schema` and `kind`. A
/// known kind's fields must match its definition; unknown kinds are stored as they are.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"schema": 1, "id": "e1", "ts_ms": 1705330335000_i64,
                          "kind": "logout_action", "path": "/app", "label": "Log out"}))]
#[allow(dead_code)] // mirrors `logout_lens_model::wire::WireEvent`
struct EventEnvelope {
    /// Must be 1.
    #[schema(minimum = 1, maximum = 1)]
    schema: u64,
    #[schema(min_length = 1)]
    id: String,
    /// ms since the epoch, by the sender's clock.
    ts_ms: i64,
    #[schema(min_length = 1)]
    kind: String,
    origin: Option<String>,
    path: Option<String>,
    tab: Option<i64>,
    frame: Option<i64>,
    /// `extension` (default), `page`, `collector`, `server` or `app`.
    source: Option<String>,
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    crate::api::LoginRequest,
    crate::api::RefreshRequest,
    crate::api::TokenResponse,
    crate::api::UserView,
    crate::api::LogoutResponse,
    crate::api::RecordedResponse,
    crate::error::ErrorBody,
    crate::keys::Jwks,
    crate::keys::Jwk,
    SeedReport,
    SeedContext,
    ReportedUserId,
    EventEnvelope,
)))]
struct Schemas;

const TAG: &str = "auth";
const JSON: &str = "application/json";

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    let mut v: Vec<&str> = values.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(v))
}

fn text_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .build()
}

fn set_cookie_header(what: &str) -> utoipa::openapi::header::Header {
    text_header(&format!(
        "{what} (`HttpOnly; SameSite=Lax`, `Secure` unless the server runs the plain-HTTP \
         development opt-out). One header per cookie."
    ))
}

/// The error responses of a route, one per status, built from the errors it can return.
fn error_responses(
    errors: &[ServerError],
    extra: &[(&str, utoipa::openapi::header::Header)],
) -> BTreeMap<String, Response> {
    let mut by_status: BTreeMap<u16, Vec<&ServerError>> = BTreeMap::new();
    for e in errors {
        by_status.entry(e.status().as_u16()).or_default().push(e);
    }
    by_status
        .into_iter()
        .map(|(status, group)| {
            let pairs: Vec<_> = group.iter().map(|e| e.error_and_code()).collect();
            let codes: Vec<&str> = pairs.iter().filter_map(|(_, c)| *c).collect();
            let every_one_has_a_code = codes.len() == pairs.len();
            let mut body = ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("error", string_enum(pairs.iter().map(|(e, _)| *e)))
                .required("error")
                .property(
                    "detail",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some("A sentence for people; never parse it.")),
                )
                .required("detail");
            if !codes.is_empty() {
                body = body.property(
                    "code",
                    string_enum(codes.iter().copied())
                        .description(Some("The stable code, also in `X-Auth-Error-Code`.")),
                );
                if every_one_has_a_code {
                    body = body.required("code");
                }
            }
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error");
            let mut names: Vec<String> = pairs
                .iter()
                .map(|(e, c)| match c {
                    Some(c) => format!("`{e}`/`{c}`"),
                    None => format!("`{e}` (no code)"),
                })
                .collect();
            names.dedup();
            let mut response = ResponseBuilder::new()
                .description(format!("{reason}: {}.", names.join(", ")))
                .content(JSON, ContentBuilder::new().schema(Some(body)).build());
            let mut headers: Vec<String> = Vec::new();
            for e in &group {
                for (name, _) in e.headers() {
                    if !headers.iter().any(|h| h == name.as_str()) {
                        headers.push(name.as_str().to_owned());
                    }
                }
            }
            for name in headers {
                let h = if name == AUTH_CODE_HEADER {
                    HeaderBuilder::new()
                        .schema(string_enum(codes.iter().copied()))
                        .description(Some("The stable code, as in the body (append-only list)."))
                        .build()
                } else if name == header::RETRY_AFTER.as_str() {
                    HeaderBuilder::new()
                        .schema(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        )
                        .description(Some("Seconds to wait before trying again."))
                        .build()
                } else if name == header::WWW_AUTHENTICATE.as_str() {
                    text_header(
                        "RFC 6750 challenge: `Bearer` alone without credentials, else \
                         `Bearer error=\"invalid_token\", error_description=\"…\", code=\"…\"`.",
                    )
                } else if name == header::CACHE_CONTROL.as_str() {
                    HeaderBuilder::new()
                        .schema(string_enum(["no-store"]))
                        .description(Some("Error answers are never cached."))
                        .build()
                } else {
                    text_header(&name)
                };
                response = response.header(name, h);
            }
            for (name, h) in extra {
                response = response.header(*name, h.clone());
            }
            (status.to_string(), response.build())
        })
        .collect()
}

fn success(
    description: &str,
    schema: &str,
    headers: Vec<(&str, utoipa::openapi::header::Header)>,
) -> Response {
    let mut r = ResponseBuilder::new().description(description).content(
        JSON,
        ContentBuilder::new()
            .schema(Some(schema_ref(schema)))
            .build(),
    );
    for (name, h) in headers {
        r = r.header(name, h);
    }
    r.build()
}

fn no_store() -> (&'static str, utoipa::openapi::header::Header) {
    (
        "cache-control",
        HeaderBuilder::new()
            .schema(string_enum(["no-store"]))
            .description(Some("Tokens are never cached."))
            .build(),
    )
}

/// Errors every route that reads a body can answer with.
fn body_errors() -> Vec<ServerError> {
    vec![
        ServerError::bad_request("malformed", String::new()),
        ServerError::TooLarge { limit: 0 },
    ]
}

/// Errors of a route that touches the store.
fn store_errors() -> Vec<ServerError> {
    vec![
        ServerError::Store(String::new()),
        ServerError::StoreClosed,
        ServerError::StoreUnavailable(String::new()),
    ]
}

struct Endpoint {
    method: HttpMethod,
    path: String,
    operation: Operation,
}

fn operation(id: &str, summary: &str, description: &str) -> OperationBuilder {
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .description(Some(description))
        .tag(TAG)
}

fn with_responses(
    mut op: OperationBuilder,
    ok: (&str, Response),
    errors: BTreeMap<String, Response>,
) -> Operation {
    op = op.response(ok.0, ok.1);
    for (status, r) in errors {
        op = op.response(status, r);
    }
    op.build()
}

fn json_body(
    schema: impl Into<RefOr<Schema>>,
    required: bool,
    description: &str,
) -> RequestBodyBuilder {
    RequestBodyBuilder::new()
        .description(Some(description))
        .required(Some(if required {
            utoipa::openapi::Required::True
        } else {
            utoipa::openapi::Required::False
        }))
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
}

/// Refresh needs a token: in the body, or (cookie mode only) in the refresh cookie.
fn refresh_body(cookie_mode: bool) -> utoipa::openapi::request_body::RequestBody {
    if cookie_mode {
        return json_body(
            schema_ref("RefreshRequest"),
            false,
            "The refresh token; may be left out when the refresh cookie carries it.",
        )
        .build();
    }
    let schema = AllOfBuilder::new()
        .item(schema_ref("RefreshRequest"))
        .item(ObjectBuilder::new().required("refresh"));
    json_body(schema, true, "The refresh token.").build()
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    let cookies = config.cookies.as_ref();
    let token_headers = |what: &str| {
        let mut h = vec![no_store()];
        if cookies.is_some() {
            h.push(("set-cookie", set_cookie_header(what)));
        }
        h
    };
    let cookie_extra: Vec<(&str, utoipa::openapi::header::Header)> = match cookies {
        Some(_) => vec![(
            "set-cookie",
            set_cookie_header("Deletes both token cookies (`Max-Age=0`)"),
        )],
        None => Vec::new(),
    };
    let tokens_where = match cookies {
        Some(c) => format!(
            "The tokens travel only as `HttpOnly` cookies (`{}` on `/`, `{}` on `{}`); \
             the body leaves out `access` and `refresh`.",
            c.access_name, c.refresh_name, REFRESH_COOKIE_PATH
        ),
        None => "The body carries `access` and `refresh`.".to_owned(),
    };
    let refresh_from = match cookies {
        Some(c) => format!(
            "from the body's `refresh`, else from the `{}` cookie",
            c.refresh_name
        ),
        None => "from the body's `refresh`".to_owned(),
    };
    let mut security_optional = vec![
        SecurityRequirement::default(),
        SecurityRequirement::new("bearer", Vec::<String>::new()),
    ];
    if cookies.is_some() {
        security_optional.push(SecurityRequirement::new(
            "accessCookie",
            Vec::<String>::new(),
        ));
    }

    let mut login_errors = body_errors();
    login_errors.extend([
        ServerError::BadCredentials,
        ServerError::RateLimited { retry_after_s: 1 },
        ServerError::Authenticator(String::new()),
        ServerError::Signing(String::new()),
    ]);
    login_errors.extend(store_errors());

    let mut refresh_errors = body_errors();
    refresh_errors.push(ServerError::bad_request("missing_token", String::new()));
    refresh_errors.extend(RefreshFailure::ALL.iter().map(|f| ServerError::Refresh(*f)));
    refresh_errors.push(ServerError::Signing(String::new()));
    refresh_errors.extend(store_errors());

    let mut logout_errors = body_errors();
    logout_errors.extend(store_errors());

    let mut event_errors = body_errors();
    event_errors.push(ServerError::RateLimited { retry_after_s: 1 });
    event_errors.extend(store_errors());

    let mut out = vec![
        Endpoint {
            method: HttpMethod::Post,
            path: paths::LOGIN.to_owned(),
            operation: with_responses(
                operation(
                    "login",
                    "Log in: check the credentials, start a session, issue a token pair",
                    &format!(
                        "The host application's `Authenticator` checks the credentials. Failed \
                         attempts are limited per client address, per IPv6 /64 and per account; \
                         the limit is taken before the password is checked and given back on \
                         success. {tokens_where}"
                    ),
                )
                .request_body(Some(
                    json_body(schema_ref("LoginRequest"), true, "The credentials.").build(),
                )),
                (
                    "200",
                    success(
                        "Logged in.",
                        "TokenResponse",
                        token_headers("Sets the access and refresh cookies"),
                    ),
                ),
                error_responses(&login_errors, &[]),
            ),
        },
        Endpoint {
            method: HttpMethod::Post,
            path: paths::REFRESH.to_owned(),
            operation: with_responses(
                operation(
                    "refresh",
                    "Rotate the refresh token and issue a new token pair",
                    &format!(
                        "The refresh token is read {refresh_from}. Rotation is atomic: the \
                         current token rotates once; the previous token inside the grace window \
                         gets the successor already issued; any other reuse revokes the session \
                         (`reused`). {tokens_where}"
                    ),
                )
                .request_body(Some(refresh_body(cookies.is_some())))
                .securities(Some(match cookies {
                    Some(_) => vec![
                        SecurityRequirement::default(),
                        SecurityRequirement::new("refreshCookie", Vec::<String>::new()),
                    ],
                    None => vec![SecurityRequirement::default()],
                })),
                (
                    "200",
                    success(
                        "A new token pair.",
                        "TokenResponse",
                        token_headers("Sets the rotated access and refresh cookies"),
                    ),
                ),
                error_responses(&refresh_errors, &cookie_extra),
            ),
        },
        Endpoint {
            method: HttpMethod::Post,
            path: paths::LOGOUT.to_owned(),
            operation: with_responses(
                operation(
                    "logout",
                    "Revoke the session of a refresh token",
                    &format!(
                        "The refresh token is read {refresh_from}. An unknown or malformed \
                         token is still a success (RFC 7009). A revoked session's access tokens \
                         stop working at once on routes that check the session."
                    ),
                )
                .request_body(Some(
                    json_body(
                        schema_ref("RefreshRequest"),
                        false,
                        "The refresh token (may be left out in cookie mode).",
                    )
                    .build(),
                )),
                (
                    "200",
                    success(
                        "Logged out (or nothing to log out).",
                        "LogoutResponse",
                        cookie_extra.clone(),
                    ),
                ),
                error_responses(&logout_errors, &[]),
            ),
        },
        Endpoint {
            method: HttpMethod::Post,
            path: paths::LOGOUT_EVENT.to_owned(),
            operation: with_responses(
                operation(
                    "recordLogoutEvent",
                    "Record why a client says it was logged out",
                    "Accepts the seed app's report or a schema-v1 event envelope (a body with \
                     both `schema` and `kind`). Credentials are optional: when the request \
                     carries an access token (or refresh cookie) the server adds its own view of \
                     the session. Limited per client (an IPv4 address or an IPv6 /64).",
                )
                .request_body(Some(
                    json_body(
                        AnyOfBuilder::new()
                            .item(schema_ref("SeedReport"))
                            .item(schema_ref("EventEnvelope")),
                        true,
                        "The report (at most 16 KiB by default).",
                    )
                    .build(),
                ))
                .securities(Some(security_optional)),
                ("201", success("Stored.", "RecordedResponse", Vec::new())),
                error_responses(&event_errors, &[]),
            ),
        },
        Endpoint {
            method: HttpMethod::Get,
            path: paths::JWKS.to_owned(),
            operation: with_responses(
                operation(
                    "jwks",
                    "The public keys that verify access tokens",
                    "Ed25519 keys (`kty: OKP`), the active one and retired ones still \
                     verifying; symmetric (HS256) keys are never published.",
                ),
                (
                    "200",
                    success(
                        "The key set.",
                        "Jwks",
                        vec![(
                            "cache-control",
                            HeaderBuilder::new()
                                .schema(string_enum(["public, max-age=300"]))
                                .build(),
                        )],
                    ),
                ),
                BTreeMap::new(),
            ),
        },
    ];
    if let Some(path) = &config.openapi_path {
        out.push(Endpoint {
            method: HttpMethod::Get,
            path: path.clone(),
            operation: with_responses(
                operation("openapi", "This document", "OpenAPI 3.1, JSON."),
                (
                    "200",
                    ResponseBuilder::new()
                        .description("The document.")
                        .content(
                            JSON,
                            ContentBuilder::new()
                                .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                                .build(),
                        )
                        .build(),
                ),
                BTreeMap::new(),
            ),
        });
    }
    out
}

/// The document for a router built from `config` (cookie mode and the opt-in document path
/// change what it says).
pub fn document(config: &Config) -> OpenApi {
    let mut doc = Schemas::openapi();
    doc.info = InfoBuilder::new()
        .title("logout-lens-server")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Token issuance with safe refresh-token rotation and a logout-event endpoint. \
             Every error is JSON `{error, code, detail}` with the same stable code in the \
             `X-Auth-Error-Code` header; codes are only ever added. Every `/v1/auth/*` route \
             also answers without its trailing slash.",
        ))
        .license(Some(
            LicenseBuilder::new()
                .name("MIT OR Apache-2.0")
                .identifier(Some("MIT OR Apache-2.0"))
                .build(),
        ))
        .build();
    doc.tags = Some(vec![
        TagBuilder::new()
            .name(TAG)
            .description(Some("Login, refresh, logout, logout reports, keys."))
            .build(),
    ]);
    for e in endpoints(config) {
        doc.paths
            .paths
            .insert(e.path, PathItem::new(e.method, e.operation));
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        "bearer".to_owned(),
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token (`typ: at+jwt`) from login or refresh.",
                ))
                .build(),
        ),
    );
    if let Some(c) = &config.cookies {
        components.security_schemes.insert(
            "accessCookie".to_owned(),
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                c.access_name.clone(),
                "The access token cookie set by login and refresh.".to_owned(),
            ))),
        );
        components.security_schemes.insert(
            "refreshCookie".to_owned(),
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                c.refresh_name.clone(),
                format!("The refresh token cookie (sent only to `{REFRESH_COOKIE_PATH}`)."),
            ))),
        );
    }
    // What `AuthUser` answers on a host's protected route, for the host's own document.
    let mut auth_user: Vec<ServerError> = AccessFailure::ALL
        .iter()
        .map(|f| ServerError::Access(*f))
        .collect();
    auth_user.push(ServerError::MissingCredentials);
    auth_user.extend(store_errors());
    for (status, response) in error_responses(&auth_user, &[]) {
        let name = match status.as_str() {
            "401" => "AuthUserRejected",
            "500" => "AuthUserStoreFailed",
            _ => "AuthUserStoreUnavailable",
        };
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_error_enums_is_in_the_document() {
        let doc = document(&Config::builder().build().unwrap());
        let json = doc.to_json().unwrap();
        assert!(json.contains("\"openapi\":\"3.1.0\""));
        for f in RefreshFailure::ALL {
            assert!(json.contains(&format!("\"{}\"", f.code())), "{}", f.code());
        }
        for f in AccessFailure::ALL {
            assert!(json.contains(&format!("\"{}\"", f.code())), "{}", f.code());
        }
        for code in [
            "missing_token",
            "bad_credentials",
            "store_unavailable",
            "rate_limited",
        ] {
            assert!(json.contains(code), "{code}");
        }
    }
}
