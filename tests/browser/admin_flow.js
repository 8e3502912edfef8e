/*
 * admin_flow.js - the admin console in a real browser (playwright-core
 * driving Debian's /usr/bin/chromium, headless), at desktop and at phone
 * size (375 x 667, where nothing may scroll sideways):
 *
 *   an admin signs in and lands on /admin/ -> adds a user (the one-time
 *   password is shown) -> blocks a day on the month calendar (the slot
 *   listing then says blocked) -> creates an API token (shown once, it
 *   works) and revokes it after confirming (it no longer works) -> makes
 *   a backup and downloads it (an SQLite file) -> registers a webhook
 *   (the signing secret is shown once, the hook is listed), books a slot
 *   through the API and sees the delivery in the hook's log, deletes the
 *   hook after confirming (gone from the list and the API) -> a staff user gets the
 *   "not allowed" page and 403 from the API.
 *
 * Then an axe-core scan of every admin view (no serious or critical
 * violation). Any console error (a CSP violation, a script error) or a
 * catalogue key missing in either language fails the run.
 * Usage: BASE=... ADMIN_USER ADMIN_PASS STAFF_USER STAFF_PASS node admin_flow.js
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VIEWS = ['dashboard', 'users', 'tokens', 'consultants', 'days', 'audit', 'logs',
  'backups', 'jobs', 'outbox', 'webhooks', 'export', 'settings'];

let passed = 0, failed = 0;
function check(cond, what) {
  if (cond) passed++;
  else { failed++; console.error('FAIL: ' + what); }
}

function watch(page, problems) {
  page.on('response', (r) => {
    const ok = (r.status() === 401 && r.url().endsWith('/api/v1/auth/me')) ||
      (r.status() === 404 && r.url().endsWith('/favicon.ico')) ||
      /* the dashboard asks analytics for the alert; absent is fine */
      r.url().includes('/api/v1/analytics/') ||
      (r.status() === 403 && problems.allow403);
    if (r.status() >= 400 && !ok) problems.push(r.status() + ' ' + r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
}

async function signIn(page, user, pass) {
  await page.goto(BASE + '/admin/');
  await page.waitForURL(/\/auth\//);
  await page.fill('#username', user);
  await page.fill('#password', pass);
  await page.press('#password', 'Enter');
  await page.waitForURL(/\/admin\//);
}

async function view(page, name) {
  await page.evaluate((n) => { location.hash = '#' + n; }, name);
  await page.waitForFunction((n) => document.querySelector('#nav a[data-view="' + n +
    '"]').getAttribute('aria-current') === 'page', name);
  await page.waitForLoadState('networkidle');
}

async function noSideScroll(page, what) {
  const w = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
  check(w[0] <= w[1] + 1, what + ': no sideways scrolling (' + w[0] + ' > ' + w[1] + ')');
}

/* An API call from the page (cookie and CSRF token of its session). */
function api(page, method, url, body, headers) {
  return page.evaluate(async (a) => {
    const r = await UI.api(a[0], a[1], a[2] === null ? undefined : a[2], a[3]);
    return { status: r.status, body: r.body };
  }, [method, url, body === undefined ? null : body, headers || {}]);
}

async function adminFlow(browser, name, viewport, tag) {
  const ctx = await browser.newContext({ viewport, acceptDownloads: true,
    locale: tag === 'p' ? 'de-DE' : 'en-US' });
  const page = await ctx.newPage();
  const problems = [];
  watch(page, problems);
  await signIn(page, process.env.ADMIN_USER, process.env.ADMIN_PASS);
  await page.waitForSelector('#nav:not([hidden])');
  check(await page.locator('#nav a').count() === VIEWS.length, name + ': ' + VIEWS.length + ' sections');
  /* the dashboard: health, outbox and the no-show alert of analytics */
  await page.waitForSelector('section.card');
  for (const k of ['adm.dash.health', 'adm.dash.outbox', 'adm.dash.alert', 'adm.dash.today']) {
    const label = await page.evaluate((x) => UI.t(x), k);
    check(await page.locator('section[aria-label="' + label + '"]').count() === 1,
      name + ': dashboard shows ' + k);
  }
  if (viewport.width < 500) await noSideScroll(page, name + ' dashboard');

  /* add a user: the one-time password is shown once */
  await view(page, 'users');
  const user = 'kim' + tag;
  await page.fill('#user-add input[name="adm.users.name"]', user);
  await page.selectOption('#user-add select', 'staff');
  await page.click('#user-add button[type=submit]');
  await page.waitForSelector('#secret-value');
  const otp = (await page.textContent('#secret-value')).trim();
  check(otp.length >= 16, name + ': one-time password shown');
  check(await page.locator('td', { hasText: user }).count() === 1, name + ': user listed');
  if (viewport.width < 500) await noSideScroll(page, name + ' users');

  /* block a day next month on the calendar */
  await view(page, 'days');
  await page.waitForSelector('.month button.day');
  const shown = await page.getAttribute('.month button.day', 'data-date');
  await page.click('text=' + (await page.evaluate(() => UI.t('adm.days.next'))));
  /* wait for next month's grid, not this month's still on screen */
  await page.waitForFunction((m) => {
    const b = document.querySelector('.month button.day');
    return b && b.getAttribute('data-date').slice(0, 7) !== m;
  }, shown.slice(0, 7));
  const day = page.locator('.month button.day:not(.holiday):not(.blocked)').nth(9 + (tag === 'p' ? 1 : 0));
  const date = await day.getAttribute('data-date');
  await day.click();
  await page.waitForSelector('#block-form');
  await page.fill('#block-form input[name="adm.days.reason"]', 'Team day ' + tag);
  await page.click('#block-form button[type=submit]');
  await page.waitForSelector('.month button.day.blocked[data-date="' + date + '"]');
  const slots = await api(page, 'GET', '/api/v1/slots?from=' + date + '&to=' + date);
  check(slots.status === 200 && slots.body.days[0].blocked === true &&
    slots.body.days[0].reason === 'Team day ' + tag, name + ': the day is blocked for booking');
  if (viewport.width < 500) await noSideScroll(page, name + ' days');

  /* a token: shown once, works, revoked after confirming, then refused */
  await view(page, 'tokens');
  await page.fill('#token-add input[name="adm.tokens.name"]', 'ci-' + tag);
  await page.selectOption('#token-add select', 'read');
  await page.click('#token-add button[type=submit]');
  await page.waitForSelector('#secret-value');
  const token = (await page.textContent('#secret-value')).trim();
  check(token.length >= 20, name + ': token shown');
  const me = await page.request.get(BASE + '/api/v1/auth/me',
    { headers: { Authorization: 'Bearer ' + token } });
  check(me.status() === 200, name + ': the new token works');
  const row = page.locator('tr', { hasText: 'ci-' + tag });
  await row.locator('button.danger').click();
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-yes');
  await page.waitForFunction((n) => ![...document.querySelectorAll('td')]
    .some((td) => td.textContent === n), 'ci-' + tag);
  const after = await page.request.get(BASE + '/api/v1/auth/me',
    { headers: { Authorization: 'Bearer ' + token } });
  check(after.status() === 401, name + ': the revoked token is refused');

  /* a backup: made, listed, downloaded */
  await view(page, 'backups');
  const before = await page.locator('tbody tr').count();
  await page.click('#backup-create');
  await page.waitForSelector('#status.ok');
  check(await page.locator('tbody tr td a').count() >= 1, name + ': backup listed');
  check(await page.locator('tbody tr').count() >= before, name + ': list grew or stayed');
  const [dl] = await Promise.all([page.waitForEvent('download'),
    page.locator('tbody tr td a').first().click()]);
  const file = await dl.path();
  const head = fs.readFileSync(file).subarray(0, 16).toString('latin1');
  check(head.startsWith('SQLite format 3'), name + ': the download is the database');
  check(/^hub-.*\.db$/.test(dl.suggestedFilename()), name + ': file name kept');
  if (viewport.width < 500) await noSideScroll(page, name + ' backups');

  await webhookFlow(page, name, viewport, tag);

  const missing = await page.evaluate(() => UI.missing.slice());
  check(missing.length === 0, name + ': no missing catalogue keys ' + missing.join(','));
  check(problems.length === 0, name + ': no console errors or failed requests: ' +
    problems.join(' | '));
  await ctx.close();
}

/* A free slot in the next two weeks (for a booking made through the API). */
async function freeSlot(page) {
  const from = await page.evaluate(() => ADM.isoDay(1));
  const to = await page.evaluate(() => ADM.isoDay(14));
  const r = await api(page, 'GET', '/api/v1/slots?from=' + from + '&to=' + to);
  for (const d of (r.body && r.body.days) || [])
    for (const s of d.blocked ? [] : d.slots)
      if (s.booked < s.capacity) return s;
  return null;
}

/* Registers a webhook (secret shown once, listed), books a slot so a
 * delivery row exists, reads the hook's delivery log, deletes the hook. */
async function webhookFlow(page, name, viewport, tag) {
  const url = 'http://127.0.0.1:9/hook-' + tag;
  await view(page, 'webhooks');
  await page.fill('#hook-add input[type=url]', url);
  await page.uncheck('#wh-ev-outcome');
  await page.click('#hook-add button[type=submit]');
  await page.waitForSelector('#secret-value');
  const secret = (await page.textContent('#secret-value')).trim();
  check(/^whsec_[A-Za-z0-9+/=]{20,}$/.test(secret), name + ': webhook secret shown');
  const row = page.locator('tr', { hasText: url });
  check(await row.count() === 1, name + ': webhook listed');
  const evText = await page.evaluate(() => UI.t('adm.wh.ev.cancelled'));
  const outText = await page.evaluate(() => UI.t('adm.wh.ev.outcome'));
  const cells = await row.locator('td').nth(1).textContent();
  check(cells.includes(evText) && !cells.includes(outText), name + ': its events listed');
  const listed = await api(page, 'GET', '/api/v1/admin/webhooks');
  const hook = listed.body.items.filter((w) => w.url === url)[0];
  check(hook && hook.events.length === 3 && !('secret' in hook),
    name + ': the API lists it with three events and no secret');
  if (viewport.width < 500) await noSideScroll(page, name + ' webhooks');

  /* a booking writes a delivery row for the hook in the same transaction */
  const slot = await freeSlot(page);
  const b = slot && await api(page, 'POST', '/api/v1/bookings', { start: slot.start,
    first_name: 'Hook', last_name: 'Test' + tag, allow_duplicate: true });
  check(b && b.status === 201, name + ': a booking made (' + (b && b.status) + ')');
  await row.locator('button:not(.danger)').click();
  await page.waitForSelector('#wh-log tbody tr');
  const created = await page.evaluate(() => UI.t('adm.wh.ev.created'));
  const logRow = page.locator('#wh-log tbody tr').first();
  check((await logRow.textContent()).includes(created) &&
    (await logRow.textContent()).includes('booking-' + (b && b.body && b.body.id)),
    name + ': the delivery log shows the booking.created delivery');
  check(await page.evaluate(() => document.activeElement.id) === 'wh-log-title',
    name + ': focus moves to the delivery log');
  if (viewport.width < 500) await noSideScroll(page, name + ' delivery log');

  /* delete after confirming; cancelling the dialog keeps it */
  await row.locator('button.danger').click();
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-no');
  check(await row.count() === 1, name + ': cancelling keeps the webhook');
  await row.locator('button.danger').click();
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-yes');
  await page.waitForSelector('#status.ok');
  /* the status line may be an earlier one: give the list time to reload */
  await page.locator('tr', { hasText: url }).waitFor({ state: 'detached', timeout: 10000 })
    .catch(() => {});
  check(await page.locator('tr', { hasText: url }).count() === 0, name + ': webhook gone');
  const gone = await page.request.get(BASE + '/api/v1/admin/webhooks/' + hook.id + '/deliveries');
  check(gone.status() === 404, name + ': the API no longer knows it (' + gone.status() + ')');
}

async function staffRefused(browser, name, viewport) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const problems = [];
  problems.allow403 = true;
  watch(page, problems);
  await signIn(page, process.env.STAFF_USER, process.env.STAFF_PASS);
  await page.waitForSelector('.denied');
  const title = await page.textContent('#title');
  check(title === await page.evaluate(() => UI.t('adm.denied.title')),
    name + ': staff see "not allowed"');
  check(await page.locator('#nav').isHidden(), name + ': no admin navigation for staff');
  const r = await api(page, 'GET', '/api/v1/admin/users');
  check(r.status === 403, name + ': the API refuses staff (' + r.status + ')');
  check(problems.length === 0, name + ': staff page clean: ' + problems.join(' | '));
  await ctx.close();
}

/* axe-core on every view, in both languages; needs CSP bypassed only to
 * inject axe itself (the flows above run under the real CSP). */
async function axeScan(browser) {
  const axe = fs.readFileSync(path.join(__dirname, 'node_modules/axe-core/axe.min.js'), 'utf8');
  for (const lang of ['de', 'en']) {
    /* the language follows the browser's (the user has chosen none) */
    const ctx = await browser.newContext({ bypassCSP: true, locale: lang === 'de' ? 'de-DE' : 'en-US',
      viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, process.env.ADMIN_USER, process.env.ADMIN_PASS);
    await page.waitForSelector('#nav:not([hidden])');
    check(await page.evaluate(() => UI.lang) === lang, 'page in ' + lang);
    for (const v of VIEWS) {
      await view(page, v);
      if (v === 'days') {
        await page.locator('.month button.day').first().click();
        await page.waitForSelector('#day-panel');
      }
      if (v === 'webhooks') {
        /* the form, the secret box and a delivery log are scanned too */
        await page.fill('#hook-add input[type=url]', 'http://127.0.0.1:9/axe-' + lang);
        await page.click('#hook-add button[type=submit]');
        await page.waitForSelector('#secret-value');
        await page.locator('tr', { hasText: '/axe-' + lang }).locator('button:not(.danger)').click();
        await page.waitForSelector('#wh-log');
      }
      await page.addScriptTag({ content: axe });
      const res = await page.evaluate(async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')
          .map((x) => x.id + ' (' + x.nodes.length + ')');
      });
      check(res.length === 0, 'axe ' + lang + ' #' + v + ': ' + res.join(', '));
    }
    const missing = await page.evaluate(() => UI.missing.slice());
    check(missing.length === 0, 'catalogue ' + lang + ' complete: ' + missing.join(','));
    await ctx.close();
  }
}

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox'] });
  try {
    await adminFlow(browser, 'desktop', { width: 1280, height: 800 }, 'd');
    await adminFlow(browser, 'phone', { width: 375, height: 667 }, 'p');
    await staffRefused(browser, 'desktop staff', { width: 1280, height: 800 });
    await staffRefused(browser, 'phone staff', { width: 375, height: 667 });
    await axeScan(browser);
  } catch (e) {
    failed++;
    console.error('FAIL: ' + (e && e.stack || e));
  } finally {
    await browser.close();
  }
  console.log('admin_flow: ' + passed + ' passed, ' + failed + ' failed');
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
})();
