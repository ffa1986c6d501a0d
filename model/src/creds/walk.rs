//! The walk over one parsed value: tokens by field name (or by being a JWT),
//! expiries by field name, each expiry given to the token it describes.

use serde_json::{Map, Value};

use super::{Credential, ExpirySource, Found, Layout, Limits, epoch_ms, lifetime_ms};
use crate::jwt::{self, MAX_TOKEN_LEN, TokenKind};

/// Which token an expiry field describes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The access token, or the only token there is (OAuth's `expires_in` /
    /// `expires_at` describe the access token).
    Main,
    Refresh,
}

/// How an expiry field is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Absolute,
    Lifetime,
}

/// Expiry fields, compared without case and `_`.
fn expiry_field(name: &str) -> Option<(Target, Form)> {
    match normalise(name).as_str() {
        "expiresat" | "expirationtime" | "expireson" | "exp" | "expiry" | "expirydate" => {
            Some((Target::Main, Form::Absolute))
        }
        "expiresin" => Some((Target::Main, Form::Lifetime)),
        "refreshexpiresat" | "refreshtokenexpiresat" | "refreshtokenexpireson" => {
            Some((Target::Refresh, Form::Absolute))
        }
        "refreshexpiresin" | "refreshtokenexpiresin" => Some((Target::Refresh, Form::Lifetime)),
        _ => None,
    }
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Is this string shaped like a token at all? (Refresh tokens can be short:
/// GoTrue's are 12 characters.)
fn token_like(s: &str) -> bool {
    (8..=MAX_TOKEN_LEN).contains(&s.len()) && !s.contains(char::is_whitespace)
}

/// The kind a field holding `s` names, if it holds a token.
fn token_field(name: &str, map: &Map<String, Value>, s: &str) -> Option<TokenKind> {
    if !token_like(s) {
        return None;
    }
    let kind = match normalise(name).as_str() {
        "accesstoken" | "providertoken" => Some(TokenKind::Access),
        "refreshtoken" | "providerrefreshtoken" => Some(TokenKind::Refresh),
        "idtoken" => Some(TokenKind::Id),
        // MSAL's credential entities: the token is `secret`, its kind `credentialType`.
        "secret" => {
            map.get("credentialType")
                .and_then(Value::as_str)
                .map(|t| match normalise(t).as_str() {
                    "refreshtoken" => TokenKind::Refresh,
                    "idtoken" => TokenKind::Id,
                    t if t.starts_with("accesstoken") => TokenKind::Access,
                    _ => TokenKind::Unknown,
                })
        }
        _ => None,
    };
    if kind.is_some() {
        return kind;
    }
    // Any other field holding a JWT (`token`, Auth0's `__raw`, an app's own name).
    jwt::looks_like_jwt(s)
        .then(|| jwt::decode(s).ok())
        .flatten()
        .map(|j| j.kind(Some(name)))
}

struct Walk<'a> {
    limits: &'a Limits,
    stored_at_ms: Option<i64>,
    nodes: usize,
    found: Found,
    /// Depth of each reported credential's object (parallel to `found.credentials`).
    depths: Vec<usize>,
}

pub(super) fn walk(
    json: &Value,
    key: &str,
    layout: Option<Layout>,
    stored_at_ms: Option<i64>,
    limits: &Limits,
) -> Found {
    let mut w = Walk {
        limits,
        stored_at_ms,
        nodes: 0,
        found: Found::default(),
        depths: Vec::new(),
    };
    if let Value::Object(map) = json {
        // MSAL v5 encrypts its localStorage entries: `{id, nonce, data, lastUpdatedAt}`.
        if layout == Some(Layout::Msal)
            && map.get("data").is_some_and(Value::is_string)
            && map.contains_key("nonce")
            && !map.contains_key("secret")
        {
            w.found.layout = Some(Layout::Msal);
            w.found.sealed = Layout::Msal.kind_from_key(key);
            return w.found;
        }
        if map.get("credentialType").is_some_and(Value::is_string) && map.contains_key("secret") {
            w.found.layout = Some(Layout::Msal);
        }
        if map
            .get("fbase_key")
            .and_then(Value::as_str)
            .is_some_and(|k| Layout::from_key(k) == Some(Layout::Firebase))
        {
            w.found.layout = Some(Layout::Firebase);
        }
    }
    let mut path = String::new();
    w.visit(json, &mut path, 0);
    w.found
}

impl Walk<'_> {
    fn full(&self) -> bool {
        self.found.credentials.len() >= self.limits.max_credentials
    }

    fn visit(&mut self, v: &Value, path: &mut String, depth: usize) {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            self.found.truncated = true;
            return;
        }
        match v {
            Value::Object(map) => {
                if depth >= self.limits.max_depth {
                    self.found.truncated = true;
                    return;
                }
                let start = self.found.credentials.len();
                for (name, child) in map {
                    if let Value::String(s) = child {
                        if let Some(kind) = token_field(name, map, s) {
                            self.push(kind, path, name, s, depth);
                        }
                    }
                }
                for (name, child) in map {
                    if matches!(child, Value::Object(_) | Value::Array(_)) {
                        let len = path.len();
                        push_segment(path, name);
                        self.visit(child, path, depth + 1);
                        path.truncate(len);
                    }
                }
                self.expiries(map, path, start, depth);
            }
            Value::Array(items) => {
                if depth >= self.limits.max_depth {
                    self.found.truncated = true;
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    if matches!(item, Value::Object(_) | Value::Array(_)) {
                        let len = path.len();
                        push_segment(path, &i.to_string());
                        self.visit(item, path, depth + 1);
                        path.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, kind: TokenKind, path: &str, name: &str, s: &str, depth: usize) {
        // The same token twice (Auth0 keeps the ID token and its decoded `__raw`) is one credential.
        if self.found.credentials.iter().any(|c| c.value == s) {
            return;
        }
        if self.full() {
            self.found.truncated = true;
            return;
        }
        let mut p = path.to_owned();
        push_segment(&mut p, name);
        self.found.credentials.push(credential(kind, p, s));
        self.depths.push(depth);
    }

    /// Gives this object's expiry fields to the tokens they describe: those in
    /// the object itself or one level down (Auth0's `{body: {access_token}, expiresAt}`).
    fn expiries(&mut self, map: &Map<String, Value>, path: &str, start: usize, depth: usize) {
        let near: Vec<usize> = (start..self.found.credentials.len())
            .filter(|&i| self.depths[i] <= depth + 1)
            .collect();
        if near.is_empty() {
            return;
        }
        // Absolute times first: they win over lifetimes for the same token.
        for form in [Form::Absolute, Form::Lifetime] {
            for (name, value) in map {
                let Some((target, f)) = expiry_field(name) else {
                    continue;
                };
                if f != form {
                    continue;
                }
                let mut p = path.to_owned();
                push_segment(&mut p, name);
                let (at, source) = match form {
                    Form::Absolute => match epoch_ms(value) {
                        Some((ms, unit)) => (ms, ExpirySource::Field { path: p, unit }),
                        None => continue,
                    },
                    Form::Lifetime => match (self.stored_at_ms, lifetime_ms(value)) {
                        (Some(t), Some(life)) => {
                            (t.saturating_add(life), ExpirySource::Lifetime { path: p })
                        }
                        _ => continue,
                    },
                };
                let pick = match target {
                    Target::Refresh => near
                        .iter()
                        .copied()
                        .find(|&i| self.found.credentials[i].kind == TokenKind::Refresh),
                    Target::Main if near.len() == 1 => Some(near[0]),
                    Target::Main => near
                        .iter()
                        .copied()
                        .find(|&i| self.found.credentials[i].kind == TokenKind::Access),
                };
                let Some(i) = pick else { continue };
                let c = &mut self.found.credentials[i];
                // A stored time beats a lifetime, and both beat the token's own exp.
                let stronger = matches!(
                    (&c.expiry, &source),
                    (None | Some(ExpirySource::Jwt), _)
                        | (
                            Some(ExpirySource::Lifetime { .. }),
                            ExpirySource::Field { .. }
                        )
                );
                if stronger {
                    c.expires_at_ms = Some(at);
                    c.expiry = Some(source);
                }
            }
        }
    }
}

fn credential(kind: TokenKind, path: String, s: &str) -> Credential {
    let decoded = jwt::looks_like_jwt(s)
        .then(|| jwt::decode(s).ok())
        .flatten();
    let exp = decoded.as_ref().and_then(|j| j.exp_ms());
    Credential {
        kind,
        path,
        value: s.to_owned(),
        jwt: decoded.is_some(),
        expires_at_ms: exp,
        expiry: exp.map(|_| ExpirySource::Jwt),
    }
}

/// A value that is not JSON: a raw token (Cognito keeps raw JWTs, one per key).
pub(super) fn bare(key: &str, s: &str, layout: Option<Layout>, limits: &Limits) -> Found {
    let s = jwt::strip_wrapping(s);
    let mut found = Found {
        layout,
        ..Found::default()
    };
    if limits.max_credentials == 0 || !token_like(s) {
        return found;
    }
    let named = layout.and_then(|l| l.kind_from_key(key));
    let kind = match named {
        Some(k) => Some(k),
        None => jwt::looks_like_jwt(s)
            .then(|| jwt::decode(s).ok())
            .flatten()
            .map(|j| j.kind(Some(key))),
    };
    if let Some(kind) = kind {
        found.credentials.push(credential(kind, String::new(), s));
    }
    found
}

/// Appends one JSON Pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`).
fn push_segment(path: &mut String, name: &str) {
    path.push('/');
    for c in name.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}
