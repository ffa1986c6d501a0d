//! install / uninstall / inspect against temporary HOME and `--user-data-dir`
//! trees, for every browser on Linux; the Windows layout as data.

use std::path::Path;

use logout_lens_manifest::{
    BaseDirs, Browser, Family, HOST_NAME, ManifestError, Os, Scope, inspect, install, target,
    uninstall, uninstall_keeping,
};

const EXE: &str = "/opt/logout-lens/bin/logout-lens";

#[test]
fn every_browser_user_scope_round_trip() {
    let home = tempfile::tempdir().unwrap();
    let dirs = BaseDirs::with_home(home.path());
    let expected_dirs = [
        (
            Browser::Chrome,
            ".config/google-chrome/NativeMessagingHosts",
        ),
        (Browser::Chromium, ".config/chromium/NativeMessagingHosts"),
        (Browser::Edge, ".config/microsoft-edge/NativeMessagingHosts"),
        (
            Browser::Brave,
            ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        ),
        (Browser::Firefox, ".mozilla/native-messaging-hosts"),
    ];
    for (browser, rel) in expected_dirs {
        let t = target(browser, Os::Linux, Scope::User, &dirs, None).unwrap();
        assert_eq!(
            t.file,
            home.path().join(rel).join(format!("{HOST_NAME}.json"))
        );
        assert!(!inspect(&t, Path::new(EXE)).registered);

        install(&t, Path::new(EXE)).unwrap();
        let report = inspect(&t, Path::new(EXE));
        assert!(report.ok(), "{report:?}");
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&t.file).unwrap()).unwrap();
        let key = match browser.family() {
            Family::Chromium => "allowed_origins",
            Family::Firefox => "allowed_extensions",
        };
        assert!(written[key].is_array(), "{browser}: {written}");

        // A manifest for a different binary is registered but not ours.
        assert!(!inspect(&t, Path::new("/usr/bin/other")).points_at_exe);

        assert_eq!(uninstall(&t).unwrap(), vec![t.file.clone()]);
        assert!(!t.file.exists());
        assert!(
            uninstall(&t).unwrap().is_empty(),
            "second uninstall is a no-op"
        );
    }
}

#[test]
fn user_data_dir_for_chromium_family_only() {
    let udd = tempfile::tempdir().unwrap();
    let dirs = BaseDirs::with_home("/nonexistent-home");
    for browser in [
        Browser::Chrome,
        Browser::Chromium,
        Browser::Edge,
        Browser::Brave,
    ] {
        let t = target(browser, Os::Linux, Scope::User, &dirs, Some(udd.path())).unwrap();
        assert_eq!(
            t.file,
            udd.path()
                .join("NativeMessagingHosts")
                .join(format!("{HOST_NAME}.json"))
        );
        install(&t, Path::new(EXE)).unwrap();
        assert!(inspect(&t, Path::new(EXE)).ok());
    }
    assert!(matches!(
        target(
            Browser::Firefox,
            Os::Linux,
            Scope::User,
            &dirs,
            Some(udd.path())
        ),
        Err(ManifestError::UserDataDirNotSupported("firefox"))
    ));
}

#[test]
fn system_scope_under_a_root_prefix() {
    let root = tempfile::tempdir().unwrap();
    let dirs = BaseDirs {
        root: Some(root.path().to_path_buf()),
        ..BaseDirs::with_home("/h")
    };
    let t = target(Browser::Chromium, Os::Linux, Scope::System, &dirs, None).unwrap();
    assert_eq!(
        t.file,
        root.path()
            .join("etc/chromium/native-messaging-hosts")
            .join(format!("{HOST_NAME}.json"))
    );
    install(&t, Path::new(EXE)).unwrap();
    assert!(inspect(&t, Path::new(EXE)).ok());
    let ff = target(Browser::Firefox, Os::Linux, Scope::System, &dirs, None).unwrap();
    assert_eq!(ff.alternates.len(), 1, "firefox also reads /usr/lib64");
}

#[test]
fn relative_exe_and_tampered_manifests_are_reported() {
    let home = tempfile::tempdir().unwrap();
    let t = target(
        Browser::Chrome,
        Os::Linux,
        Scope::User,
        &BaseDirs::with_home(home.path()),
        None,
    )
    .unwrap();
    assert!(matches!(
        install(&t, Path::new("logout-lens")),
        Err(ManifestError::RelativeExe(_))
    ));
    assert!(!t.file.exists(), "nothing written on refusal");

    std::fs::create_dir_all(t.file.parent().unwrap()).unwrap();
    std::fs::write(&t.file, b"{not json").unwrap();
    let r = inspect(&t, Path::new(EXE));
    assert!(r.registered && !r.ok() && r.problem.is_some());

    let wrong_id = serde_json::json!({
        "name": HOST_NAME, "path": EXE, "type": "stdio",
        "allowed_origins": ["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
    });
    std::fs::write(&t.file, wrong_id.to_string()).unwrap();
    let r = inspect(&t, Path::new(EXE));
    assert!(r.points_at_exe && !r.extension_allowed);
}

#[test]
fn missing_locations_are_clear_errors() {
    let dirs = BaseDirs::with_home("/h");
    assert!(matches!(
        target(Browser::Brave, Os::Macos, Scope::System, &dirs, None),
        Err(ManifestError::Unsupported { .. })
    ));
    assert!(matches!(
        target(Browser::Chrome, Os::Windows, Scope::User, &dirs, None),
        Err(ManifestError::MissingBaseDir("{LOCALAPPDATA}", _))
    ));
}

/// Windows: every Chromium-family browser's key points at one manifest file
/// (with `\` throughout); Firefox has its own.
#[test]
fn windows_chromium_family_shares_one_file_with_its_own_keys() {
    let dirs = BaseDirs {
        local_app_data: Some(r"C:\Users\u\AppData\Local".into()),
        app_data: Some(r"C:\Users\u\AppData\Roaming".into()),
        ..Default::default()
    };
    let t = |b| target(b, Os::Windows, Scope::User, &dirs, None).unwrap();
    let chrome = t(Browser::Chrome);
    assert_eq!(
        chrome.file.to_str().unwrap(),
        format!(r"C:\Users\u\AppData\Local\NativeMessagingHosts\{HOST_NAME}.json")
    );
    for b in [Browser::Chromium, Browser::Edge, Browser::Brave] {
        let other = t(b);
        assert_eq!(other.file, chrome.file, "{b}");
        assert_ne!(other.registry[0], chrome.registry[0], "{b}");
    }
    // Brave also reads Chrome's key.
    assert!(t(Browser::Brave).registry.contains(&chrome.registry[0]));
    let ff = t(Browser::Firefox);
    assert!(!ff.file.to_str().unwrap().contains('/'), "{ff:?}");
    assert_ne!(ff.file, chrome.file);
}

/// A file another registration still uses stays; the rest goes.
#[test]
fn uninstall_keeping_leaves_what_others_use() {
    let udd = tempfile::tempdir().unwrap();
    let dirs = BaseDirs::with_home("/nonexistent-home");
    let chrome = target(
        Browser::Chrome,
        Os::Linux,
        Scope::User,
        &dirs,
        Some(udd.path()),
    )
    .unwrap();
    let brave = target(
        Browser::Brave,
        Os::Linux,
        Scope::User,
        &dirs,
        Some(udd.path()),
    )
    .unwrap();
    install(&chrome, Path::new(EXE)).unwrap();
    install(&brave, Path::new(EXE)).unwrap();
    assert!(
        uninstall_keeping(&chrome, std::slice::from_ref(&brave.file), &[])
            .unwrap()
            .is_empty()
    );
    assert!(inspect(&brave, Path::new(EXE)).ok());
    assert_eq!(
        uninstall_keeping(&brave, &[], &[]).unwrap(),
        vec![brave.file.clone()]
    );
    assert!(
        !udd.path().join("NativeMessagingHosts").exists(),
        "the emptied folder goes too"
    );
}
