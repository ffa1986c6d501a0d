// The multi-site run (scenarios/multisite.mjs) in Firefox ESR: one profile,
// six sites, six logout causes in sequence, every tab left open.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`;
// `apt-get install firefox-esr`.
import { test, before } from 'node:test';
import * as h from '../extension/helpers.mjs';
import * as ff from './harness.mjs';
import { multisite, startSites } from '../scenarios/multisite.mjs';

before(() => ff.checkFirefoxPrerequisites());

/** The text of `selector` on `page`, once there is one. */
const textOf = (page, selector, what) =>
  h.waitFor(() => page.evaluate((s) => {
    const e = document.querySelector(s);
    return e && e.textContent;
  }, selector), { what });

/** The scenario's browser, on puppeteer-core (WebDriver BiDi) and the Firefox harness. */
function firefoxBrowser(b) {
  return {
    db: b.db,
    newTab: () => b.browser.newPage(),
    goto: (tab, url) => tab.goto(url),
    url: (tab) => tab.url(),
    type: (tab, selector, text) => tab.type(selector, text),
    click: (tab, selector) => tab.click(selector),
    evaluate: (tab, fn) => tab.evaluate(fn),
    signIn: (tab, base) => ff.signIn(tab, base),
    waitForUrl: (tab, re, timeout = 30000) => h.waitFor(() => re.test(tab.url()), { timeout, what: `${re} in ${tab.url()}` }),
    apiCalls: (tab, n) => tab.waitForFunction((k) => Number(document.getElementById('api-ok').textContent) >= k, {}, n),
    tabId: (tab) => ff.tabIdOf(b.ext, tab.url()),
    popup: async (tab) => {
      const popup = await ff.openExtensionPage(b.browser, `popup.html?tab=${tab}`);
      const errors = [];
      popup.on('pageerror', (e) => errors.push(String(e)));
      await h.waitFor(() => popup.evaluate(() => document.querySelector('#origin').textContent !== '…'), { what: 'the popup to render' });
      const newestLogout = () =>
        h.waitFor(() => popup.evaluate(() => {
          const li = document.querySelector('#logouts li');
          return li && !/Finding the cause/.test(li.textContent) && li.textContent;
        }), { timeout: 15000, what: 'the logout in the popup' });
      return {
        errors,
        newestLogout,
        diagnoseNewest: async () => {
          await newestLogout();
          await popup.click('#logouts li button');
          return textOf(popup, '#causes > li', 'the Diagnose view');
        },
        siteStatus: () => textOf(popup, '#site-status', "the site's status"),
        close: () => popup.close(),
      };
    },
    pageUi: (tab) => ff.pageUi(b, tab),
    drained: () => ff.drained(b.ext),
  };
}

test('Firefox: one profile, six sites, six logout causes in sequence: DB, popup and page all name each cause', async () => {
  const sites = await startSites();
  try {
    const b = await ff.launchFirefox();
    try {
      await multisite(firefoxBrowser(b), sites);
    } finally {
      await b.close();
    }
  } finally {
    sites.stop();
  }
});
