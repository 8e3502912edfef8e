/*
 * booking_flow.js - the booking pages in a real browser (playwright-core
 * driving Debian's /usr/bin/chromium, headless):
 *
 *   sign in at /auth/ -> the week view at /booking/ -> open a free slot
 *   with the keyboard -> the form shows field errors, then the customer's
 *   history while the name is typed -> book -> the booking is listed in
 *   "my bookings" -> cancel it there.
 *
 * Run at desktop size and at phone size (375 x 667, where nothing may
 * scroll sideways). Any console error (a CSP violation, a script error)
 * fails the run. Usage: BASE=http://127.0.0.1:PORT USER=name PASS=pw
 * node booking_flow.js   (exit 0 = passed)
 */
'use strict';

const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const USER = process.env.HUB_USER;
const PASS = process.env.HUB_PASS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0, failed = 0;

function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.error('FAIL: ' + what);
  }
}

async function flow(browser, name, viewport, last) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const problems = [];
  /* expected: the sign-in probe (401 on /api/v1/auth/me before login)
   * and the browser's own favicon request */
  const expected = (url, status) =>
    (status === 401 && url.endsWith('/api/v1/auth/me')) ||
    (status === 404 && url.endsWith('/favicon.ico'));
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r.url(), r.status()))
      problems.push(r.status() + ' ' + r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));

  /* sign in: /booking/ sends us to /auth/ and back */
  await page.goto(BASE + '/booking/');
  await page.waitForURL(/\/auth\//);
  await page.fill('#username', USER);
  await page.fill('#password', PASS);
  await page.press('#password', 'Enter');
  await page.waitForURL(/\/booking\/(\?|$)/);
  await page.waitForSelector('.day');
  check(await page.locator('.day').count() === 7, name + ': seven days in the week');
  check((await page.textContent('#who')).includes(USER), name + ': user shown');

  /* a free slot; walk forward a few weeks if this one is full */
  for (let i = 0; i < 4 && await page.locator('.slot.has-link a').count() === 0; i++) {
    await page.click('#next');
    await page.waitForSelector('.day');
  }
  const link = page.locator('.slot.has-link a').first();
  check(await link.count() === 1, name + ': a bookable slot is offered');
  const href = await link.getAttribute('href');
  const start = decodeURIComponent(href.split('start=')[1]);
  /* keyboard only: focus the link and press Enter */
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/book\.html/);
  await page.waitForFunction((s) => document.getElementById('start').value === s, start);
  check(await page.inputValue('#date') === start.slice(0, 10), name + ': day prefilled');

  /* field errors: submit without names */
  await page.focus('#submit');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#err-last_name:not([hidden])');
  check(await page.getAttribute('#last_name', 'aria-invalid') === 'true',
        name + ': last name marked invalid');
  check(await page.evaluate(() => document.activeElement.id) === 'last_name',
        name + ': focus moved to the field in error');

  /* the customer's history is looked up while the name is typed */
  await page.fill('#last_name', last);
  await page.fill('#first_name', 'Test');
  await page.waitForSelector('#history-body p.help');
  await page.waitForFunction(() =>
    document.getElementById('history-body').textContent.includes('No earlier bookings'));
  check(true, name + ': history looked up while typing');

  await page.selectOption('#category', 'top');
  await page.fill('#description', 'Browser test\nsecond line');
  await page.focus('#submit');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#done:not([hidden])');
  const done = await page.textContent('#done');
  check(done.includes('Booked: ' + last + ', Test'), name + ': booking confirmed (' + done + ')');

  /* typing the same name again now shows the history */
  await page.fill('#last_name', last);
  await page.fill('#first_name', 'Test');
  const known = page.locator('#history-body .customer', { hasText: last + ', Test' });
  await known.first().waitFor();
  check((await known.first().textContent()).includes('1 booking '),
        name + ': history shows the booking');

  /* my bookings */
  await page.click('#done a[href="mine.html"]');
  await page.waitForURL(/mine\.html/);
  const card = page.locator('.booking', { hasText: last + ', Test' });
  await card.first().waitFor();
  check(await card.count() === 1, name + ': listed in my bookings');
  check((await card.textContent()).includes('top'), name + ': category shown');

  /* cancel it with a reason */
  await card.locator('button', { hasText: 'Cancel' }).click();
  await card.locator('input').fill('Browser test done');
  await card.locator('button', { hasText: 'Cancel booking' }).click();
  const cancelled = page.locator('.booking.cancelled', { hasText: last + ', Test' });
  await cancelled.waitFor();
  check((await cancelled.textContent()).includes('Browser test done'),
        name + ': cancelled with its reason');

  /* nothing scrolls sideways */
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, name + ': no horizontal scrolling (' + overflow + 'px)');
  check(problems.length === 0, name + ': no console errors: ' + problems.join(' | '));
  await ctx.close();
}

(async () => {
  if (!BASE || !USER || !PASS) {
    console.error('usage: BASE=... HUB_USER=... HUB_PASS=... node booking_flow.js');
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    await flow(browser, 'desktop', { width: 1280, height: 900 }, 'Browser');
    await flow(browser, 'phone', { width: 375, height: 667 }, 'Handy');
  } catch (e) {
    failed++;
    console.error('FAIL: ' + (e && e.stack ? e.stack : e));
  } finally {
    await browser.close();
  }
  console.log('booking_browser: ' + passed + ' passed, ' + failed + ' failed');
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
})();
