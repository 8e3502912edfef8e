// test_pages_browser.mjs - the sign-in pages in a real browser (headless
// Chromium over the DevTools protocol) against a real hubd: sign in with
// the first-start one-time password, forced password change, 2FA setup
// with the QR code and an `oathtool` code, backup codes, the TOTP step of
// the next sign-in; no script errors and no CSP violations; keyboard focus
// lands on the field to type into; nothing wider than a 360 px phone.
//
// usage: node --experimental-websocket test_pages_browser.mjs HUBD MODDIR
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [hubdPath, moduleDir] = process.argv.slice(2);
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
  `module_dir = ${moduleDir}\n\n[ratelimit]\nlogin = 100/min\n\n` +
  `[module.health]\npath = health.so\n`);
let out = '';
const hubd = spawn(hubdPath, ['-c', path.join(dir, 'hub.conf')], { stdio: ['ignore', 'pipe', 'ignore'] });
hubd.stdout.on('data', d => { out += d; });
const base = `http://127.0.0.1:${port}`;
let chrome = null;

async function main() {
  check(await waitFor(async () => (await fetch(base + '/health/live')).ok, 20000), 'hubd up');
  const m = /one-time password (\S+)/.exec(out);
  check(m, 'one-time password printed');
  if (!m) return;
  const otp = m[1];

  chrome = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu',
    '--remote-debugging-port=0', `--user-data-dir=${dir}/chrome`, 'about:blank'],
    { stdio: 'ignore' });
  const portFile = path.join(dir, 'chrome', 'DevToolsActivePort');
  const cdpPort = await waitFor(() => fs.existsSync(portFile) &&
    fs.readFileSync(portFile, 'utf8').split('\n')[0], 20000);
  check(cdpPort, 'chromium up');
  if (!cdpPort) return;
  const list = await waitFor(async () => {
    const l = await (await fetch(`http://127.0.0.1:${cdpPort}/json/list`)).json();
    return l.find(p => p.type === 'page') ? l : null;
  }, 10000);
  const ws = new WebSocket(list.find(p => p.type === 'page').webSocketDebuggerUrl);
  await new Promise(r => { ws.onopen = r; });
  let id = 0; const pending = new Map(); const problems = [];
  ws.onmessage = (msg) => {
    const d = JSON.parse(msg.data);
    if (d.id && pending.has(d.id)) { pending.get(d.id)(d); pending.delete(d.id); }
    if (d.method === 'Runtime.exceptionThrown')
      problems.push('exception: ' + d.params.exceptionDetails.text);
    if (d.method === 'Log.entryAdded' &&
        /Content Security Policy|Refused to/i.test(d.params.entry.text))
      problems.push('csp: ' + d.params.entry.text);
    if (d.method === 'Runtime.consoleAPICalled' && d.params.type === 'error')
      problems.push('console error');
  };
  const send = (method, params = {}) => new Promise(r => {
    const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params }));
  });
  const ev = async e => (await send('Runtime.evaluate',
    { expression: e, awaitPromise: true, returnByValue: true })).result.result.value;
  const go = async u => { await send('Page.navigate', { url: base + u }); await sleep(700); };
  const set = (s, v) => ev(`document.querySelector(${JSON.stringify(s)}).value = ${JSON.stringify(v)}`);
  const click = s => ev(`document.querySelector(${JSON.stringify(s)}).click()`);
  const visible = s => ev(`!document.querySelector(${JSON.stringify(s)}).hidden`);
  const loc = () => ev('location.pathname');
  const until = async (fn, ms = 5000) => waitFor(fn, ms);
  await send('Runtime.enable'); await send('Log.enable'); await send('Page.enable');

  // sign-in page; a wrong password shows an error
  await go('/auth/');
  check(await ev('document.activeElement.id') === 'username', 'focus on user name');
  await set('#username', 'admin'); await set('#password', 'not-the-password');
  await click('#login button[type=submit]');
  check(await until(async () => await visible('#error')), 'error shown');
  check(/Wrong user name/.test(await ev('document.getElementById("error").textContent')), 'error text');

  // the one-time password leads to the forced change
  await set('#password', otp); await click('#login button[type=submit]');
  check(await until(async () => await loc() === '/auth/password.html'), 'sent to password change');
  await sleep(500);
  check(await visible('#notice'), 'must-change notice');
  await set('#current', otp); await set('#new', 'admin-new-password-1');
  await set('#repeat', 'admin-new-password-2');
  await click('#change button[type=submit]');
  check(await until(async () => /differ/.test(await ev('document.getElementById("error").textContent'))), 'mismatch caught');
  await set('#repeat', 'admin-new-password-1');
  await click('#change button[type=submit]');
  check(await until(async () => await visible('#done')), 'password changed');

  // 2FA setup
  await go('/auth/totp.html');
  check(await until(async () => await visible('#off')), '2FA off shown');
  await set('#setup-password', 'admin-new-password-1'); await click('#setup button[type=submit]');
  check(await until(async () => await visible('#scan')), 'scan step');
  check(await ev('!!document.querySelector("#qr svg path")'), 'QR code drawn');
  check(await ev('document.activeElement.id') === 'enable-code', 'focus on code');
  const secret = (await ev('document.getElementById("secret").textContent')).replace(/\s/g, '');
  const now = Math.floor(Date.now() / 1000);
  const code = execFileSync('oathtool', ['--totp', '-b', '-N', '@' + now, secret]).toString().trim();
  await set('#enable-code', code); await click('#enable button[type=submit]');
  check(await until(async () => await visible('#codes')), 'backup codes step');
  check(await ev('document.querySelectorAll("#code-list li").length') === 10, '10 backup codes');
  check(await ev('document.activeElement.id') === 'codes-done', 'focus on done');
  await click('#codes-done');
  check(await until(async () => await visible('#on')), '2FA on shown');

  // sign out, sign in again: the TOTP step
  await ev(`fetch('/api/v1/auth/me').then(r => r.json()).then(m => fetch('/api/v1/auth/logout',
    { method: 'POST', headers: { 'X-CSRF-Token': m.csrf_token } })).then(r => r.status)`);
  await go('/auth/index.html?next=%2Fauth%2Fpassword.html');
  await set('#username', 'admin'); await set('#password', 'admin-new-password-1');
  await click('#login button[type=submit]');
  check(await until(async () => await visible('#totp')), 'TOTP step shown');
  check(await ev('document.activeElement.id') === 'code', 'focus on TOTP code');
  const code2 = execFileSync('oathtool', ['--totp', '-b', '-N', '@' + (now + 30), secret]).toString().trim();
  await set('#code', code2); await click('#totp button[type=submit]');
  check(await until(async () => await loc() === '/auth/password.html'), 'signed in, sent to next');

  // a phone: nothing wider than the screen (the 2FA and password pages
  // while signed in, then the sign-in page after signing out)
  await send('Emulation.setDeviceMetricsOverride', { width: 360, height: 640, deviceScaleFactor: 2, mobile: true });
  const fits = async p => {
    await go(p);
    await sleep(300);
    check(await loc() === p, 'stays on ' + p);
    check(await ev('document.documentElement.scrollWidth <= 360'), 'fits a phone: ' + p);
  };
  await fits('/auth/totp.html');
  check(await visible('#on'), '2FA shown as on');
  await fits('/auth/password.html');
  await ev(`fetch('/api/v1/auth/me').then(r => r.json()).then(m => fetch('/api/v1/auth/logout',
    { method: 'POST', headers: { 'X-CSRF-Token': m.csrf_token } })).then(r => r.status)`);
  await fits('/auth/index.html');
  check(problems.length === 0, 'no script errors or CSP violations: ' + problems.join('; '));
  ws.close();
}

try {
  await main();
} catch (e) {
  check(false, 'exception: ' + e);
} finally {
  if (chrome) chrome.kill();
  hubd.kill('SIGTERM');
  await sleep(500);
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`identity.pages_browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
