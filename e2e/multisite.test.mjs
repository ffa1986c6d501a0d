// The multi-site run (scenarios/multisite.mjs) in Chromium: one profile, six
// sites, six logout causes in sequence, every tab left open.
//
// Before: `cargo xtask dist` and
// `cargo build -p logout-lens-collector -p logout-lens-server --example demo`.
import { test, before } from 'node:test';
import * as h from './extension/helpers.mjs';
import * as v from './extension/views.mjs';
import { multisite, startSites } from './scenarios/multisite.mjs';

before(() => h.checkPrerequisites());

/** The scenario's browser, on Playwright and the Chromium helpers. */
function chromiumBrowser(b) {
  return {
    db: b.db,
    newTab: () => b.ctx.newPage(),
    goto: (tab, url) => tab.goto(url),
    url: (tab) => tab.url(),
    type: (tab, selector, text) => tab.fill(selector, text),
    click: (tab, selector) => tab.click(selector),
    evaluate: (tab, fn) => tab.evaluate(fn),
    signIn: (tab, base) => h.signIn(tab, base),
    waitForUrl: (tab, re, timeout) => tab.waitForURL(re, timeout ? { timeout } : {}),
    apiCalls: (tab, n) => tab.waitForFunction((k) => Number(document.getElementById('api-ok').textContent) >= k, n),
    tabId: (tab) => v.tabId(b, tab),
    popup: async (tab) => {
      const { popup, errors } = await v.openPopup(b, tab);
      return {
        errors,
        newestLogout: () => v.newestLogout(popup),
        diagnoseNewest: async () => (await v.diagnoseNewest(popup)).first,
        siteStatus: async () => {
          await popup.waitForFunction(() => document.querySelector('#site-status').textContent !== '');
          return popup.textContent('#site-status');
        },
        close: () => popup.close(),
      };
    },
    pageUi: (tab) => v.pageUi(b.ctx, tab),
    drained: () => h.drained(b.sw),
  };
}

test('one profile, six sites, six logout causes in sequence: DB, popup and page all name each cause', async () => {
  const sites = await startSites();
  try {
    const b = await h.launch();
    try {
      await multisite(chromiumBrowser(b), sites);
    } finally {
      await b.close();
    }
  } finally {
    sites.stop();
  }
});
