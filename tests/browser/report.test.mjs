#!/usr/bin/env node
// Headless-Chromium checks of dirready's HTML report against the JSON report of the same scan.
//
//   node tests/browser/report.test.mjs DIR [--screenshots DIR]
//
// DIR holds NAME.html + NAME.json pairs, each written by one `dirready scan ... -o NAME.html
// -o NAME.json` (tests/browser.rs writes them). Every report is opened from file:// and checked
// against the page's DOM contract: summary numbers equal the JSON summary; nothing leaves the
// page (no request but the file itself, no console error, no page error, no dialog); the
// filters, the search, the OU tree, the charts and deep links show exactly the findings the
// JSON says they should; rows have copy buttons. Reports named hostile* also get the injection
// checks: window.__xss stays undefined, no element or handler was injected, and every hostile
// string appears as text. Screenshots go to target/browser/ (summary-NAME.png, rule-NAME.png)
// for a person to look at.
//
// Prints one line per passed check; the first failed check prints FAIL, saves
// failure-NAME.png next to the screenshots and exits 1.
import { readFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch } from './chromium.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PAGE_SIZE_MAX = 50; // rows a rule section renders at first, at most
const TIMEOUT = 10_000; // for one filter to show its result
const READY_TIMEOUT = 60_000; // for the first render

// The payloads of tests/fixtures/browser/hostile.ldif. Each must reach the JSON report (the
// fixture still yields a finding for it) and must show up in the page as plain text.
const HOSTILE = [
  '<img src=x onerror=window.__xss=1>',
  '</script><script>window.__xss=2</script>',
  '"><svg onload=window.__xss=3>',
  'javascript:window.__xss=4//',
  "{{constructor.constructor('window.__xss=5')()}}",
  "<script>alert('xss6')</script>",
  "' onmouseover='window.__xss=7' x='",
  '<!--<script>',
  '${window.__xss=9}',
  '{{ 7*7 }}',
  '{{ou}} <i>Hostile</i> "OU"',
];

// ---------------------------------------------------------------- arguments and output

const argv = process.argv.slice(2);
let dir = null;
let shots = path.resolve(HERE, '../../target/browser');
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--screenshots') shots = path.resolve(argv[++i]);
  else if (!dir) dir = path.resolve(argv[i]);
  else usage(`unexpected argument ${argv[i]}`);
}
if (!dir) usage('missing DIR');
function usage(msg) {
  console.error(`report.test.mjs: ${msg}\nusage: node tests/browser/report.test.mjs DIR [--screenshots DIR]`);
  process.exit(2);
}

let browser = null;
let current = { name: '-', page: null };
let passed = 0;

class CheckFailed extends Error {}

function ok(cond, what, detail) {
  if (!cond) {
    throw new CheckFailed(`${what}${detail === undefined ? '' : `\n  ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  }
  passed++;
  console.log(`ok - ${current.name}: ${what}`);
}

/** JSON with object keys sorted: equality that ignores key order. */
function canon(v) {
  return JSON.stringify(v, (_, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x,
  );
}

function eq(actual, expected, what) {
  ok(
    canon(actual) === canon(expected),
    what,
    `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
  );
}

function note(msg) {
  console.log(`   ${current.name}: ${msg}`);
}

// A hung browser must not hang CI.
const watchdog = setTimeout(() => {
  console.error('FAIL - report.test.mjs took longer than 10 minutes');
  process.exit(1);
}, 600_000);
watchdog.unref();

// ---------------------------------------------------------------- the JSON side

function loadReports() {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.html'))
    .map((f) => f.slice(0, -5))
    .filter((n) => existsSync(path.join(dir, `${n}.json`)))
    .sort();
  if (names.length === 0) usage(`no NAME.html + NAME.json pairs in ${dir}`);
  return names.map((name) => ({
    name,
    html: path.join(dir, `${name}.html`),
    json: JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')),
  }));
}

/** DN comparison as the page's OU filter should do it: case and spaces around separators. */
function normDn(s) {
  return s.toLowerCase().replace(/\s*([,=])\s*/g, '$1');
}
function under(dn, ou) {
  const d = normDn(dn);
  const o = normDn(ou);
  return d === o || d.endsWith(`,${o}`);
}

function strings(v, out = []) {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

function countBy(items, key) {
  const m = {};
  for (const x of items) m[key(x)] = (m[key(x)] || 0) + 1;
  return m;
}

// ---------------------------------------------------------------- the page side

function fileUrl(p, hash = '') {
  return pathToFileURL(p).href + hash;
}

/**
 * A page on its own context with every way of leaving it watched: only the report file
 * itself may be requested, and console errors, page errors and dialogs are collected.
 */
async function openPage(report, { javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    javaScriptEnabled,
    serviceWorkers: 'block',
  });
  const self = fileUrl(report.html);
  const trouble = [];
  const allowed = (u) => u.split('#')[0] === self;
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (allowed(u)) return route.continue();
    trouble.push(`request blocked: ${u}`);
    return route.abort();
  });
  context.on('request', (r) => {
    const u = r.url();
    if (!allowed(u) && !u.startsWith('data:')) trouble.push(`request: ${r.method()} ${u}`);
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (m) => {
    if (m.type() === 'error') trouble.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => trouble.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    trouble.push(`dialog (${d.type()}): ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('websocket', (w) => trouble.push(`websocket: ${w.url()}`));
  page.on('popup', (p) => trouble.push(`popup: ${p.url()}`));
  return { context, page, trouble };
}

async function gotoReady(page, url) {
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await waitReady(page);
  return Date.now() - t0;
}

async function waitReady(page) {
  try {
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, {
      timeout: READY_TIMEOUT,
      polling: 50,
    });
  } catch {
    const r = await page.evaluate(() => document.documentElement.dataset.ready);
    ok(false, `page sets document.documentElement.dataset.ready = "1" after its first render`, `data-ready is ${JSON.stringify(r)} after ${READY_TIMEOUT} ms`);
  }
}

function noTrouble(trouble, where) {
  ok(trouble.length === 0, `no request left the page, no console error, page error or dialog (${where})`, trouble.join('\n  '));
}

/** What the explorer shows now. */
function snapshot(page) {
  return page.evaluate(() => {
    const shown = (e) => !e.closest('[hidden]') && getComputedStyle(e).display !== 'none';
    const num = (e) => (e && e.hasAttribute('data-value') ? Number(e.getAttribute('data-value')) : null);
    const val = (sel) => {
      const e = document.querySelector(sel);
      return e ? e.value : null;
    };
    return {
      match: num(document.querySelector('#match-count')),
      hash: location.hash,
      controls: {
        q: val('#q'),
        severity: val('#f-severity'),
        category: val('#f-category'),
        rule: val('#f-rule'),
        class: val('#f-class'),
        sugg: val('#f-sugg'),
        ou: val('#f-ou'),
      },
      sections: [...document.querySelectorAll('section.rule-section')].map((s) => {
        const rows = [...s.querySelectorAll('table.findings tbody tr.f-row')].filter(shown);
        const btn = (sel) => {
          const b = s.querySelector(sel);
          return !!b && shown(b) && !b.disabled;
        };
        return {
          rule: s.getAttribute('data-rule'),
          shown: shown(s),
          count: num(s.querySelector('.rule-count')),
          rows: rows.map((r) => ({
            dn: r.getAttribute('data-dn'),
            severity: r.getAttribute('data-severity'),
            copies: r.querySelectorAll('button.copy').length,
          })),
          more: btn('button.more-rows'),
          all: btn('button.all-rows'),
        };
      }),
    };
  });
}

/** Waits until #match-count shows `expected` (and two frames more), or fails naming what it shows. */
async function waitMatch(page, expected, what) {
  try {
    await page.waitForFunction(
      (n) => {
        const e = document.querySelector('#match-count');
        return !!e && e.getAttribute('data-value') === String(n);
      },
      expected,
      { timeout: TIMEOUT, polling: 'raf' },
    );
  } catch {
    const got = await page.evaluate(() => document.querySelector('#match-count')?.getAttribute('data-value') ?? '(no #match-count[data-value])');
    ok(false, `${what}: #match-count shows the JSON count`, `expected ${expected}, got ${got} after ${TIMEOUT} ms`);
  }
  await frames(page);
}

function frames(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * Checks the explorer against the findings `sel` of the JSON: the match count, which rule
 * sections are shown with which counts, and that every rendered row is one of those
 * findings (by DN and severity) and passes `rowCheck`.
 */
async function expectShown(page, report, sel, what, rowCheck = () => true) {
  await waitMatch(page, sel.length, what);
  const s = await snapshot(page);
  eq(s.match, sel.length, `${what}: ${sel.length} matching findings`);
  const byRule = countBy(sel, (f) => f.rule);
  const shownRules = s.sections.filter((x) => x.shown).map((x) => x.rule).sort();
  eq(shownRules, Object.keys(byRule).sort(), `${what}: exactly the rule sections with a matching finding are shown`);
  const counts = Object.fromEntries(s.sections.filter((x) => x.shown).map((x) => [x.rule, x.count]));
  eq(counts, Object.fromEntries(Object.keys(byRule).sort().map((r) => [r, byRule[r]])), `${what}: each shown section's .rule-count equals the JSON count`);
  const bad = [];
  for (const sec of s.sections.filter((x) => x.shown)) {
    const want = sel.filter((f) => f.rule === sec.rule);
    const dns = new Set(want.map((f) => f.dn));
    const n = sec.rows.length;
    if (n === 0 || n > Math.min(want.length, PAGE_SIZE_MAX)) bad.push(`${sec.rule}: ${n} rows for ${want.length} findings`);
    if (n < want.length && !(sec.more && sec.all)) bad.push(`${sec.rule}: ${n} of ${want.length} rows and no usable button.more-rows / button.all-rows`);
    for (const r of sec.rows) {
      if (!dns.has(r.dn)) bad.push(`${sec.rule}: row of ${JSON.stringify(r.dn)} is not a matching finding`);
      else if (r.severity !== want[0].severity) bad.push(`${sec.rule}: row severity ${r.severity}, JSON ${want[0].severity}`);
      else if (!rowCheck(r)) bad.push(`${sec.rule}: row ${JSON.stringify(r)} fails the filter`);
      if (r.copies < 1) bad.push(`${sec.rule}: row of ${JSON.stringify(r.dn)} has no button.copy`);
    }
  }
  ok(bad.length === 0, `${what}: every rendered row is a matching finding, with a copy button`, bad.slice(0, 10).join('\n  '));
  return s;
}

function params(hash) {
  return new URLSearchParams(hash.replace(/^#/, ''));
}

async function setSelect(page, id, value) {
  const el = page.locator(id);
  ok((await el.count()) === 1, `${id} exists`);
  const options = await el.evaluate((s) => [...s.options].map((o) => o.value));
  ok(options.includes(value), `${id} offers ${JSON.stringify(value)}`, `options: ${JSON.stringify(options.slice(0, 30))}`);
  await el.selectOption(value);
}

async function reset(page, report) {
  await page.locator('#reset').click();
  await expectShown(page, report, report.json.findings, 'after #reset');
  const s = await snapshot(page);
  eq(s.controls, { q: '', severity: '', category: '', rule: '', class: '', sugg: '', ou: '' }, '#reset clears every control');
  eq([...params(s.hash).keys()], [], '#reset leaves no filter in location.hash');
}

async function screenshot(page, file) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, file) });
  note(`screenshot ${path.join(shots, file)}`);
}

// ---------------------------------------------------------------- the checks

async function checkReport(report) {
  const { json } = report;
  const findings = json.findings;
  const sum = json.summary;
  current = { name: report.name, page: null };
  eq(findings.length, sum.findings_total, 'the JSON report lists summary.findings_total findings');

  // Without JavaScript: the summary is server-rendered.
  {
    const { context, page, trouble } = await openPage(report, { javaScriptEnabled: false });
    current.page = page;
    await page.goto(fileUrl(report.html), { waitUntil: 'load' });
    await checkSummary(page, sum, 'without JavaScript');
    noTrouble(trouble, 'without JavaScript');
    await context.close();
  }

  const { context, page, trouble } = await openPage(report);
  current.page = page;
  const t0 = Date.now();
  await page.goto(fileUrl(report.html), { waitUntil: 'load' });
  // What must hold for any page, before the explorer's contract.
  await checkInert(page);
  noTrouble(trouble, 'on load');
  await waitReady(page);
  note(`ready in ${Date.now() - t0} ms (${findings.length} findings)`);
  await checkInert(page);
  if (report.name.startsWith('hostile')) await checkHostileText(page, report);
  ok(
    await page.evaluate(() => {
      const d = document.querySelector('script#report-data');
      return !!d && d.getAttribute('type') === 'application/json';
    }),
    'script#report-data[type="application/json"] holds the data',
  );
  await checkSummary(page, sum, 'rendered');
  await screenshot(page, `summary-${report.name}.png`);

  // Everything at first.
  await expectShown(page, report, findings, 'no filter');

  // Severity.
  for (const sev of ['error', 'warning', 'info']) {
    const sel = findings.filter((f) => f.severity === sev);
    eq(sel.length, sum.findings_by_severity?.[sev] ?? 0, `JSON: ${sev} findings equal summary.findings_by_severity.${sev}`);
    await setSelect(page, '#f-severity', sev);
    await expectShown(page, report, sel, `severity=${sev}`, (r) => r.severity === sev);
    eq(params((await snapshot(page)).hash).get('severity'), sev, `severity=${sev} is kept in location.hash`);
  }
  await reset(page, report);

  // Search for one DN: exactly its rows. The DN is one that no other finding mentions.
  {
    const byDn = countBy(findings, (f) => f.dn);
    const hay = findings.map((f) => strings(f).join('\n').toLowerCase());
    const dn = Object.keys(byDn)
      .sort((a, b) => Number(b.includes('<')) - Number(a.includes('<')) || byDn[b] - byDn[a] || (a < b ? -1 : 1))
      .find((d) => {
        const lower = d.toLowerCase();
        return findings.every((f, i) => f.dn === d || !hay[i].includes(lower));
      });
    ok(dn !== undefined, 'a DN no other finding mentions, to search for');
    await page.locator('#q').fill(dn);
    const s = await expectShown(page, report, findings.filter((f) => f.dn === dn), `search ${JSON.stringify(dn)}`, (r) => r.dn === dn);
    eq(s.sections.filter((x) => x.shown).reduce((n, x) => n + x.rows.length, 0), byDn[dn], `search ${JSON.stringify(dn)}: exactly ${byDn[dn]} rows, all of that DN`);
    eq(params(s.hash).get('q'), dn, 'the search is kept in location.hash');
    await page.locator('#q').fill('');
    await waitMatch(page, findings.length, 'search cleared');
  }

  // The OU tree: a node with sub-OUs picks its whole subtree.
  let pickedOu = null;
  {
    const ous = await page.evaluate(() =>
      [...document.querySelectorAll('#ou-tree [data-ou]')].map((n) => ({
        ou: n.getAttribute('data-ou'),
        children: n.querySelectorAll('[data-ou]').length,
        button: !!n.querySelector('button.ou-pick'),
      })),
    );
    ok(ous.length > 0 && ous.every((o) => o.button), '#ou-tree has [data-ou] nodes, each with a button.ou-pick', ous.slice(0, 5));
    const withCount = ous
      .map((o) => ({ ...o, n: findings.filter((f) => under(f.dn, o.ou)).length }))
      .filter((o) => o.n > 0 && o.n < findings.length);
    withCount.sort((a, b) => Number(b.children > 0) - Number(a.children > 0) || b.n - a.n);
    if (withCount.length === 0) {
      note('no OU node holds only part of the findings: OU pick not checked');
    } else {
      const o = withCount[0];
      pickedOu = o.ou;
      const node = page.locator(`#ou-tree [data-ou="${cssString(o.ou)}"]`).first();
      // As a person would: expand the collapsed branches above the node first.
      await node.evaluate((n) => {
        for (let d = n.parentElement.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
      });
      await node.locator('button.ou-pick').first().click();
      const sel = findings.filter((f) => under(f.dn, o.ou));
      const s = await expectShown(page, report, sel, `OU tree pick ${JSON.stringify(o.ou)} (${o.children} sub-OUs)`, (r) => under(r.dn, o.ou));
      eq(s.controls.ou, o.ou, 'the OU pick sets #f-ou');
      eq(params(s.hash).get('ou'), o.ou, 'the OU pick is kept in location.hash');
      // AND with another filter.
      const sev = sel.some((f) => f.severity === 'warning') ? 'warning' : 'error';
      await setSelect(page, '#f-severity', sev);
      await expectShown(page, report, sel.filter((f) => f.severity === sev), `OU ${JSON.stringify(o.ou)} and severity=${sev}`, (r) => under(r.dn, o.ou) && r.severity === sev);
      await reset(page, report);
    }
  }

  // The other selects: each option the JSON has findings for.
  {
    const cat = mostCommon(findings, (f) => f.category);
    await setSelect(page, '#f-category', cat);
    await expectShown(page, report, findings.filter((f) => f.category === cat), `category=${cat}`);
    eq(params((await snapshot(page)).hash).get('category'), cat, 'the category is kept in location.hash');
    await reset(page, report);

    // The second most common object class (the first is usually every user).
    const classes = countBy(findings, (f) => f.object_class);
    const byCount = Object.keys(classes).sort((a, b) => classes[b] - classes[a] || (a < b ? -1 : 1));
    const cls = byCount[1] ?? byCount[0];
    await setSelect(page, '#f-class', cls);
    await expectShown(page, report, findings.filter((f) => f.object_class === cls), `class=${cls}`);
    await reset(page, report);

    for (const [v, has] of [['yes', true], ['no', false]]) {
      const sel = findings.filter((f) => (f.suggestion != null) === has);
      await setSelect(page, '#f-sugg', v);
      await expectShown(page, report, sel, `sugg=${v}`, (r) => r.copies === (has ? 2 : 1));
      await page.locator('#f-sugg').selectOption('');
    }
    await reset(page, report);

    const rule = mostCommon(findings, (f) => f.rule);
    await setSelect(page, '#f-rule', rule);
    await expectShown(page, report, findings.filter((f) => f.rule === rule), `rule=${rule}`);
    await reset(page, report);
  }

  // Charts: a mark carrying data-filter applies that filter.
  for (const kind of ['rule', 'category', 'severity']) {
    const marks = page.locator(`svg.chart [data-filter^="${kind}="]`);
    ok((await marks.count()) > 0, `an svg.chart has marks with data-filter="${kind}=..."`);
    const f = await marks.first().getAttribute('data-filter');
    const v = decodeURIComponent(f.slice(kind.length + 1));
    await marks.first().click();
    const s = await expectShown(page, report, findings.filter((x) => x[kind] === v), `chart mark ${f}`);
    eq(s.controls[kind], v, `chart mark ${f} sets #f-${kind}`);
    await reset(page, report);
  }

  // Paging and copy buttons: the largest rule, more rows, then all of them.
  {
    const rule = mostCommon(findings, (f) => f.rule);
    const want = findings.filter((f) => f.rule === rule);
    const sec = page.locator(`section.rule-section[data-rule="${cssString(rule)}"]`);
    const rowsOf = async () => (await snapshot(page)).sections.find((x) => x.rule === rule).rows;
    const first = (await rowsOf()).length;
    if (want.length > first) {
      await sec.locator('button.more-rows').first().click();
      await frames(page);
      const more = (await rowsOf()).length;
      ok(more > first && more <= want.length, `button.more-rows renders more rows of ${rule}`, `${first} -> ${more} of ${want.length}`);
      await sec.locator('button.all-rows').first().click();
      await frames(page);
    } else {
      note(`no rule has more than one page of rows (largest: ${rule}, ${want.length})`);
    }
    const rows = await rowsOf();
    eq(rows.length, want.length, `all ${want.length} rows of ${rule} rendered`);
    eq(
      rows.reduce((n, r) => n + r.copies, 0),
      want.length + want.filter((f) => f.suggestion != null).length,
      `${rule}: one button.copy per row for the DN and one per suggested value`,
    );
    eq(rows.map((r) => r.dn).sort(), want.map((f) => f.dn).sort(), `${rule}: the rows are the JSON findings of the rule`);
    await copyCheck(page, sec, want);
    await sec.evaluate((e) => {
      e.scrollIntoView({ block: 'start' });
      // Out from under the sticky filter bar, if the controls sit in one.
      let bar = document.querySelector('#q');
      while (bar && !['sticky', 'fixed'].includes(getComputedStyle(bar).position)) bar = bar.parentElement;
      if (bar) window.scrollBy(0, -bar.getBoundingClientRect().height - 12);
    });
    await frames(page);
    await screenshot(page, `rule-${report.name}.png`);
  }

  // Deep links, opened fresh, then reloaded.
  {
    const rule = leastCommon(findings, (f) => f.rule);
    const sel = findings.filter((f) => f.rule === rule);
    await deepLink(context, report, `#rule=${encodeURIComponent(rule)}`, sel, { rule });
    if (pickedOu) {
      const sev = sel[0].severity;
      const sel2 = findings.filter((f) => under(f.dn, pickedOu) && f.severity === sev);
      await deepLink(context, report, `#ou=${encodeURIComponent(pickedOu)}&severity=${sev}`, sel2, { ou: pickedOu, severity: sev });
    }
  }

  await checkInert(page);
  noTrouble(trouble, 'after every check');
  await context.close();
}

async function deepLink(context, report, hash, sel, controls) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  current.page = page;
  const trouble = [];
  page.on('console', (m) => m.type() === 'error' && trouble.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => trouble.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    trouble.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await gotoReady(page, fileUrl(report.html, hash));
  const what = `deep link ${hash}`;
  let s = await expectShown(page, report, sel, what);
  for (const [k, v] of Object.entries(controls)) eq(s.controls[k], v, `${what} sets #${k === 'q' ? 'q' : `f-${k}`}`);
  await page.reload({ waitUntil: 'load' });
  await waitReady(page);
  s = await expectShown(page, report, sel, `${what} after a reload`);
  for (const [k, v] of Object.entries(controls)) eq(params(s.hash).get(k), v, `${what}: ${k} is still in location.hash after a reload`);
  noTrouble(trouble, what);
  await page.close();
}

async function checkSummary(page, sum, how) {
  const got = await page.evaluate(() => {
    const v = (sel) => {
      const e = document.querySelector(sel);
      return e && e.hasAttribute('data-value') ? Number(e.getAttribute('data-value')) : null;
    };
    const kpi = {};
    for (const k of ['findings_total', 'objects_with_errors', 'objects_in_scope', 'objects_with_findings']) {
      kpi[k] = v(`#summary .kpi[data-kpi="${k}"]`);
    }
    const sev = {};
    for (const s of ['error', 'warning', 'info']) sev[s] = v(`#summary [data-severity-count="${s}"]`);
    return { kpi, sev };
  });
  eq(
    got.kpi,
    {
      findings_total: sum.findings_total,
      objects_with_errors: sum.objects_with_errors,
      objects_in_scope: sum.objects_in_scope,
      objects_with_findings: sum.objects_with_findings,
    },
    `summary KPIs (#summary .kpi[data-kpi][data-value]) equal the JSON summary (${how})`,
  );
  const by = sum.findings_by_severity || {};
  eq(got.sev, { error: by.error ?? 0, warning: by.warning ?? 0, info: by.info ?? 0 }, `per-severity counts (#summary [data-severity-count]) equal the JSON summary (${how})`);
}

/** Nothing the directory values carry ran or became markup. */
async function checkInert(page) {
  eq(await page.evaluate(() => typeof window.__xss), 'undefined', 'window.__xss stays undefined');
  const injected = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        const n = a.name.toLowerCase();
        if (n.startsWith('on') && /__xss|alert/.test(a.value)) bad.push(`<${el.localName} ${n}="${a.value}">`);
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].includes(n) && /^\s*(javascript|vbscript|data:text\/html)/i.test(a.value)) bad.push(`<${el.localName} ${n}="${a.value}">`);
      }
      if (el.localName === 'script' && el.id !== 'report-data' && /__xss|alert\(/.test(el.textContent)) bad.push(`<script>${el.textContent.slice(0, 80)}`);
      if ((el.localName === 'img' && el.getAttribute('src') === 'x') || (el.localName === 'svg' && el.hasAttribute('onload'))) bad.push(`<${el.localName}> from a value`);
      if (['i', 'b'].includes(el.localName) && el.textContent === 'Hostile') bad.push(`<${el.localName}>Hostile</${el.localName}> from a value`);
    }
    for (const s of document.querySelectorAll('script')) {
      if (s.id === 'report-data' && s.getAttribute('type') !== 'application/json') bad.push('script#report-data is not type=application/json');
    }
    return bad;
  });
  ok(injected.length === 0, 'no element, handler or javascript: URL was injected by a value', injected.slice(0, 10).join('\n  '));
}

/** Every hostile string of the fixture, and every DN, is in the page as text. */
async function checkHostileText(page, report) {
  const inJson = strings(report.json.findings.map((f) => [f.dn, f.value, f.suggestion]));
  const missingInJson = HOSTILE.filter((h) => !inJson.some((s) => s.includes(h)));
  ok(missingInJson.length === 0, `the fixture yields a finding for each of the ${HOSTILE.length} hostile strings`, missingInJson);
  const text = await page.evaluate(() => {
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.parentElement.closest('script,style,template,noscript,textarea') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    let s = '';
    for (let n = w.nextNode(); n; n = w.nextNode()) s += n.data;
    return s;
  });
  const missing = HOSTILE.filter((h) => !text.includes(h));
  ok(missing.length === 0, 'every hostile string appears in the page as text', missing);
  const dns = [...new Set(report.json.findings.map((f) => f.dn))];
  const missingDns = dns.filter((d) => !text.includes(d));
  ok(missingDns.length === 0, `all ${dns.length} hostile DNs appear in the page as text`, missingDns);
}

/** The DN copy button of the first row puts the DN on the clipboard, when the clipboard can be read. */
async function copyCheck(page, sec, want) {
  const row = sec.locator('table.findings tbody tr.f-row').first();
  const dn = await row.getAttribute('data-dn');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await row.locator('button.copy').first().click();
  await frames(page);
  const clip = await page.evaluate(() => navigator.clipboard.readText().then((t) => ({ t }), (e) => ({ e: String(e) })));
  if ('e' in clip) {
    note(`clipboard not readable here (${clip.e}): copy button contents not checked`);
    return;
  }
  ok(clip.t === dn || want.some((f) => f.dn === dn && clip.t === f.dn), `the first button.copy of a row copies its DN`, `clipboard ${JSON.stringify(clip.t)}, row DN ${JSON.stringify(dn)}`);
}

function mostCommon(items, key) {
  const m = countBy(items, key);
  return Object.keys(m).sort((a, b) => m[b] - m[a] || (a < b ? -1 : 1))[0];
}
function leastCommon(items, key) {
  const m = countBy(items, key);
  return Object.keys(m).sort((a, b) => m[a] - m[b] || (a < b ? -1 : 1))[0];
}
/** A value for a CSS attribute selector in double quotes. */
function cssString(s) {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\a ');
}

// ---------------------------------------------------------------- main

const reports = loadReports();
try {
  browser = await launch();
  for (const r of reports) await checkReport(r);
  console.log(`all ${passed} checks passed on ${reports.map((r) => r.name).join(', ')}`);
  await browser.close();
  process.exit(0);
} catch (e) {
  const msg = e instanceof CheckFailed ? e.message : `${e.stack || e}`;
  console.error(`FAIL - ${current.name}: ${msg}`);
  if (current.page && !current.page.isClosed()) {
    try {
      mkdirSync(shots, { recursive: true });
      await current.page.screenshot({ path: path.join(shots, `failure-${current.name}.png`) });
      console.error(`   screenshot of the failure: ${path.join(shots, `failure-${current.name}.png`)}`);
    } catch {
      // the page is gone: nothing to show
    }
  }
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}
