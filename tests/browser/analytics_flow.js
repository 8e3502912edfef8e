/*
 * analytics_flow.js - the analytics page in a real browser (playwright-core
 * driving Debian's /usr/bin/chromium, headless), as an admin and as a
 * consultant, at desktop size and at phone size (375 x 667, where nothing
 * may scroll sideways):
 *
 *   sign in -> /analytics/ -> figures, the trend chart drawn by Chart.js
 *   (canvas with pixels), the heatmap, the tables -> change the period
 *   with the keyboard (90 days) and to custom dates -> the figures follow
 *   the API -> sort a table -> the CSV link downloads CSV -> an axe-core
 *   scan finds nothing serious or critical. The consultant sees only
 *   their own consultant row. Any console error (a CSP violation, a
 *   script error) or missing catalogue key fails the run.
 * Usage: BASE=http://127.0.0.1:PORT HUB_PASS=pw node analytics_flow.js
 */
'use strict';

const fs = require('fs');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const PASS = process.env.HUB_PASS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let passed = 0, failed = 0;
function check(cond, what) {
  if (cond) passed++; else { failed++; console.error('FAIL: ' + what); }
}

async function loaded(page, n) {
  await page.waitForFunction((k) => Number(document.body.getAttribute('data-loaded') || 0) >= k, n);
}

/* 1 when the canvas holds pixels that are not transparent. */
async function drawn(page, id) {
  return page.evaluate((cid) => {
    const c = document.getElementById(cid);
    if (!c || !window.Chart || !window.Chart.getChart(c)) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  }, id);
}

async function flow(browser, user, role, name, viewport, scan) {
  const ctx = await browser.newContext({ viewport, locale: 'de-DE' });
  const page = await ctx.newPage();
  const problems = [];
  const expected = (url, status) =>
    (status === 401 && url.endsWith('/api/v1/auth/me')) ||
    (status === 404 && url.endsWith('/favicon.ico'));
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r.url(), r.status())) problems.push(r.status() + ' ' + r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(BASE + '/analytics/');
  await page.waitForURL(/\/auth\//);
  await page.fill('#username', user);
  await page.fill('#password', PASS);
  await page.press('#password', 'Enter');
  // a loaded machine (browser tests run beside others) can take long
  await page.waitForURL(/\/analytics\//, { timeout: 90000 });
  await loaded(page, 1);
  const tag = name + ' ' + role;
  check(await page.locator('#figures dd').count() === 8, tag + ': eight headline figures');
  check(await drawn(page, 'trend-chart'), tag + ': trend chart drawn');
  check(await page.locator('#heatmap tbody td').count() > 0, tag + ': heatmap cells');
  check(await page.locator('html[lang="de"]').count() === 1, tag + ': German page');

  /* the period with the keyboard: focus the 90-day radio, select it */
  await page.focus('input[name="days"][value="30"]');
  await page.keyboard.press('ArrowRight');
  await loaded(page, 2);
  check(page.url().includes('days=90'), tag + ': 90 days in the address');
  const sum90 = await page.evaluate(async () => {
    const t = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
    const d = new Date(t + 'T12:00:00Z'); d.setUTCDate(d.getUTCDate() - 89);
    const r = await fetch('/api/v1/analytics/summary?from=' + d.toISOString().slice(0, 10) + '&to=' + t);
    return r.json();
  });
  const first = await page.locator('#figures dd').first().textContent();
  check(first.replace(/\D.*$/s, '').replace(/\./g, '') === String(sum90.bookings) ||
        first.startsWith(new Intl.NumberFormat('de').format(sum90.bookings)),
        tag + ': bookings figure follows the period (' + first + ' vs ' + sum90.bookings + ')');
  check(await drawn(page, 'trend-chart'), tag + ': trend redrawn');

  /* custom dates */
  await page.check('input[name="days"][value="custom"]');
  await page.fill('#from', sum90.from);
  await page.fill('#to', sum90.to);
  await page.click('#custom button[type="submit"]');
  await loaded(page, 3);
  check(page.url().includes('from=' + sum90.from), tag + ': custom period in the address');
  /* from after to: the API's 422 in words, nothing breaks */
  await page.fill('#from', sum90.to);
  await page.fill('#to', sum90.from);
  await page.click('#custom button[type="submit"]');
  await loaded(page, 4);
  problems.splice(0, problems.length, ...problems.filter((p) => !p.startsWith('422 ')));
  check(await page.locator('#status.error').isVisible(), tag + ': bad period explained');
  await page.fill('#from', sum90.from);
  await page.fill('#to', sum90.to);
  await page.click('#custom button[type="submit"]');
  await loaded(page, 5);

  /* tables: the consultant sees their own row only; sort by name */
  const consRows = await page.locator('#cons-table tbody tr').count();
  if (role === 'consultant')
    check(consRows === 1 && (await page.locator('#cons-table tbody th').textContent()) === 'Jonas Weber',
          tag + ': only their own consultant row');
  else
    check(consRows >= 2, tag + ': every consultant listed (' + consRows + ')');
  const header = page.locator('#book-table thead th').first().locator('button');
  await header.focus();
  await page.keyboard.press('Enter');
  check(await page.locator('#book-table thead th').first().getAttribute('aria-sort') === 'ascending',
        tag + ': table sorted by booker');
  const names = await page.locator('#book-table tbody th').allTextContents();
  check(names.join('|') === [...names].sort((a, b) => a.localeCompare(b, 'de')).join('|'),
        tag + ': booker rows in order');
  const csvHref = await page.getAttribute('#book-csv', 'href');
  const csv = await page.evaluate(async (h) => {
    const r = await fetch(h);
    return { type: r.headers.get('Content-Type'), text: await r.text() };
  }, csvHref);
  check(csv.type.startsWith('text/csv') && csv.text.startsWith('booker,bookings') &&
        csv.text.trim().split('\r\n').length === names.length + 1, tag + ': CSV of the bookers');
  if (role === 'admin') check(await drawn(page, 'book-chart'), tag + ': bookers chart drawn');

  /* phone: nothing scrolls sideways */
  if (viewport.width < 500) {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check(!wide, tag + ': no sideways scrolling');
  }
  check((await page.evaluate(() => UI.missing)).length === 0, tag + ': every catalogue key present');
  if (scan) {
    await page.addScriptTag({ content: AXE }).catch(() => null);
    /* CSP forbids inline scripts: evaluate axe's source instead */
    const res = await page.evaluate(async (src) => {
      if (!window.axe) (0, eval)(src);
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id + ': ' + v.nodes.length);
    }, AXE);
    check(res.length === 0, tag + ': axe finds nothing serious or critical ' + JSON.stringify(res));
  }
  problems.splice(0, problems.length, ...problems.filter((p) => !/Content Security Policy.*inline/.test(p) || !scan));
  check(problems.length === 0, tag + ': no errors (' + problems.join('; ') + ')');
  await ctx.close();
}

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    await flow(browser, 'boss', 'admin', 'desktop', { width: 1280, height: 900 }, true);
    await flow(browser, 'jonas', 'consultant', 'desktop', { width: 1280, height: 900 }, false);
    await flow(browser, 'boss', 'admin', 'phone', { width: 375, height: 667 }, true);
    await flow(browser, 'jonas', 'consultant', 'phone', { width: 375, height: 667 }, false);
  } catch (e) {
    failed++;
    console.error('FAIL: ' + (e && e.stack || e));
  } finally {
    await browser.close();
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
})();
