// Opens a report.html in headless Chromium and reports what the DOM shows.
// usage: node report-dom.mjs <report.html> [screenshot.png] [event ids to place…]
// For each id given: where its mark is drawn in the first zoomed view and in
// the overview (rendered pixels), and on which lane.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { args, executablePath } from './chromium.mjs';

const [file, shot, ...ids] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, headless: false, args });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  const marker = page.locator('svg#timeline #logout-marker');
  const box = await marker.boundingBox();
  const info = await page.evaluate((ids) => {
    const laneOf = (svg, rect) => {
      const r = rect.getBoundingClientRect();
      const mid = r.top + r.height / 2;
      let best = null;
      for (const label of svg.querySelectorAll('text.lane-label')) {
        const l = label.getBoundingClientRect();
        if (l.top - 12 <= mid && (best === null || l.top > best.top)) best = { top: l.top, name: label.dataset.lane };
      }
      return best?.name ?? null;
    };
    const place = (svg, id) => {
      const rect = svg?.querySelector(`rect[data-event="${CSS.escape(id)}"]:not(.token)`);
      if (!rect) return null;
      const r = rect.getBoundingClientRect();
      return { x: r.left + r.width / 2, lane: laneOf(svg, rect) };
    };
    const zoom = document.querySelector('svg.zoom');
    const overview = document.querySelector('svg#timeline');
    const placed = Object.fromEntries(ids.map((id) => [id, { zoom: place(zoom, id), overview: place(overview, id) }]));
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
      zooms: document.querySelectorAll('svg.zoom').length,
      zoomMarker: !!zoom?.querySelector('.logout-marker'),
      tabLanes: [...(overview?.querySelectorAll('text.lane-label') ?? [])].map((t) => t.dataset.lane).filter((n) => n.startsWith('Tab ')),
      axisLabels: [...(overview?.querySelectorAll('text.axis') ?? [])].map((t) => t.textContent),
      idle: document.querySelector('#idle')?.textContent ?? null,
      idleBars: [...document.querySelectorAll('svg#timeline rect.idle title')].map((t) => t.textContent),
      detailRows: document.querySelectorAll('#events dl.kv dt').length,
      placed,
    };
  }, ids);
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  // Only the file itself may load: the report is self-contained.
  const external = requests.filter((u) => !u.startsWith('file:'));
  console.log(JSON.stringify({ ...info, markerVisible: !!box && box.height > 0, external }));
} finally {
  await browser.close();
}
