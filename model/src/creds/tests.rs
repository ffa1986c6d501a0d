use super::*;

fn jwt(claims: &str) -> String {
    crate::jwt::tests::make(r#"{"alg":"RS256"}"#, claims)
}

#[test]
fn epoch_units_are_told_apart_by_size() {
    let cases = [
        (
            serde_json::json!(1_796_680_517),
            Some((1_796_680_517_000, TimeUnit::Seconds)),
        ),
        (
            serde_json::json!("1796680517"),
            Some((1_796_680_517_000, TimeUnit::Seconds)),
        ),
        (
            serde_json::json!(1_796_683_842_868_i64),
            Some((1_796_683_842_868, TimeUnit::Millis)),
        ),
        (
            serde_json::json!(1.5e9),
            Some((1_500_000_000_000, TimeUnit::Seconds)),
        ),
        (serde_json::json!(-5), None),
        (serde_json::json!("soon"), None),
        (serde_json::json!(1e300), None),
        (serde_json::json!(null), None),
    ];
    for (v, want) in cases {
        assert_eq!(epoch_ms(&v), want, "{v}");
    }
}

#[test]
fn generic_object_table() {
    let at = jwt(r#"{"exp":2000000000}"#);
    let stored = 1_700_000_000_000;
    // (key, value, [(kind, path, expires_at_ms, source is a field/lifetime/jwt)])
    type Want<'a> = Vec<(TokenKind, &'a str, Option<i64>)>;
    let cases: Vec<(&str, String, Want<'_>)> = vec![
        // OAuth token response as an app stores it: expires_in counted from storage time.
        (
            "auth",
            format!(
                r#"{{"access_token":"{at}","refresh_token":"opaque-rt-1","expires_in":3600,"refresh_expires_in":"86400"}}"#
            ),
            vec![
                (TokenKind::Access, "/access_token", Some(stored + 3_600_000)),
                (
                    TokenKind::Refresh,
                    "/refresh_token",
                    Some(stored + 86_400_000),
                ),
            ],
        ),
        // Okta: one object per token, each with its own expiresAt.
        (
            "okta-token-storage",
            format!(
                r#"{{"accessToken":{{"accessToken":"{at}","expiresAt":1900000000}},"refreshToken":{{"refreshToken":"opaque-rt-2","expiresAt":1900086400}}}}"#
            ),
            vec![
                (
                    TokenKind::Access,
                    "/accessToken/accessToken",
                    Some(1_900_000_000_000),
                ),
                (
                    TokenKind::Refresh,
                    "/refreshToken/refreshToken",
                    Some(1_900_086_400_000),
                ),
            ],
        ),
        // A JWT under a name nobody registered still counts; its exp is its expiry.
        (
            "app",
            format!(r#"{{"session":{{"jwt~/x":"{at}"}}}}"#),
            vec![(
                TokenKind::Access,
                "/session/jwt~0~1x",
                Some(2_000_000_000_000),
            )],
        ),
        // A bare JWT value; a quoted one.
        (
            "token",
            at.clone(),
            vec![(TokenKind::Access, "", Some(2_000_000_000_000))],
        ),
        (
            "token",
            format!("\"{at}\""),
            vec![(TokenKind::Access, "", Some(2_000_000_000_000))],
        ),
        // Not credentials.
        (
            "theme",
            r#"{"dark":true,"expires_at":1900000000}"#.into(),
            vec![],
        ),
        ("user", "alice".into(), vec![]),
        ("n", "12".into(), vec![]),
    ];
    for (key, value, want) in cases {
        let found = find(key, &value, Some(stored)).expect(key);
        let got: Vec<_> = found
            .credentials
            .iter()
            .map(|c| (c.kind, c.path.as_str(), c.expires_at_ms))
            .collect();
        assert_eq!(got, want, "{key}: {value}");
    }
}

#[test]
fn supabase_ssr_cookie_is_base64_json() {
    use base64::Engine as _;
    let session =
        r#"{"access_token":"abcdefghijk","refresh_token":"r3fr3sht0k3n","expires_at":1900000000}"#;
    let cookie = format!(
        "base64-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session)
    );
    let found = find("sb-abcd-auth-token", &cookie, None).expect("parses");
    assert_eq!(found.layout, Some(Layout::Supabase));
    assert_eq!(found.credentials.len(), 2);
    assert_eq!(found.credentials[0].expires_at_ms, Some(1_900_000_000_000));
}

#[test]
fn bounds_are_kept() {
    let limits = Limits {
        max_bytes: 64,
        ..Limits::default()
    };
    assert!(matches!(
        find_with("k", &"x".repeat(65), None, &limits),
        Err(CredsError::TooLarge { len: 65, max: 64 })
    ));
    assert!(matches!(find("k", "{nope", None), Err(CredsError::Json(_))));

    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    let found = find("k", &deep, None).expect("parses");
    assert!(found.truncated);

    let many: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"access_token":"token-number-{i}"}}"#))
        .collect();
    let found = find("k", &format!("[{}]", many.join(",")), None).expect("parses");
    assert_eq!(found.credentials.len(), Limits::default().max_credentials);
    assert!(found.truncated);
}

#[test]
fn debug_never_prints_the_secret() {
    let found = find("k", r#"{"refresh_token":"super-secret-value"}"#, None).expect("parses");
    let shown = format!("{found:?}");
    assert!(!shown.contains("super-secret-value"), "{shown}");
    assert!(shown.contains("value_len"));
}
