// What the user sees, read the way the tests need it: the popup (opened as
// its chrome-extension:// page for one tab) and the in-page overlay/banner,
// which lives in a *closed* shadow root that neither the page nor
// Playwright's locators can enter. The tests reach it through the DevTools
// protocol (DOM.getDocument with `pierce`, then a handle on the shadow root).
import { waitFor } from './helpers.mjs';

export const EXT = 'chrome-extension://pgblapmpbbjjadbhpohickicabgcppge';

/** The id of the tab showing `page` (the worker knows tabs; Playwright does not). */
export async function tabId(b, page) {
  const url = page.url();
  return waitFor(
    () =>
      b.sw.evaluate(async (u) => {
        const t = (await chrome.tabs.query({})).find((x) => x.url === u);
        return t && t.id;
      }, url),
    { what: `the tab of ${url}` },
  );
}

/** Opens the popup as a page for `tab`; `{ popup, errors }` once it shows the tab's site. */
export async function openPopup(b, tab) {
  const popup = await b.ctx.newPage();
  const errors = [];
  popup.on('pageerror', (e) => errors.push(String(e)));
  await popup.setViewportSize({ width: 400, height: 900 });
  await popup.goto(`${EXT}/popup.html?tab=${tab}`);
  await popup.waitForFunction(() => document.querySelector('#origin').textContent !== '…');
  return { popup, errors };
}

/**
 * The popup's newest logout once its cause is in (a logout is listed at once
 * as "Finding the cause…" while the worker diagnoses it).
 */
export async function newestLogout(popup, timeout = 15000) {
  await popup.waitForFunction(
    () => {
      const li = document.querySelector('#logouts li');
      return li && !/Finding the cause/.test(li.textContent);
    },
    null,
    { timeout },
  );
  return popup.textContent('#logouts li');
}

/** Clicks Diagnose on the popup's newest logout; `{ headline, first }` of the view. */
export async function diagnoseNewest(popup) {
  await newestLogout(popup);
  await popup.click('#logouts li button');
  await popup.waitForSelector('#causes li');
  return { headline: await popup.textContent('#headline'), first: await popup.textContent('#causes > li') };
}

/** Depth-first search of a DOM.getDocument tree. */
function findNode(n, pred) {
  if (pred(n)) return n;
  for (const k of [...(n.children || []), ...(n.shadowRoots || []), ...(n.contentDocument ? [n.contentDocument] : [])]) {
    const f = findNode(k, pred);
    if (f) return f;
  }
  return null;
}

/**
 * Runs `fn` (a function source, `this` = the shadow root) on the extension's
 * in-page UI of `page`. Resolves with `{ mode, value }` (`mode`: the shadow
 * root's type as DevTools reports it), or null when there is no UI.
 */
async function onUiRoot(ctx, page, fn) {
  const cdp = await ctx.newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const host = findNode(root, (n) => n.nodeName === 'LOGOUT-LENS-UI');
    if (!host || !host.shadowRoots || !host.shadowRoots.length) return null;
    const shadow = host.shadowRoots[0];
    const { object } = await cdp.send('DOM.resolveNode', { nodeId: shadow.nodeId });
    const { result, exceptionDetails } = await cdp.send('Runtime.callFunctionOn', {
      objectId: object.objectId,
      functionDeclaration: fn,
      returnByValue: true,
    });
    if (exceptionDetails) throw new Error(JSON.stringify(exceptionDetails));
    return { mode: shadow.shadowRootType, value: result.value };
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * The overlay or banner on `page`, as text: `{ kind, mode, text, title,
 * details: [[dt, dd]…], focused, open }`, or null when none is shown.
 */
export async function pageUi(ctx, page) {
  const r = await onUiRoot(
    ctx,
    page,
    `function () {
      const box = this.querySelector('.box');
      if (!box) return null;
      const t = box.querySelector('.title');
      const dts = [...box.querySelectorAll('dt')];
      return {
        kind: box.classList.contains('overlay') ? 'overlay' : box.classList.contains('banner') ? 'banner' : 'other',
        text: box.textContent,
        title: t ? t.textContent : '',
        details: dts.map((dt) => [dt.textContent, dt.nextElementSibling ? dt.nextElementSibling.textContent : '']),
        focused: !!this.activeElement,
        open: !!(box.querySelector('details') && box.querySelector('details').open),
      };
    }`,
  );
  return r && r.value ? { ...r.value, mode: r.mode } : null;
}

/** Waits for the overlay or banner (`kind`, or either) on `page`. */
export function waitForPageUi(ctx, page, { kind, timeout = 15000 } = {}) {
  return waitFor(
    async () => {
      const ui = await pageUi(ctx, page).catch(() => null);
      return ui && (!kind || ui.kind === kind) && ui;
    },
    { timeout, what: `the ${kind || 'overlay or banner'} on ${page.url()}` },
  );
}

/** Focuses `selector` inside the in-page UI (the test then uses the keyboard, like a user). */
export async function focusInPageUi(ctx, page, selector) {
  const r = await onUiRoot(ctx, page, `function () { const e = this.querySelector(${JSON.stringify(selector)}); if (e) e.focus(); return !!e; }`);
  if (!r || !r.value) throw new Error(`no ${selector} in the in-page UI`);
}

/** The `{ x, y, width, height }` of the in-page UI's box in CSS pixels (for screenshots). */
export async function pageUiBox(ctx, page) {
  const r = await onUiRoot(ctx, page, `function () { const r = this.querySelector('.box').getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; }`);
  return r && r.value;
}
