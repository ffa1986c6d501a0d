// Loads an unpacked test extension into headless Chromium with a fresh
// --user-data-dir; its service worker calls chrome.runtime.connectNative and
// records the host's replies. Prints {"id": <extension id>, "result": ...}.
//
// usage: node native-host.mjs <extension-dir> <user-data-dir>
import { chromium } from 'playwright-core';
import { args, executablePath, waitFor } from './chromium.mjs';

const [extDir, userDataDir] = process.argv.slice(2);
if (!extDir || !userDataDir) {
  console.error('usage: node native-host.mjs <extension-dir> <user-data-dir>');
  process.exit(2);
}

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: false, // '--headless=new' below: extensions need the new headless mode
  args: [...args, `--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`],
});
try {
  const sw =
    context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 20000 }));
  const id = new URL(sw.url()).host;
  const result = await waitFor(() => sw.evaluate(() => globalThis.__nativeResult), 20000, 'native host reply');
  console.log(JSON.stringify({ id, result }));
} finally {
  await context.close();
}
