/*
 * axe_scan.js - an accessibility scan (axe-core, WCAG 2.x A and AA rules)
 * of every page of the booking module and the sign-in pages, and of the
 * 404 page, at desktop size (1366x768, German browser) and phone size
 * (375x667, English browser), also with the states that only appear
 * after an action (a full slot's alternatives, the confirmation, the
 * duplicate question, an open cancel panel). Fails on any serious or
 * critical violation and prints a summary line per page.
 * Usage: BASE=http://127.0.0.1:PORT node axe_scan.js  (exit 0 = passed)
 */
'use strict';

const fs = require('fs');
const L = require('./lib');
const { check, BASE } = L;

const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const totals = { pages: 0, serious: 0, critical: 0, moderate: 0, minor: 0 };

async function scan(page, name) {
  await page.addScriptTag({ content: AXE });
  const res = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'] }));
  const by = { serious: 0, critical: 0, moderate: 0, minor: 0 };
  for (const v of res.violations) {
    by[v.impact] = (by[v.impact] || 0) + v.nodes.length;
    if (v.impact === 'serious' || v.impact === 'critical')
      console.error('  ' + name + ': ' + v.impact + ' ' + v.id + ': ' + v.help + ' ' +
        v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
  }
  totals.pages++;
  for (const k of Object.keys(by)) totals[k] += by[k];
  console.log('axe ' + name + ': critical ' + by.critical + ', serious ' + by.serious +
    ', moderate ' + by.moderate + ', minor ' + by.minor);
  check(by.serious === 0 && by.critical === 0, 'axe ' + name + ': no serious or critical violation');
}

async function ready(page) {
  await L.missingKeys(page);
  await page.waitForFunction(() => { const s = document.getElementById('status');
    return !s || !/…|\.\.\./.test(s.textContent); });
  await page.waitForTimeout(200);
}

async function run(browser, size, opts, s) {
  const page = await L.open(browser, Object.assign({ bypassCSP: true }, opts),
    (u, st) => st === 404);
  const slot = await L.freeSlot(s, 2);
  /* signed out */
  await page.goto(BASE + '/auth/');
  await ready(page);
  await scan(page, size + ' /auth/');
  await page.goto(BASE + '/no/such/page');
  await ready(page);
  await scan(page, size + ' 404 (signed out)');
  await L.signIn(page, 'browser', '/booking/');
  const pages = ['/booking/', '/booking/day.html?date=' + slot.start.slice(0, 10),
    '/booking/book.html?start=' + encodeURIComponent(slot.start),
    '/booking/mine.html', '/auth/password.html', '/auth/totp.html', '/nope'];
  for (const p of pages) {
    await page.goto(BASE + p);
    await ready(page);
    await scan(page, size + ' ' + p.replace(/\?.*/, ''));
  }
  /* states after actions */
  await page.goto(BASE + '/booking/book.html?start=' + encodeURIComponent(slot.start));
  await ready(page);
  await page.fill('#first_name', 'Axel');
  await page.fill('#last_name', 'Scan' + size);
  await page.click('#submit');
  await page.waitForSelector('#done:not([hidden])');
  await scan(page, size + ' confirmation and history');
  await page.fill('#first_name', 'Axel');
  await page.fill('#last_name', 'Scan' + size);
  await page.waitForSelector('#history-body .customer');
  await page.click('#submit');
  await page.waitForSelector('#confirm:not([hidden]), #error:not([hidden])');
  await scan(page, size + ' duplicate question');
  await page.goto(BASE + '/booking/mine.html');
  await ready(page);
  await page.locator('.brow button').first().click();
  await scan(page, size + ' cancel panel');
  const full = page.locator('#week button.slot.full');
  await page.goto(BASE + '/booking/?week=' + slot.start.slice(0, 10));
  await ready(page);
  if (await full.count()) {
    await full.first().click();
    await page.waitForSelector('#alts:not([hidden])');
    await scan(page, size + ' alternatives');
  }
  await page.click('#usermenu summary');
  await scan(page, size + ' user menu open');
  await page.ctx.close();
}

(async () => {
  const browser = await L.launch();
  try {
    const s = await L.session('colleague');
    /* a full slot, so its state and alternatives are scanned too */
    const slot = await L.freeSlot(s, 1);
    for (let i = 0; i < 20; i++) {
      const r = await s.post('/api/v1/bookings', { start: slot.start, first_name: 'F' + i,
        last_name: 'Full', allow_duplicate: true });
      if (r.status !== 201) break;
    }
    await run(browser, 'desktop', { viewport: { width: 1366, height: 768 }, locale: 'de-DE' }, s);
    await run(browser, 'phone', { viewport: { width: 375, height: 667 }, locale: 'en-US',
      isMobile: true }, s);
  } catch (e) {
    check(false, 'exception: ' + (e && e.stack || e));
  } finally {
    await browser.close();
  }
  console.log('axe total: ' + totals.pages + ' scans, critical ' + totals.critical +
    ', serious ' + totals.serious + ', moderate ' + totals.moderate + ', minor ' + totals.minor);
  process.exit(L.report('browser.axe'));
})();
