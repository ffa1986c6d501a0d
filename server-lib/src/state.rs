//! Shared state of the router and the [`crate::AuthUser`] extractor.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::Authenticator;
use crate::config::Bucket;
use crate::config::Config;
use crate::rate_limit::{LoginLimiter, RateLimiter};
use crate::store::Store;

/// Milliseconds since the Unix epoch. Injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Cheap to clone; hand one to [`crate::router`] and use it as (or derive it from) your app state.
#[derive(Clone)]
pub struct AuthState {
    pub(crate) config: Arc<Config>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) login_limiter: Arc<LoginLimiter>,
    pub(crate) clock: Clock,
}

impl AuthState {
    /// The router's state from its configuration, store and the host's authenticator.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        authenticator: Arc<dyn Authenticator>,
    ) -> Self {
        let limiter = Arc::new(RateLimiter::new(config.logout_event.rate_per_second.map(
            |per_second| Bucket {
                per_second,
                burst: config.logout_event.burst,
            },
        )));
        let login_limiter = Arc::new(LoginLimiter::new(config.login_limits));
        AuthState {
            login_limiter,
            config: Arc::new(config),
            store,
            authenticator,
            limiter,
            clock: Arc::new(system_ms),
        }
    }

    /// Replace the clock (tests, simulations).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The session store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time by this state's clock (ms since the epoch).
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    pub(crate) fn now_s(&self) -> u64 {
        u64::try_from(self.now_ms() / 1000).unwrap_or(0)
    }
}
