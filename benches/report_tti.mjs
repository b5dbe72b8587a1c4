#!/usr/bin/env node
// The HTML report in headless Chromium: file size, time to interactive and filter latency.
//
//   node benches/report_tti.mjs [--runs N] [--search TEXT] REPORT.html [...]
//
// (cargo bench --bench report runs it on generated exports.)
//
// For each report: the file size and bytes per finding (the count from the summary's
// [data-kpi=findings_total]); the time from navigation start to
// document.documentElement.dataset.ready === "1" (the page's first render done), median of
// --runs fresh loads (default 3); the JS heap after that; and the filter latency, from
// setting the search box (input event, the page debounces it) or the severity select
// (change event) to the second animation frame after #match-count updated, i.e. the next
// frame after the rows changed. The page's own filter time (#match-count[data-filter-ms],
// the filtering and row building without debounce or layout) is shown next to it. Each
// latency is the median over the loads.
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

// playwright-core lives in tests/browser/node_modules (cd tests/browser && npm ci).
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/browser/package.json'));
let launch;
try {
  require.resolve('playwright-core');
  ({ launch } = await import(pathToFileURL(path.join(here, '../tests/browser/chromium.mjs')).href));
} catch (e) {
  console.error(`report_tti.mjs: playwright-core not installed (cd tests/browser && npm ci): ${e.message}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let runs = 3;
let term = 'berlin'; // gen_export's OU=Berlin: a search that keeps part of the rows
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--runs') runs = Number(argv[++i]);
  else if (argv[i] === '--search') term = argv[++i];
  else files.push(path.resolve(argv[i]));
}
if (!files.length || !(runs >= 1)) {
  console.error('usage: node benches/report_tti.mjs [--runs N] [--search TEXT] REPORT.html [...]');
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Records when the page sets data-ready="1" (performance.now() is relative to navigation start).
function watchReady() {
  new MutationObserver((_, obs) => {
    if (document.documentElement && document.documentElement.dataset.ready === '1') {
      window.__ttiReady = performance.now();
      obs.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
}

// One filter change, timed in the page: set the control, fire its event, wait for
// #match-count to be rewritten, then two animation frames.
async function timeFilter(page, kind, value) {
  return page.evaluate(
    async ([kind, value]) => {
      const mc = document.querySelector('#match-count');
      const control = document.querySelector(kind === 'q' ? '#q' : '#f-severity');
      const updated = new Promise((resolve) => {
        const mo = new MutationObserver(() => {
          mo.disconnect();
          resolve();
        });
        mo.observe(mc, { attributes: true, attributeFilter: ['data-value'] });
      });
      const t0 = performance.now();
      control.value = value;
      control.dispatchEvent(new Event(kind === 'q' ? 'input' : 'change', { bubbles: true }));
      await updated;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return {
        ms: performance.now() - t0,
        pageMs: Number(mc.getAttribute('data-filter-ms')),
        count: Number(mc.getAttribute('data-value')),
      };
    },
    [kind, value],
  );
}

async function measure(browser, file) {
  const bytes = statSync(file).size;
  const steps = [
    ['search', 'q', term],
    ['clear', 'q', ''],
    ['severity', 'severity', 'error'],
    ['all', 'severity', ''],
  ];
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript(watchReady);
  await context.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
  const tti = [];
  const searchReady = [];
  const heap = [];
  let findings = null;
  const lat = Object.fromEntries(steps.map(([name]) => [name, { ms: [], pageMs: [] }]));
  for (let i = 0; i < runs; i++) {
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 300_000 });
    await page.waitForFunction(() => window.__ttiReady !== undefined, null, { timeout: 300_000, polling: 100 });
    tti.push(await page.evaluate(() => window.__ttiReady));
    findings = await page.evaluate(() => {
      const e = document.querySelector('#summary [data-kpi="findings_total"]');
      return e ? Number(e.getAttribute('data-value')) : null;
    });
    heap.push(await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : NaN)));
    // The page builds its search text in slices after the first render; filters are timed
    // once that is done (a person starts typing later than that), and the time it took
    // is reported beside time to interactive.
    await page.waitForFunction(() => document.documentElement.hasAttribute('data-search-ready'), null, { timeout: 300_000, polling: 50 });
    searchReady.push(await page.evaluate(() => Number(document.documentElement.getAttribute('data-search-ready'))));
    for (const [name, kind, value] of steps) {
      const r = await timeFilter(page, kind, value);
      lat[name].ms.push(r.ms);
      lat[name].pageMs.push(r.pageMs);
    }
    await page.close();
  }
  await context.close();
  return { file, findings, bytes, tti, searchReady, heap, lat };
}

const fmtInt = (n) => (n == null || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US'));
const fmtMs = (n) => (Number.isNaN(n) ? '-' : n >= 100 ? `${Math.round(n)}` : n.toFixed(1));

const browser = await launch();
const rows = [];
try {
  for (const f of files) {
    const r = await measure(browser, f);
    rows.push(r);
    console.error(`measured ${path.basename(f)}: ready ${r.tti.map((t) => Math.round(t)).join(', ')} ms`);
  }
} finally {
  await browser.close();
}

const header = ['report', 'findings', 'HTML', 'B/finding', 'ready ms', 'search-ready ms', 'heap MB', 'search ms', 'clear ms', 'severity ms', 'all ms'];
const table = rows.map((r) => {
  const l = (k) => `${fmtMs(median(r.lat[k].ms))} (${fmtMs(median(r.lat[k].pageMs))})`;
  return [
    path.basename(r.file),
    fmtInt(r.findings),
    `${(r.bytes / 1048576).toFixed(1)} MB`,
    r.findings ? fmtInt(r.bytes / r.findings) : '-',
    `${fmtInt(median(r.tti))} (${fmtInt(Math.min(...r.tti))}-${fmtInt(Math.max(...r.tti))})`,
    fmtInt(median(r.searchReady)),
    (median(r.heap) / 1048576).toFixed(0),
    l('search'),
    l('clear'),
    l('severity'),
    l('all'),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));
console.log(
  `\nready: navigation start to data-ready="1", median of ${runs} loads (min-max); search-ready: when the page's search text is built (filters`,
);
console.log(
  `are timed after it). Filter columns: median ms from setting the control to the`,
);
console.log(
  `second frame after #match-count changed (the page's own data-filter-ms in parentheses); search = typing "${term}" (with the`,
);
console.log(`page's input debounce), clear = emptying it (all rows back), severity = choosing "error", all = back to every severity.`);
