// The options form. The Rust core checks and normalises it (`ui_check_options`),
// this page stores the result in chrome.storage.local, and the worker applies
// it on storage.onChanged: no reload.
import init, { ui_check_options, ui_options_form, ui_option_keys } from './wasm/logout_lens_extension_ui.js';

const LISTS = ['login_pages', 'refresh', 'login', 'logout'];
const $ = (id) => document.getElementById(id);
const ready = init({ module_or_path: new URL('./wasm/logout_lens_extension_ui_bg.wasm', import.meta.url) });

// The form as stored, with a fresh install's defaults for the rest (Rust's).
async function load() {
  await ready;
  const o = await chrome.storage.local.get(ui_option_keys());
  const f = JSON.parse(ui_options_form(JSON.stringify(o)));
  for (const k of [...LISTS, 'exclude', 'token_keys', 'capture']) $(k).value = f[k];
  for (const k of ['collector', 'forward', 'keep_sub', 'keep_email']) $(k).checked = f[k];
}

async function save(e) {
  e.preventDefault();
  await ready;
  const c = JSON.parse(ui_check_options(...LISTS.map((k) => $(k).value), $('exclude').value, $('capture').value, $('token_keys').value));
  const errors = $('errors');
  errors.textContent = '';
  $('saved').textContent = '';
  if (c.errors.length) {
    for (const m of c.errors) {
      const li = document.createElement('li');
      li.textContent = m;
      errors.append(li);
    }
    return;
  }
  await chrome.storage.local.set({
    site_hints: JSON.stringify(c.site_hints),
    exclude: c.exclude,
    token_keys: c.token_keys,
    capture: c.capture,
    collector: $('collector').checked,
    forward: $('forward').checked,
    keep_sub: $('keep_sub').checked,
    keep_email: $('keep_email').checked,
  });
  for (const k of LISTS) $(k).value = c.site_hints[k].join('\n');
  $('exclude').value = c.exclude.join('\n');
  $('token_keys').value = c.token_keys.join('\n');
  $('saved').textContent = 'Saved. The extension uses these settings from now on.';
}

$('form').addEventListener('submit', save);
load();
