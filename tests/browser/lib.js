/*
 * lib.js - what the browser tests share: chromium through playwright-core,
 * a page that records every problem (console errors, page errors, failed
 * requests other than the expected ones), signing in, a signed-in API
 * session from node for setting things up, and counted checks.
 */
'use strict';

const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const PASS = process.env.HUB_PASS || 'pw-browser-Secret1';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0, failed = 0;

function check(cond, what) {
  if (cond) passed++;
  else { failed++; console.error('FAIL: ' + what); }
}

function report(name) {
  console.log(name + ': ' + passed + ' passed, ' + failed + ' failed');
  return failed ? 1 : 0;
}

function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox'] });
}

/* A page whose problems are collected in page.problems. `expect(url,
 * status)` may allow more failed requests than the standard ones (the
 * signed-out probe of /me, the favicon). */
async function open(browser, opts, expect) {
  const ctx = await browser.newContext(Object.assign({
    viewport: { width: 1366, height: 768 }, locale: 'en-US' }, opts || {}));
  const page = await ctx.newPage();
  page.problems = [];
  const ok = (url, status) =>
    (status === 401 && url.endsWith('/api/v1/auth/me')) ||
    (status === 404 && url.endsWith('/favicon.ico')) ||
    (expect && expect(url, status));
  page.on('response', (r) => {
    if (r.status() >= 400 && !ok(r.url(), r.status()))
      page.problems.push(r.status() + ' ' + r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(String(e)));
  page.ctx = ctx;
  return page;
}

/* Signs in through the sign-in page; lands on `path` (default /). */
async function signIn(page, user, path) {
  await page.goto(BASE + '/auth/?next=' + encodeURIComponent(path || '/'));
  await page.waitForSelector('#username');
  await page.fill('#username', user);
  await page.fill('#password', PASS);
  await page.press('#password', 'Enter');
  await page.waitForURL((u) => !u.pathname.startsWith('/auth/'));
}

/* Waits until the UI kit has translated the page and returns UI.missing. */
async function missingKeys(page) {
  await page.waitForFunction(() => window.UI && document.documentElement.lang &&
    document.querySelector('.hub-product') &&
    document.querySelector('.hub-product').textContent.length > 0);
  return page.evaluate(() => UI.missing.slice());
}

/* A signed-in JSON session from node: {get, post, patch, user}. */
async function session(user) {
  const r = await fetch(BASE + '/api/v1/auth/login', { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: PASS }) });
  if (r.status !== 200) throw new Error('login ' + user + ': ' + r.status);
  const body = await r.json();
  const cookie = r.headers.get('set-cookie').split(';')[0];
  async function call(method, path, data, headers) {
    const h = Object.assign({ Cookie: cookie, 'X-CSRF-Token': body.csrf_token,
      Accept: 'application/json' }, headers || {});
    if (data !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(BASE + path, { method, headers: h,
      body: data === undefined ? undefined : JSON.stringify(data) });
    let json = null;
    try { json = await res.json(); } catch (e) { json = null; }
    return { status: res.status, body: json, headers: res.headers };
  }
  return { user: body.user, cookie,
    get: (p) => call('GET', p), post: (p, d, h) => call('POST', p, d, h),
    patch: (p, d) => call('PATCH', p, d) };
}

/* The first bookable slot with at least `free` places in the next weeks. */
async function freeSlot(s, free, skip) {
  const today = new Date().toISOString().slice(0, 10);
  const to = new Date(Date.now() + 40 * 864e5).toISOString().slice(0, 10);
  const r = await s.get('/api/v1/slots?from=' + today + '&to=' + to);
  for (const d of r.body.days)
    for (const x of d.slots || [])
      if (x.bookable && x.free >= (free || 1) && !(skip || []).includes(x.start))
        return x;
  return null;
}

module.exports = { BASE, PASS, check, report, launch, open, signIn,
  missingKeys, session, freeSlot };
