//! The extension's `manifest.json`, generated for each browser family from
//! one [`ExtensionDescription`].
//!
//! The two outputs differ only where the browsers do: the Chromium family runs
//! a module service worker and pins its id with `key`; Firefox runs background
//! scripts (event page) and is identified by `browser_specific_settings.gecko.id`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Family;
use crate::key::{FIREFOX_ADDON_ID, PUBLIC_KEY_B64};

/// When a content script is injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunAt {
    /// Before any of the page's own scripts run.
    DocumentStart,
    /// Once the DOM is complete, before subresources have loaded.
    DocumentEnd,
    /// When the browser is idle after the DOM is complete (the default).
    DocumentIdle,
}

/// The JavaScript world a content script runs in. `Main` shares the page's
/// globals, which is how `document.cookie` and `Storage` writes are hooked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum World {
    /// The extension's own world: the page's DOM, but not its globals.
    Isolated,
    /// The page's own world and globals.
    Main,
}

/// One `content_scripts` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentScript {
    /// The URL match patterns of the pages it is injected into.
    pub matches: Vec<String>,
    /// The script files, relative to the extension's root.
    pub js: Vec<String>,
    /// When it is injected.
    pub run_at: RunAt,
    /// Injected into every frame, not only the top one.
    pub all_frames: bool,
    /// `match_about_blank`: also inject into `about:blank` child frames.
    pub match_about_blank: bool,
    /// The world it runs in.
    pub world: World,
}

impl ContentScript {
    /// A script injected at `document_start` into every frame of every page.
    pub fn everywhere(js: impl Into<String>, world: World) -> Self {
        ContentScript {
            matches: vec!["<all_urls>".into()],
            js: vec![js.into()],
            run_at: RunAt::DocumentStart,
            all_frames: true,
            match_about_blank: true,
            world,
        }
    }
}

/// A keyboard shortcut (`commands` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// What the shortcut does, as the browser's shortcut settings show it.
    pub description: String,
    /// `suggested_key.default`, e.g. `Ctrl+Shift+D`.
    pub default_key: String,
    /// `suggested_key.mac`, e.g. `Command+Shift+D`.
    pub mac_key: Option<String>,
}

/// Everything the manifests are generated from. Fields are plain data so the
/// extension build can swap file names without touching this crate; start from
/// [`ExtensionDescription::default`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDescription {
    /// The extension's name.
    pub name: String,
    /// The name where space is short (`short_name`).
    pub short_name: Option<String>,
    /// The version, `major.minor.patch` (the workspace's).
    pub version: String,
    /// The one-line description the stores and `chrome://extensions` show.
    pub description: String,
    /// API permissions held from install.
    pub permissions: Vec<String>,
    /// API permissions the user may grant later, on both families.
    pub optional_permissions: Vec<String>,
    /// Optional on the Chromium family, required on Firefox. Chromium routes
    /// every request of every frame through a browser-side proxy as soon as a
    /// loaded extension merely holds `webRequest`, so there it waits for the
    /// user's opt-in; Firefox has no such cost.
    #[serde(default)]
    pub optional_on_chromium: Vec<String>,
    /// The sites the extension may read (match patterns).
    pub host_permissions: Vec<String>,
    /// The background module (service worker on Chromium, module script on Firefox).
    pub background: String,
    /// The declared content scripts.
    pub content_scripts: Vec<ContentScript>,
    /// The toolbar button's popup page.
    pub popup: String,
    /// The toolbar button's tooltip.
    pub action_title: String,
    /// The options page, if any.
    pub options_page: Option<String>,
    /// Keyed by command name; `_execute_action` opens the popup.
    pub commands: BTreeMap<String, Command>,
    /// Icon size (px) → file.
    pub icons: BTreeMap<u32, String>,
    /// Extension files pages may load (e.g. the `.wasm` if a content script needs it).
    pub web_accessible_resources: Vec<String>,
    /// The oldest Chromium version it runs on (`minimum_chrome_version`).
    pub minimum_chrome_version: Option<String>,
    /// The oldest Firefox version it runs on (`strict_min_version`).
    pub gecko_strict_min_version: Option<String>,
    /// Extra CSP sources appended to `script-src` for extension pages.
    pub extra_script_src: Vec<String>,
}

/// The default permission set: everything the collector pipeline observes.
pub const DEFAULT_PERMISSIONS: &[&str] = &[
    "storage",
    "unlimitedStorage",
    "cookies",
    "idle",
    "tabs",
    "nativeMessaging",
    "notifications",
    "alarms",
    "scripting",
];

impl Default for ExtensionDescription {
    fn default() -> Self {
        let icons = [16, 32, 48, 128]
            .into_iter()
            .map(|px| (px, format!("icons/icon-{px}.png")))
            .collect();
        let mut commands = BTreeMap::new();
        commands.insert(
            "_execute_action".to_owned(),
            Command {
                description: "Open Logout Lens".into(),
                default_key: "Ctrl+Shift+D".into(),
                mac_key: Some("Command+Shift+D".into()),
            },
        );
        ExtensionDescription {
            name: "Logout Lens".into(),
            short_name: Some("Logout Lens".into()),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Explains why a website logged you out: records token, cookie, storage, \
                          network and tab-lifecycle events locally and diagnoses each logout."
                .into(),
            permissions: DEFAULT_PERMISSIONS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            optional_permissions: Vec::new(),
            // Full network capture: an opt-in on the options page.
            optional_on_chromium: vec!["webRequest".into()],
            host_permissions: vec!["<all_urls>".into()],
            background: "background.js".into(),
            // The MAIN-world hook, and the isolated-world forwarder that
            // takes its messages to the worker once the page has loaded (or
            // as the page is left before that).
            content_scripts: vec![
                ContentScript::everywhere("content/main-world.js", World::Main),
                ContentScript::everywhere("content/isolated.js", World::Isolated),
            ],
            popup: "popup.html".into(),
            action_title: "Logout Lens".into(),
            options_page: Some("options.html".into()),
            commands,
            icons,
            web_accessible_resources: Vec::new(),
            minimum_chrome_version: Some("111".into()),
            // The first Firefox with `data_collection_permissions` (desktop 140, Android 142).
            gecko_strict_min_version: Some("142.0".into()),
            extra_script_src: Vec::new(),
        }
    }
}

impl ExtensionDescription {
    /// The `manifest.json` for a browser family.
    pub fn manifest(&self, family: Family) -> Value {
        let mut m = Map::new();
        m.insert("manifest_version".into(), json!(3));
        m.insert("name".into(), json!(self.name));
        if let Some(short) = &self.short_name {
            m.insert("short_name".into(), json!(short));
        }
        m.insert("version".into(), json!(self.version));
        m.insert("description".into(), json!(self.description));
        m.insert("icons".into(), icon_map(&self.icons));
        let (mut required, mut optional) =
            (self.permissions.clone(), self.optional_permissions.clone());
        match family {
            Family::Chromium => optional.extend(self.optional_on_chromium.iter().cloned()),
            Family::Firefox => required.extend(self.optional_on_chromium.iter().cloned()),
        }
        m.insert("permissions".into(), json!(required));
        if !optional.is_empty() {
            m.insert("optional_permissions".into(), json!(optional));
        }
        m.insert("host_permissions".into(), json!(self.host_permissions));
        m.insert("background".into(), self.background_entry(family));
        m.insert(
            "content_scripts".into(),
            Value::Array(self.content_scripts.iter().map(content_script).collect()),
        );
        let mut action = json!({ "default_popup": self.popup, "default_title": self.action_title });
        if !self.icons.is_empty() {
            action["default_icon"] = icon_map(&self.icons);
        }
        m.insert("action".into(), action);
        if let Some(page) = &self.options_page {
            m.insert(
                "options_ui".into(),
                json!({ "page": page, "open_in_tab": true }),
            );
        }
        if !self.commands.is_empty() {
            m.insert("commands".into(), commands(&self.commands));
        }
        m.insert(
            "content_security_policy".into(),
            json!({ "extension_pages": self.csp() }),
        );
        if !self.web_accessible_resources.is_empty() {
            m.insert(
                "web_accessible_resources".into(),
                json!([{ "resources": self.web_accessible_resources, "matches": ["<all_urls>"] }]),
            );
        }
        match family {
            Family::Chromium => {
                m.insert("key".into(), json!(PUBLIC_KEY_B64));
                if let Some(v) = &self.minimum_chrome_version {
                    m.insert("minimum_chrome_version".into(), json!(v));
                }
            }
            Family::Firefox => {
                let mut gecko = json!({
                    "id": FIREFOX_ADDON_ID,
                    // Everything stays on the machine; AMO requires the declaration.
                    "data_collection_permissions": { "required": ["none"] },
                });
                if let Some(v) = &self.gecko_strict_min_version {
                    gecko["strict_min_version"] = json!(v);
                }
                m.insert(
                    "browser_specific_settings".into(),
                    json!({ "gecko": gecko }),
                );
            }
        }
        Value::Object(m)
    }

    /// The `manifest.json` of a store upload: [`Self::manifest`] without
    /// `key`. The Chrome Web Store refuses a manifest with a `key` (it signs
    /// the item with its own, which gives the store build its own id); the
    /// Firefox manifest has none to remove.
    pub fn store_manifest(&self, family: Family) -> Value {
        let mut m = self.manifest(family);
        if let Some(o) = m.as_object_mut() {
            o.remove("key");
        }
        m
    }

    /// The `extension_pages` policy: MV3's default plus `'wasm-unsafe-eval'`,
    /// without which the wasm core cannot be instantiated.
    pub fn csp(&self) -> String {
        let mut script_src = vec!["'self'", "'wasm-unsafe-eval'"];
        script_src.extend(self.extra_script_src.iter().map(String::as_str));
        format!("script-src {}; object-src 'self'", script_src.join(" "))
    }

    fn background_entry(&self, family: Family) -> Value {
        match family {
            Family::Chromium => json!({ "service_worker": self.background, "type": "module" }),
            Family::Firefox => json!({ "scripts": [self.background], "type": "module" }),
        }
    }
}

fn icon_map(icons: &BTreeMap<u32, String>) -> Value {
    Value::Object(
        icons
            .iter()
            .map(|(px, f)| (px.to_string(), json!(f)))
            .collect(),
    )
}

fn content_script(cs: &ContentScript) -> Value {
    json!({
        "matches": cs.matches,
        "js": cs.js,
        "run_at": cs.run_at,
        "all_frames": cs.all_frames,
        "match_about_blank": cs.match_about_blank,
        "world": cs.world,
    })
}

fn commands(cmds: &BTreeMap<String, Command>) -> Value {
    Value::Object(
        cmds.iter()
            .map(|(name, c)| {
                let mut key = json!({ "default": c.default_key });
                if let Some(mac) = &c.mac_key {
                    key["mac"] = json!(mac);
                }
                (
                    name.clone(),
                    json!({ "description": c.description, "suggested_key": key }),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_differ_only_where_browsers_do() {
        let d = ExtensionDescription::default();
        let (mut c, mut f) = (d.manifest(Family::Chromium), d.manifest(Family::Firefox));
        assert_eq!(
            c["background"],
            json!({"service_worker": "background.js", "type": "module"})
        );
        assert_eq!(
            f["background"],
            json!({"scripts": ["background.js"], "type": "module"})
        );
        assert_eq!(c["key"], json!(PUBLIC_KEY_B64));
        assert!(f.get("key").is_none());
        assert_eq!(
            f["browser_specific_settings"]["gecko"]["id"],
            json!(FIREFOX_ADDON_ID)
        );
        for v in [&mut c, &mut f] {
            let o = v.as_object_mut().unwrap();
            for k in [
                "background",
                "key",
                "browser_specific_settings",
                "minimum_chrome_version",
                "permissions",
                "optional_permissions",
            ] {
                o.remove(k);
            }
        }
        assert_eq!(c, f);
    }

    /// webRequest costs every page load on Chromium merely by being held.
    #[test]
    fn web_request_is_optional_on_chromium_only() {
        let d = ExtensionDescription::default();
        let perms = |f: Family, key: &str| -> Vec<String> {
            serde_json::from_value(d.manifest(f)[key].clone()).unwrap_or_default()
        };
        let cases = [
            (Family::Chromium, "permissions", false),
            (Family::Chromium, "optional_permissions", true),
            (Family::Firefox, "permissions", true),
            (Family::Firefox, "optional_permissions", false),
        ];
        for (family, key, has) in cases {
            assert_eq!(
                perms(family, key).iter().any(|p| p == "webRequest"),
                has,
                "{family:?} {key}"
            );
        }
        // Everything else is the same on both.
        let mut c = perms(Family::Chromium, "permissions");
        c.push("webRequest".into());
        assert_eq!(c, perms(Family::Firefox, "permissions"));
    }

    #[test]
    fn csp_allows_wasm_and_nothing_remote() {
        let csp = ExtensionDescription::default().csp();
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(!csp.contains("http"));
    }

    #[test]
    fn both_content_scripts_run_early_in_all_frames() {
        let m = ExtensionDescription::default().manifest(Family::Chromium);
        let scripts = m["content_scripts"].as_array().unwrap();
        for world in ["MAIN", "ISOLATED"] {
            let cs = scripts.iter().find(|cs| cs["world"] == world).unwrap();
            assert_eq!(cs["run_at"], "document_start", "{world}");
            assert_eq!(cs["all_frames"], true, "{world}");
            assert_eq!(cs["match_about_blank"], true, "{world}");
        }
    }

    #[test]
    fn store_manifests_have_no_key_and_differ_in_nothing_else() {
        let d = ExtensionDescription::default();
        for family in [Family::Chromium, Family::Firefox] {
            let store = d.store_manifest(family);
            assert!(store.get("key").is_none(), "{family:?}");
            let mut dev = d.manifest(family);
            dev.as_object_mut().unwrap().remove("key");
            assert_eq!(store, dev, "{family:?}");
        }
    }

    #[test]
    fn file_names_are_data() {
        let d = ExtensionDescription {
            background: "sw.js".into(),
            popup: "ui/popup.html".into(),
            ..Default::default()
        };
        let m = d.manifest(Family::Chromium);
        assert_eq!(m["background"]["service_worker"], "sw.js");
        assert_eq!(m["action"]["default_popup"], "ui/popup.html");
    }
}
