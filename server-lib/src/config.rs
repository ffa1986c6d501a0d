//! Configuration and its builder.

use std::net::IpAddr;
use std::time::Duration;

use crate::error::ServerError;
use crate::keys::{KeySet, SigningKey};

/// Where the browser keeps tokens when the server manages them as cookies.
#[derive(Debug, Clone)]
pub struct CookieConfig {
    pub access_name: String,
    pub refresh_name: String,
    /// Overrides the cookies' `Max-Age`; shorter than the token lifetimes reproduces the
    /// "short session cookie" logout. `None` = the token's own lifetime.
    pub max_age: Option<Duration>,
    pub secure: bool,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            access_name: "ll_access".to_owned(),
            refresh_name: "ll_refresh".to_owned(),
            max_age: None,
            secure: false,
        }
    }
}

/// Cross-origin access for browser pages on other origins.
#[derive(Debug, Clone, Default)]
pub struct CorsConfig {
    /// Exact origins (`https://app.example`); `*` allows any origin without credentials.
    pub allowed_origins: Vec<String>,
    pub allow_credentials: bool,
}

/// Limits of the unauthenticated logout-event endpoint.
#[derive(Debug, Clone)]
pub struct LogoutEventLimits {
    pub max_body_bytes: usize,
    /// Requests per second per client IP; `None` disables the limit (benchmarks only).
    pub rate_per_second: Option<f64>,
    pub burst: u32,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for LogoutEventLimits {
    fn default() -> Self {
        LogoutEventLimits {
            max_body_bytes: 16 * 1024,
            rate_per_second: Some(5.0),
            burst: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Failed logins allowed per client IP: a burst, then a steady rate. Successful logins are free.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub failures_per_second: f64,
    pub burst: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            failures_per_second: 0.2,
            burst: 10,
        }
    }
}

/// Everything the router needs to know. Build it with [`Config::builder`].
#[derive(Debug, Clone)]
pub struct Config {
    pub access_ttl: Duration,
    pub refresh_ttl_remember_me: Duration,
    pub refresh_ttl: Duration,
    pub refresh_idle_timeout: Option<Duration>,
    pub reuse_grace: Duration,
    pub leeway: Duration,
    pub issuer: String,
    pub audience: String,
    pub keys: KeySet,
    /// Look the session up on every authenticated request so a logout cuts off access
    /// tokens at once (RFC 7009 §2.1). Costs one indexed read per request.
    pub check_session: bool,
    pub logout_event: LogoutEventLimits,
    /// `None` leaves brute-force protection to the [`crate::Authenticator`].
    pub login_limits: Option<LoginLimits>,
    pub cors: Option<CorsConfig>,
    pub cookies: Option<CookieConfig>,
}

impl Config {
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
    cors: Option<CorsConfig>,
    cookies: Option<CookieConfig>,
}

impl ConfigBuilder {
    pub fn access_ttl(mut self, d: Duration) -> Self {
        self.access_ttl = Some(d);
        self
    }
    pub fn refresh_ttl_remember_me(mut self, d: Duration) -> Self {
        self.refresh_ttl_remember_me = Some(d);
        self
    }
    pub fn refresh_ttl(mut self, d: Duration) -> Self {
        self.refresh_ttl = Some(d);
        self
    }
    pub fn refresh_idle_timeout(mut self, d: Option<Duration>) -> Self {
        self.refresh_idle_timeout = d;
        self
    }
    pub fn reuse_grace(mut self, d: Duration) -> Self {
        self.reuse_grace = Some(d);
        self
    }
    pub fn leeway(mut self, d: Duration) -> Self {
        self.leeway = Some(d);
        self
    }
    pub fn issuer(mut self, s: impl Into<String>) -> Self {
        self.issuer = Some(s.into());
        self
    }
    pub fn audience(mut self, s: impl Into<String>) -> Self {
        self.audience = Some(s.into());
        self
    }
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.keys = Some(keys);
        self
    }
    pub fn signing_key(self, key: SigningKey) -> Self {
        self.keys(KeySet::new(key))
    }
    pub fn check_session(mut self, yes: bool) -> Self {
        self.check_session = Some(yes);
        self
    }
    pub fn logout_event_limits(mut self, limits: LogoutEventLimits) -> Self {
        self.logout_event = Some(limits);
        self
    }
    /// Failed-login limit per IP (default 10, then one per 5 s); `None` turns it off.
    pub fn login_limits(mut self, limits: Option<LoginLimits>) -> Self {
        self.login_limits = Some(limits);
        self
    }
    pub fn cors(mut self, cors: CorsConfig) -> Self {
        self.cors = Some(cors);
        self
    }
    pub fn cookies(mut self, cookies: CookieConfig) -> Self {
        self.cookies = Some(cookies);
        self
    }

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
            cors: self.cors,
            cookies: self.cookies,
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
}
