//! Configuration and its builder.

use std::net::IpAddr;
use std::time::Duration;

use crate::error::ServerError;
use crate::keys::{KeySet, SigningKey};

/// Where the browser keeps tokens when the server manages them as cookies.
///
/// The default is for HTTPS: `Secure` cookies named `__Host-ll_access` (`Path=/`; the
/// `__Host-` prefix makes the browser refuse the cookie unless it is `Secure`, host-only and
/// `Path=/`, so a sibling subdomain or a plain-HTTP page cannot plant or overwrite it) and
/// `__Secure-ll_refresh` (`Path=/v1/auth/`, so the refresh token reaches only the auth
/// endpoints; `__Host-` would force `Path=/`). For development over plain HTTP, where a browser
/// drops `Secure` cookies from a non-local address, use [`CookieConfig::plain_http_development`].
#[derive(Debug, Clone)]
pub struct CookieConfig {
    /// The access token cookie's name.
    pub access_name: String,
    /// The refresh token cookie's name.
    pub refresh_name: String,
    /// Overrides the cookies' `Max-Age`; shorter than the token lifetimes reproduces the
    /// "short session cookie" logout. `None` = the token's own lifetime.
    pub max_age: Option<Duration>,
    /// The `Secure` attribute. A name with a `__Host-` or `__Secure-` prefix requires it
    /// ([`ConfigBuilder::build`] refuses the combination, since the browser would drop the cookie).
    pub secure: bool,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            access_name: "__Host-ll_access".to_owned(),
            refresh_name: "__Secure-ll_refresh".to_owned(),
            max_age: None,
            secure: true,
        }
    }
}

impl CookieConfig {
    /// The opt-out for plain-HTTP development (`http://127.0.0.1:PORT`): no `Secure`
    /// attribute and unprefixed names (`ll_access`, `ll_refresh`). Never use it in production:
    /// the tokens would also travel over unencrypted connections.
    pub fn plain_http_development() -> Self {
        CookieConfig {
            access_name: "ll_access".to_owned(),
            refresh_name: "ll_refresh".to_owned(),
            max_age: None,
            secure: false,
        }
    }

    fn check(&self) -> Result<(), ServerError> {
        for (name, path) in [
            (&self.access_name, "/"),
            (&self.refresh_name, crate::cookies::REFRESH_COOKIE_PATH),
        ] {
            let token_char = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
            if name.is_empty() || !name.chars().all(token_char) {
                return Err(ServerError::Config(format!(
                    "cookie name `{name}` must be a non-empty RFC 6265 token"
                )));
            }
            let prefixed = name.starts_with("__Host-") || name.starts_with("__Secure-");
            if prefixed && !self.secure {
                return Err(ServerError::Config(format!(
                    "cookie `{name}` needs `secure`: browsers drop a prefixed cookie without it \
                     (for plain HTTP use CookieConfig::plain_http_development())"
                )));
            }
            if name.starts_with("__Host-") && path != "/" {
                return Err(ServerError::Config(format!(
                    "cookie `{name}`: the `__Host-` prefix requires Path=/, this cookie has Path={path}"
                )));
            }
        }
        if self.access_name == self.refresh_name {
            return Err(ServerError::Config(
                "the access and refresh cookies need different names".into(),
            ));
        }
        Ok(())
    }
}

/// Cross-origin access for browser pages on other origins.
#[derive(Debug, Clone, Default)]
pub struct CorsConfig {
    /// Exact origins (`https://app.example`); `*` allows any origin without credentials.
    pub allowed_origins: Vec<String>,
    /// Send `Access-Control-Allow-Credentials: true` (cookies on cross-origin requests).
    pub allow_credentials: bool,
}

/// Limits of the unauthenticated logout-event endpoint.
#[derive(Debug, Clone)]
pub struct LogoutEventLimits {
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Requests per second per client (an IPv4 address or an IPv6 /64); `None` disables the
    /// limit (benchmarks only).
    pub rate_per_second: Option<f64>,
    /// Requests a client may send at once before the rate applies.
    pub burst: u32,
}

impl Default for LogoutEventLimits {
    fn default() -> Self {
        LogoutEventLimits {
            max_body_bytes: 16 * 1024,
            rate_per_second: Some(5.0),
            burst: 30,
        }
    }
}

/// A token bucket: `burst` at once, then `per_second` as it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Tokens added back per second.
    pub per_second: f64,
    /// The bucket's size: what may be spent at once.
    pub burst: u32,
}

/// Failed logins allowed, each a token bucket; `None` turns that bucket off. An attempt takes
/// one token from every bucket that applies before the password is checked (so concurrent
/// guesses cannot outrun the limit) and a successful login gives them back, so only failures
/// spend the budget.
///
/// The per-account bucket stops guessing one account from many addresses; its price is that
/// someone who knows an account's email can keep it throttled (a lockout). Its default is
/// therefore wider than the per-address one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoginLimits {
    /// Per client address. Default: 10, then one per 5 s.
    pub per_ip: Option<Bucket>,
    /// Per IPv6 /64 (one subscriber's network, where a client may use any of 2^64 addresses).
    /// Default: as per address.
    pub per_ipv6_64: Option<Bucket>,
    /// Per account (the email, trimmed and case-insensitive), from any address.
    /// Default: 20, then one per 30 s.
    pub per_account: Option<Bucket>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let per_address = Bucket {
            per_second: 0.2,
            burst: 10,
        };
        LoginLimits {
            per_ip: Some(per_address),
            per_ipv6_64: Some(per_address),
            per_account: Some(Bucket {
                per_second: 1.0 / 30.0,
                burst: 20,
            }),
        }
    }
}

/// Everything the router needs to know. Build it with [`Config::builder`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Refresh token lifetime for a login with "remember me".
    pub refresh_ttl_remember_me: Duration,
    /// Refresh token lifetime for a login without "remember me".
    pub refresh_ttl: Duration,
    /// A session unused for this long can no longer be refreshed (`None`: no idle timeout).
    pub refresh_idle_timeout: Option<Duration>,
    /// How long the refresh token just rotated away still gets its successor (concurrent
    /// refreshes), instead of counting as reuse.
    pub reuse_grace: Duration,
    /// Clock skew allowed when checking `exp` and `nbf`.
    pub leeway: Duration,
    /// The tokens' `iss`.
    pub issuer: String,
    /// The tokens' `aud`.
    pub audience: String,
    /// The signing key and the keys still accepted for verification (published as JWKS).
    pub keys: KeySet,
    /// Look the session up on every authenticated request so a logout cuts off access
    /// tokens at once (RFC 7009 §2.1). Costs one indexed read per request.
    pub check_session: bool,
    /// Limits of `POST /v1/auth/logout-event/`.
    pub logout_event: LogoutEventLimits,
    /// `None` leaves brute-force protection to the [`crate::Authenticator`].
    pub login_limits: Option<LoginLimits>,
    /// Peers whose `X-Forwarded-For` is believed (walked from the right) when naming the client
    /// of a login or a logout report.
    pub trusted_proxies: Vec<IpAddr>,
    /// Cross-origin access (`None`: same origin only).
    pub cors: Option<CorsConfig>,
    /// Tokens as cookies (`None`: in the JSON bodies and `Authorization` only).
    pub cookies: Option<CookieConfig>,
    /// Where the router serves its OpenAPI document (`None`: not served).
    pub openapi_path: Option<String>,
}

impl Config {
    /// A builder with the defaults of [`ConfigBuilder`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The refresh lifetime for a login with or without "remember me".
    pub fn refresh_ttl_for(&self, remember_me: bool) -> Duration {
        if remember_me {
            self.refresh_ttl_remember_me
        } else {
            self.refresh_ttl
        }
    }
}

/// Builder with the documented defaults: access 1 h, refresh 20 d (remember me) / 1 d,
/// no idle timeout, grace 10 s, leeway 30 s, a fresh Ed25519 key.
#[derive(Debug, Default)]
pub struct ConfigBuilder {
    access_ttl: Option<Duration>,
    refresh_ttl_remember_me: Option<Duration>,
    refresh_ttl: Option<Duration>,
    refresh_idle_timeout: Option<Duration>,
    reuse_grace: Option<Duration>,
    leeway: Option<Duration>,
    issuer: Option<String>,
    audience: Option<String>,
    keys: Option<KeySet>,
    check_session: Option<bool>,
    logout_event: Option<LogoutEventLimits>,
    login_limits: Option<Option<LoginLimits>>,
    trusted_proxies: Vec<IpAddr>,
    cors: Option<CorsConfig>,
    cookies: Option<CookieConfig>,
    openapi_path: Option<String>,
}

impl ConfigBuilder {
    /// Access token lifetime (default 1 h; at least 1 s).
    pub fn access_ttl(mut self, d: Duration) -> Self {
        self.access_ttl = Some(d);
        self
    }
    /// Refresh token lifetime with "remember me" (default 20 d; at least 1 s).
    pub fn refresh_ttl_remember_me(mut self, d: Duration) -> Self {
        self.refresh_ttl_remember_me = Some(d);
        self
    }
    /// Refresh token lifetime without "remember me" (default 1 d; at least 1 s).
    pub fn refresh_ttl(mut self, d: Duration) -> Self {
        self.refresh_ttl = Some(d);
        self
    }
    /// End a session unused for this long (default: `None`, no idle timeout).
    pub fn refresh_idle_timeout(mut self, d: Option<Duration>) -> Self {
        self.refresh_idle_timeout = d;
        self
    }
    /// The reuse grace window for concurrent refreshes (default 10 s; at most 5 min).
    pub fn reuse_grace(mut self, d: Duration) -> Self {
        self.reuse_grace = Some(d);
        self
    }
    /// Clock skew allowed on `exp`/`nbf` (default 30 s; at most 5 min).
    pub fn leeway(mut self, d: Duration) -> Self {
        self.leeway = Some(d);
        self
    }
    /// The tokens' `iss` (default `logout-lens`).
    pub fn issuer(mut self, s: impl Into<String>) -> Self {
        self.issuer = Some(s.into());
        self
    }
    /// The tokens' `aud` (default `logout-lens-api`).
    pub fn audience(mut self, s: impl Into<String>) -> Self {
        self.audience = Some(s.into());
        self
    }
    /// The signing and verification keys (default: a fresh Ed25519 key `k1`).
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.keys = Some(keys);
        self
    }
    /// One signing key and nothing else to verify with.
    pub fn signing_key(self, key: SigningKey) -> Self {
        self.keys(KeySet::new(key))
    }
    /// Look the session up on every authenticated request (default: yes).
    pub fn check_session(mut self, yes: bool) -> Self {
        self.check_session = Some(yes);
        self
    }
    /// Limits of the logout-event endpoint (default: [`LogoutEventLimits::default`]).
    pub fn logout_event_limits(mut self, limits: LogoutEventLimits) -> Self {
        self.logout_event = Some(limits);
        self
    }
    /// Failed-login limits (see [`LoginLimits`] for the defaults); `None` turns them all off.
    pub fn login_limits(mut self, limits: Option<LoginLimits>) -> Self {
        self.login_limits = Some(limits);
        self
    }
    /// Reverse proxies whose `X-Forwarded-For` names the client (default: none).
    pub fn trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }
    /// Allow cross-origin access (default: none).
    pub fn cors(mut self, cors: CorsConfig) -> Self {
        self.cors = Some(cors);
        self
    }
    /// Hand tokens out as cookies (default: not).
    pub fn cookies(mut self, cookies: CookieConfig) -> Self {
        self.cookies = Some(cookies);
        self
    }
    /// Serve the OpenAPI 3.1 document ([`crate::openapi::document`]) at `path`, e.g.
    /// `/v1/auth/openapi.json`. Off by default.
    pub fn openapi_path(mut self, path: impl Into<String>) -> Self {
        self.openapi_path = Some(path.into());
        self
    }

    /// The configuration, or [`ServerError::Config`] naming what is out of range.
    pub fn build(self) -> Result<Config, ServerError> {
        let keys = match self.keys {
            Some(k) => k,
            None => KeySet::new(SigningKey::generate_ed25519("k1")?),
        };
        keys.check_unique()?;
        let config = Config {
            access_ttl: self.access_ttl.unwrap_or(Duration::from_secs(3600)),
            refresh_ttl_remember_me: self
                .refresh_ttl_remember_me
                .unwrap_or(Duration::from_secs(20 * 24 * 3600)),
            refresh_ttl: self.refresh_ttl.unwrap_or(Duration::from_secs(24 * 3600)),
            refresh_idle_timeout: self.refresh_idle_timeout,
            reuse_grace: self.reuse_grace.unwrap_or(Duration::from_secs(10)),
            leeway: self.leeway.unwrap_or(Duration::from_secs(30)),
            issuer: self.issuer.unwrap_or_else(|| "logout-lens".to_owned()),
            audience: self
                .audience
                .unwrap_or_else(|| "logout-lens-api".to_owned()),
            keys,
            check_session: self.check_session.unwrap_or(true),
            logout_event: self.logout_event.unwrap_or_default(),
            login_limits: self.login_limits.unwrap_or(Some(LoginLimits::default())),
            trusted_proxies: self.trusted_proxies,
            cors: self.cors,
            cookies: self.cookies,
            openapi_path: self.openapi_path,
        };
        for (name, d) in [
            ("access TTL", config.access_ttl),
            ("refresh TTL", config.refresh_ttl),
            ("remember-me refresh TTL", config.refresh_ttl_remember_me),
        ] {
            if d < Duration::from_secs(1) {
                return Err(ServerError::Config(format!("{name} must be at least 1 s")));
            }
        }
        if config.leeway > Duration::from_secs(300) {
            return Err(ServerError::Config(
                "leeway must be at most 5 min (RFC 7519 §4.1.4)".into(),
            ));
        }
        if config.reuse_grace > Duration::from_secs(300) {
            return Err(ServerError::Config(
                "the reuse grace window must be at most 5 min".into(),
            ));
        }
        if config.issuer.is_empty() || config.audience.is_empty() {
            return Err(ServerError::Config(
                "issuer and audience must not be empty".into(),
            ));
        }
        if let Some(c) = &config.cookies {
            c.check()?;
        }
        if let Some(p) = &config.openapi_path {
            let ours = ["/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout"];
            let taken = p == "/.well-known/jwks.json"
                || ours.iter().any(|r| p.trim_end_matches('/') == *r)
                || p.trim_end_matches('/') == "/v1/auth/logout-event";
            if !p.starts_with('/') || p.contains(['{', '}', '*', '?', '#']) || taken {
                return Err(ServerError::Config(format!(
                    "openapi_path `{p}` must be a plain path starting with / that no route uses"
                )));
            }
        }
        if config.logout_event.max_body_bytes == 0 {
            return Err(ServerError::Config(
                "max_body_bytes must be positive".into(),
            ));
        }
        if let Some(r) = config.logout_event.rate_per_second {
            if !(r > 0.0 && r.is_finite()) || config.logout_event.burst == 0 {
                return Err(ServerError::Config("rate limit must be positive".into()));
            }
        }
        if let Some(l) = &config.login_limits {
            for b in [l.per_ip, l.per_ipv6_64, l.per_account]
                .into_iter()
                .flatten()
            {
                if !(b.per_second > 0.0 && b.per_second.is_finite()) || b.burst == 0 {
                    return Err(ServerError::Config(
                        "login limits must have a positive rate and burst".into(),
                    ));
                }
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let c = Config::builder().build().unwrap();
        assert_eq!(c.access_ttl, Duration::from_secs(3600));
        assert_eq!(c.refresh_ttl_for(true), Duration::from_secs(20 * 86400));
        assert_eq!(c.refresh_ttl_for(false), Duration::from_secs(86400));
        assert_eq!(c.reuse_grace, Duration::from_secs(10));
        assert_eq!(c.leeway, Duration::from_secs(30));
        assert_eq!(c.keys.active().algorithm(), jsonwebtoken::Algorithm::EdDSA);
        assert_eq!(c.logout_event.max_body_bytes, 16 * 1024);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(
            Config::builder()
                .leeway(Duration::from_secs(301))
                .build()
                .is_err()
        );
        assert!(
            Config::builder()
                .access_ttl(Duration::ZERO)
                .build()
                .is_err()
        );
        assert!(Config::builder().issuer("").build().is_err());
    }

    #[test]
    fn cookie_settings_table() {
        let plain = CookieConfig::plain_http_development;
        let cases = [
            (CookieConfig::default(), true),
            (plain(), true),
            (
                CookieConfig {
                    secure: false,
                    ..CookieConfig::default()
                },
                false,
            ),
            (
                CookieConfig {
                    refresh_name: "__Host-r".into(),
                    ..CookieConfig::default()
                },
                false,
            ),
            (
                CookieConfig {
                    access_name: "a b".into(),
                    ..plain()
                },
                false,
            ),
            (
                CookieConfig {
                    access_name: "ll_refresh".into(),
                    ..plain()
                },
                false,
            ),
            (
                CookieConfig {
                    secure: true,
                    ..plain()
                },
                true,
            ),
        ];
        for (cookies, ok) in cases {
            let built = Config::builder().cookies(cookies.clone()).build();
            assert_eq!(built.is_ok(), ok, "{cookies:?}");
        }
    }
}
