// Opens a report.html in headless Chromium and reports what the DOM shows.
// usage: node report-dom.mjs <report.html> [screenshot.png]
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { args, executablePath } from './chromium.mjs';

const [file, shot] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, headless: false, args });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  const marker = page.locator('svg#timeline #logout-marker');
  const box = await marker.boundingBox();
  const info = await page.evaluate(() => {
    const m = document.querySelector('svg#timeline #logout-marker');
    const svg = document.querySelector('svg#timeline').getBoundingClientRect();
    return {
      logoutId: m?.getAttribute('data-logout-id') ?? null,
      markerInsideTimeline: !!m && m.getBoundingClientRect().left >= svg.left && m.getBoundingClientRect().right <= svg.right,
      spans: document.querySelectorAll('svg#timeline rect').length,
      idleSpans: document.querySelectorAll('svg#timeline rect.idle').length,
      sleepSpans: document.querySelectorAll('svg#timeline rect.sleep').length,
      tokenSpans: document.querySelectorAll('svg#timeline rect.token').length,
      failedRequests: document.querySelectorAll('svg#timeline rect.req.failed').length,
      findings: [...document.querySelectorAll('#diagnosis .finding')].map((f) => f.dataset.cause),
      headline: document.querySelector('#headline')?.textContent ?? null,
      logoutRow: !!document.querySelector('#events tr.logout'),
    };
  });
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  // Only the file itself may load: the report is self-contained.
  const external = requests.filter((u) => !u.startsWith('file:'));
  console.log(JSON.stringify({ ...info, markerVisible: !!box && box.height > 0, external }));
} finally {
  await browser.close();
}
