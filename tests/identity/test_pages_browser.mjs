// test_pages_browser.mjs - the sign-in pages in a real browser
// (playwright-core driving Debian's /usr/bin/chromium, headless; the
// project's browser-test standard, see tests/browser) against a real hubd:
// sign in with the first-start one-time password, forced password change,
// 2FA setup with the QR code and an `oathtool` code, backup codes, the
// TOTP step of the next sign-in; a `?next=` that would leave the site is
// not followed; no script errors and no CSP violations; keyboard focus
// lands on the field to type into; nothing wider than a 360 px phone.
//
// playwright-core is tests/browser's (`npm ci` there); it is loaded from
// that directory, so nothing is installed twice. Exit 77 (skipped) when it
// or chromium is missing.
//
// usage: node test_pages_browser.mjs HUBD MODDIR   (CHROMIUM=path optional)
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [hubdPath, moduleDir] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let chromium;
try {
  const requireBrowser = createRequire(new URL('../browser/package.json', import.meta.url));
  ({ chromium } = requireBrowser('playwright-core'));
} catch (e) {
  console.error('skipped: playwright-core not installed (run `npm ci` in tests/browser)');
  process.exit(process.env.HUB_REQUIRE_BROWSER ? 1 : 77);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`skipped: no chromium at ${CHROMIUM}`);
  process.exit(process.env.HUB_REQUIRE_BROWSER ? 1 : 77);
}

let passed = 0, failed = 0;
const check = (ok, what) => {
  if (ok) passed++;
  else { failed++; console.error('FAIL ' + what); }
};
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function waitFor(fn, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    try { const v = await fn(); if (v) return v; } catch (e) { /* retry */ }
  }
  return null;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubpages-'));
const port = await freePort();
fs.writeFileSync(path.join(dir, 'hub.conf'),
  `[server]\nlisten = 127.0.0.1:${port}\ndata_dir = ${dir}/data\n` +
  `module_dir = ${moduleDir}\n\n[ratelimit]\nlogin = 100/min\nlogin_account = 100/min\n\n` +
  `[module.health]\npath = health.so\n`);
let out = '';
const hubd = spawn(hubdPath, ['-c', path.join(dir, 'hub.conf')], { stdio: ['ignore', 'pipe', 'ignore'] });
hubd.stdout.on('data', d => { out += d; });
const base = `http://127.0.0.1:${port}`;
let browser = null;
const problems = [];
const foreign = []; // requests that left 127.0.0.1

// Script errors, CSP violations ("Refused to ...") and console.error calls
// count as problems; a failed resource load is an HTTP answer (the 401 of
// the sign-in probe, a wrong password), not a page problem.
function watch(page) {
  page.on('pageerror', e => problems.push('exception: ' + e));
  page.on('console', m => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push('console: ' + m.text());
  });
  page.on('request', r => {
    const u = new URL(r.url());
    if (u.protocol.startsWith('http') && u.hostname !== '127.0.0.1') foreign.push(r.url());
  });
}

async function main() {
  check(await waitFor(async () => (await fetch(base + '/health/live')).ok, 20000), 'hubd up');
  const m = /one-time password (\S+)/.exec(out);
  check(m, 'one-time password printed');
  if (!m) return;
  const otp = m[1];

  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  watch(page);

  const go = async u => { await page.goto(base + u); await sleep(300); };
  const until = async (fn, arg, ms = 5000) =>
    page.waitForFunction(fn, arg, { timeout: ms }).then(() => true, () => false);
  const visible = s => page.evaluate(sel => !document.querySelector(sel).hidden, s);
  const active = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  const loc = () => new URL(page.url()).pathname;
  const text = s => page.evaluate(sel => document.querySelector(sel).textContent, s);
  const shown = s => until(sel => !document.querySelector(sel).hidden, s);
  const signOut = p => p.evaluate(() => fetch('/api/v1/auth/me').then(r => r.json())
    .then(m => fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': m.csrf_token } }))
    .then(r => r.status));

  // sign-in page; a wrong password shows an error
  await go('/auth/');
  check(await active() === 'username', 'focus on user name');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'not-the-password');
  await page.click('#login button[type=submit]');
  check(await shown('#error'), 'error shown');
  check(/Wrong user name/.test(await text('#error')), 'error text');

  // the one-time password leads to the forced change
  await page.fill('#password', otp);
  await page.click('#login button[type=submit]');
  check(await page.waitForURL('**/auth/password.html**').then(() => true, () => false) &&
        loc() === '/auth/password.html', 'sent to password change');
  check(await shown('#notice'), 'must-change notice');
  await page.fill('#current', otp);
  await page.fill('#new', 'admin-new-password-1');
  await page.fill('#repeat', 'admin-new-password-2');
  await page.click('#change button[type=submit]');
  check(await until(() => /differ/.test(document.getElementById('error').textContent)), 'mismatch caught');
  await page.fill('#repeat', 'admin-new-password-1');
  await page.click('#change button[type=submit]');
  check(await shown('#done'), 'password changed');

  // 2FA setup
  await go('/auth/totp.html');
  check(await shown('#off'), '2FA off shown');
  await page.fill('#setup-password', 'admin-new-password-1');
  await page.click('#setup button[type=submit]');
  check(await shown('#scan'), 'scan step');
  check(await page.evaluate(() => !!document.querySelector('#qr svg path')), 'QR code drawn');
  check(await active() === 'enable-code', 'focus on code');
  const secret = (await text('#secret')).replace(/\s/g, '');
  const now = Math.floor(Date.now() / 1000);
  const code = execFileSync('oathtool', ['--totp', '-b', '-N', '@' + now, secret]).toString().trim();
  await page.fill('#enable-code', code);
  await page.click('#enable button[type=submit]');
  check(await shown('#codes'), 'backup codes step');
  check(await page.evaluate(() => document.querySelectorAll('#code-list li').length) === 10, '10 backup codes');
  check(await active() === 'codes-done', 'focus on done');
  await page.click('#codes-done');
  check(await shown('#on'), '2FA on shown');

  // sign out, sign in again: the TOTP step, then on to `next`
  check(await signOut(page) === 200, 'signed out');
  await go('/auth/index.html?next=%2Fauth%2Fpassword.html');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'admin-new-password-1');
  await page.click('#login button[type=submit]');
  check(await shown('#totp'), 'TOTP step shown');
  check(await active() === 'code', 'focus on TOTP code');
  const code2 = execFileSync('oathtool', ['--totp', '-b', '-N', '@' + (now + 30), secret]).toString().trim();
  await page.fill('#code', code2);
  await page.click('#totp button[type=submit]');
  check(await page.waitForURL('**/auth/password.html').then(() => true, () => false), 'signed in, sent to next');

  // a `next` that URL parsing would turn into another site (the tab is
  // dropped: "/\t/evil.example" -> "//evil.example") is not followed
  for (const next of ['/%09/evil.example/x', '/%0A/evil.example/x', '%2F%5Cevil.example']) {
    await page.goto(base + '/auth/index.html?next=' + next);
    const landed = await waitFor(async () => {
      const u = new URL(page.url());
      return u.pathname !== '/auth/index.html' ? u : null;
    }, 5000);
    // "/" then leads the user to the home of their role, on this site
    check(landed && landed.origin === base &&
          ['/', '/admin/', '/booking/', '/booking/mine.html'].includes(landed.pathname),
          `next=${next} not followed (at ${landed ? landed.href : page.url()})`);
  }
  check(foreign.length === 0, 'no request left the site: ' + foreign.join(', '));

  // a phone: nothing wider than the screen (the 2FA and password pages
  // while signed in, then the sign-in page after signing out)
  const phone = await browser.newContext({
    viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    storageState: await ctx.storageState(),
  });
  const pp = await phone.newPage();
  watch(pp);
  const fits = async p => {
    await pp.goto(base + p);
    await sleep(300);
    check(new URL(pp.url()).pathname === p, 'stays on ' + p);
    check(await pp.evaluate(() => document.documentElement.scrollWidth <= 360), 'fits a phone: ' + p);
  };
  await fits('/auth/totp.html');
  check(await pp.waitForFunction(() => !document.querySelector('#on').hidden, null, { timeout: 5000 })
    .then(() => true, () => false), '2FA shown as on');
  await fits('/auth/password.html');
  check(await signOut(pp) === 200, 'signed out (phone)');
  await fits('/auth/index.html');
  check(problems.length === 0, 'no script errors or CSP violations: ' + problems.join('; '));
}

try {
  await main();
} catch (e) {
  check(false, 'exception: ' + (e && e.stack ? e.stack : e));
} finally {
  if (browser) await browser.close().catch(() => {});
  hubd.kill('SIGTERM');
  await sleep(500);
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`identity.pages_browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
