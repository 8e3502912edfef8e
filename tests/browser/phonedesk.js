/*
 * phonedesk.js - one browser check for each finding of the phone-desk
 * walk-through (run with HUB_RATE_API=120/min, see CMakeLists.txt):
 *   1 limits count per user: one user limited, a colleague at the same
 *     address is not; the limited page says so in words, keeps what was
 *     typed and does not send anyone to sign-in
 *   2 staff find (search) and cancel a colleague's booking
 *   3 a duplicate in the same slot asks first; an upcoming booking
 *     elsewhere is a warning
 *   4 "any available" gets a consultant; the consultant sees it
 *   5 / leads each role home; unknown pages are the HTML 404 page
 *   6 words instead of codes (a full slot says "full", errors in words)
 *   7 a full slot opens its alternatives (week and day view)
 *   8 bookings grouped by day, searchable, cancelled marked in words,
 *     the cancel panel closes, a double click on cancel throws nothing
 *   9 a high no-show risk asks before booking
 * Usage: BASE=http://127.0.0.1:PORT node phonedesk.js  (exit 0 = passed)
 */
'use strict';

const L = require('./lib');
const { check, BASE } = L;

function noErrors(page, what) {
  check(page.problems.length === 0, what + ': no browser errors ' +
    JSON.stringify(page.problems));
}

async function book(s, slot, first, last, extra) {
  return s.post('/api/v1/bookings', Object.assign({ start: slot.start,
    first_name: first, last_name: last }, extra || {}));
}

/* 2: staff see and change every booking; ?q= finds the customer. */
async function staffAccess(browser, col, stamp) {
  const slot = await L.freeSlot(col, 1);
  const r = await book(col, slot, 'Greta', 'Kollegin' + stamp);
  check(r.status === 201, '2: colleague booked (' + r.status + ')');
  const p = await L.open(browser);
  await L.signIn(p, 'browser', '/booking/mine.html');
  await L.missingKeys(p);
  await p.uncheck('#onlymine');
  await p.fill('#q', 'kollegin' + stamp);
  await p.press('#q', 'Enter');
  const row = p.locator('.brow', { hasText: 'Kollegin' + stamp });
  await row.first().waitFor();
  check(await row.count() === 1, '2: found by searching the name');
  await row.locator('button', { hasText: 'Cancel' }).click();
  await p.fill('.panel input', 'customer called back');
  await p.click('.panel button.danger');
  await p.waitForSelector('.brow.cancelled');
  check((await p.textContent('.brow.cancelled')).includes('Cancelled'),
        '2: a colleague\'s booking cancelled by another staff member');
  noErrors(p, '2');
  await p.ctx.close();
}

/* 3: duplicate in the slot asks; an upcoming booking elsewhere warns. */
async function duplicate(browser, s, stamp) {
  const slot = await L.freeSlot(s, 2);
  const r = await book(s, slot, 'Doris', 'Doppel' + stamp);
  check(r.status === 201, '3: first booking');
  /* the 409 duplicate is the expected answer here */
  const p = await L.open(browser, {}, (u, st) => st === 409 && u.endsWith('/api/v1/bookings'));
  await L.signIn(p, 'colleague', '/booking/book.html?start=' + encodeURIComponent(slot.start));
  await L.missingKeys(p);
  await p.waitForFunction(() => document.activeElement.id === 'first_name');
  await p.fill('#first_name', 'Doris');
  await p.fill('#last_name', 'Doppel' + stamp);
  await p.waitForSelector('#history-body .customer');
  await p.click('#submit');
  await p.waitForSelector('#confirm:not([hidden])');
  check((await p.textContent('#confirm-text')).includes(String(r.body.id)),
        '3: the duplicate question names the existing booking');
  await p.click('#confirm-yes');
  await p.waitForSelector('#done:not([hidden])');
  check(true, '3: booked anyway after confirming');
  /* another slot: the upcoming booking is a warning while typing */
  const other = await L.freeSlot(s, 1, [slot.start]);
  await p.goto(BASE + '/booking/book.html?start=' + encodeURIComponent(other.start));
  await p.waitForFunction(() => document.activeElement.id === 'first_name');
  await p.fill('#first_name', 'Doris');
  await p.fill('#last_name', 'Doppel' + stamp);
  await p.waitForSelector('#warn:not([hidden])');
  check((await p.textContent('#warn')).length > 10, '3: warning about the upcoming booking');
  noErrors(p, '3');
  await p.ctx.close();
}

/* 4: "any available" is assigned; the consultant sees it. */
async function assignment(browser, s, boss, stamp) {
  const cons = await boss.get('/api/v1/consultants');
  const anna = cons.body.items.find((c) => c.name === 'Anna Becker');
  const link = await boss.patch('/api/v1/admin/users/cons', { consultant_id: anna.id });
  check(link.status === 200, '4: consultant user linked (' + link.status + ')');
  let mine = null;
  for (let i = 0; i < 6 && !mine; i++) {
    const slot = await L.freeSlot(s, 1);
    const r = await book(s, slot, 'Anton', 'Zuteilung' + stamp + i);
    check(r.status === 201 && r.body.consultant, '4: a consultant assigned (' +
      (r.body && r.body.consultant) + ')');
    if (r.body.consultant === 'Anna Becker') mine = r.body;
  }
  check(!!mine, '4: one booking went to Anna Becker');
  if (!mine) return;
  const p = await L.open(browser);
  await L.signIn(p, 'cons', '/');
  await p.waitForURL(/\/booking\/mine\.html/);
  check(true, '4: a consultant starts on their bookings');
  await L.missingKeys(p);
  await p.selectOption('#range', 'all');
  await p.locator('.brow', { hasText: mine.last_name }).first().waitFor();
  check(true, '4: the consultant sees the assigned booking');
  noErrors(p, '4');
  await p.ctx.close();
}

/* 5: the start page by role; unknown pages are HTML. */
async function startAndNotFound(browser) {
  const p = await L.open(browser, {}, (u, st) => st === 404);
  await L.signIn(p, 'browser', '/');
  await p.waitForURL(/\/booking\/(\?|$)/);
  check(true, '5: staff start on the week');
  for (const path of ['/nope', '/admin/', '/analytics/', '/booking/nope.html']) {
    const r = await p.goto(BASE + path);
    check(r.status() === 404 && r.headers()['content-type'].startsWith('text/html'),
          '5: ' + path + ' is an HTML 404');
    await L.missingKeys(p);
    check((await p.textContent('.hub-product')) === 'Business Hub', '5: product name on ' + path);
    check(await p.locator('#usermenu summary').count() === 1, '5: user menu on ' + path);
    check(await p.locator('main a[href="/"]').count() === 1, '5: a way home on ' + path);
  }
  const api = await p.request.get(BASE + '/api/v1/nope');
  check(api.status() === 404 && (await api.json()).error.code === 'not_found',
        '5: API paths keep JSON errors');
  noErrors(p, '5');
  await p.ctx.close();
  const a = await L.open(browser, {}, (u, st) => st === 404);
  await L.signIn(a, 'boss', '/');
  check(new URL(a.url()).pathname === '/admin/', '5: admins start on /admin/');
  await a.ctx.close();
}

/* 6, 7: a full slot says so in words and opens its alternatives. */
async function fullSlot(browser, s, stamp) {
  const slot = await L.freeSlot(s, 1);
  for (let i = 0; i < 20; i++) {
    const r = await book(s, slot, 'Voll' + i, 'Besetzt' + stamp, { allow_duplicate: true });
    if (r.status === 409) {
      check(r.body.error.code === 'slot_full', '6: the slot filled up');
      break;
    }
  }
  const p = await L.open(browser);
  await L.signIn(p, 'colleague', '/booking/?week=' + slot.start.slice(0, 10));
  await L.missingKeys(p);
  const b = p.locator('#week button.slot.full').first();
  await b.waitFor();
  check((await b.textContent()).includes('full'), '6: a full slot says "full"');
  await b.click();
  await p.waitForSelector('#alts:not([hidden]) #altlist a');
  check(await p.locator('#altlist a').count() >= 1, '7: the full slot opens its alternatives (week)');
  check(await p.evaluate(() => document.activeElement.closest('#alts') !== null),
        '7: focus moves to the alternatives');
  await p.keyboard.press('Escape');
  check(await p.isHidden('#alts'), '7: Escape closes them');
  await p.goto(BASE + '/booking/day.html?date=' + slot.start.slice(0, 10));
  await L.missingKeys(p);
  await p.click('.dayslot.full button');
  await p.waitForSelector('.dayslot.full .alts a');
  check(true, '7: the full slot opens its alternatives (day)');
  /* booking the full slot anyway: words and alternatives, no code */
  await p.goto(BASE + '/booking/book.html?start=' + encodeURIComponent(slot.start));
  await L.missingKeys(p);
  const text = await p.evaluate(() => document.body.innerText);
  check(!/slot_full|the slot has no free place/.test(text), '6: no server wording');
  noErrors(p, '6/7');
  await p.ctx.close();
}

/* 8: the list of bookings. */
async function list(browser, s, stamp) {
  const slot = await L.freeSlot(s, 1);
  const r = await book(s, slot, 'Liste', 'Eintrag' + stamp);
  const p = await L.open(browser);
  await L.signIn(p, 'colleague', '/booking/mine.html');
  await L.missingKeys(p);
  await p.locator('.brow', { hasText: 'Eintrag' + stamp }).first().waitFor();
  check(await p.locator('.group h2').count() >= 1, '8: grouped by day');
  const h = await p.locator('.brow').first().boundingBox();
  check(h && h.height < 120, '8: compact rows (' + (h && Math.round(h.height)) + ' px)');
  const row = p.locator('.brow', { hasText: 'Eintrag' + stamp });
  await row.locator('button', { hasText: 'Cancel' }).click();
  check(await row.locator('.panel').count() === 1, '8: cancel panel open');
  await row.locator('.panel button.link').click();
  check(await row.locator('.panel').count() === 0, '8: cancel panel closes');
  await row.locator('button', { hasText: 'Cancel' }).click();
  await row.locator('.panel button.danger').dblclick();
  await p.waitForTimeout(300);
  check(await row.locator('.row-status').isVisible(), '8: a missing reason is said');
  await p.keyboard.press('Escape');
  check(await row.locator('.panel').count() === 0, '8: Escape closes the panel');
  await row.locator('button', { hasText: 'Cancel' }).click();
  await p.fill('.panel input', 'no time');
  await p.click('.panel button.danger');
  await p.waitForSelector('.brow.cancelled');
  const c = p.locator('.brow.cancelled', { hasText: 'Eintrag' + stamp });
  check((await c.textContent()).includes('Cancelled'), '8: cancelled marked in words');
  const op = await c.evaluate((e) => getComputedStyle(e).opacity);
  check(op === '1', '8: cancelled rows are not faded (' + op + ')');
  await p.fill('#q', 'eintrag' + stamp);
  await p.press('#q', 'Enter');
  await p.waitForFunction(() => document.querySelectorAll('.brow').length === 1);
  check(true, '8: search narrows the list');
  check(r.status === 201, '8: setup');
  noErrors(p, '8');
  await p.ctx.close();
}

/* 9: a high no-show risk asks before booking. */
async function risk(browser, s) {
  /* "Risiko, Rita": three no-shows in the imported history (fixtures) */
  const last = 'Risiko';
  const slot = await L.freeSlot(s, 1);
  const p = await L.open(browser);
  await L.signIn(p, 'colleague', '/booking/book.html?start=' + encodeURIComponent(slot.start));
  await L.missingKeys(p);
  await p.fill('#first_name', 'Rita');
  await p.fill('#last_name', last);
  await p.waitForSelector('#history-body .badge.bad');
  await p.click('#submit');
  await p.waitForSelector('#confirm:not([hidden])');
  check((await p.textContent('#confirm-text')).includes('3'), '9: the question names the no-shows');
  check(await p.isHidden('#done'), '9: not booked before confirming');
  await p.click('#confirm-yes');
  await p.waitForSelector('#done:not([hidden])');
  check(true, '9: booked after confirming');
  noErrors(p, '9');
  await p.ctx.close();
}

/* 1: limits per user; a limited page says so and keeps the typing. */
async function rateLimit(browser, col) {
  const p = await L.open(browser, {}, (u, st) => st === 429);
  await L.signIn(p, 'browser', '/booking/book.html');
  await L.missingKeys(p);
  await p.fill('#first_name', 'Bleibt');
  const me = await L.session('browser');
  let st = 0;
  for (let i = 0; i < 200 && st !== 429; i++)
    st = (await me.get('/api/v1/auth/me')).status;
  check(st === 429, '1: the user reached the limit');
  await p.fill('#last_name', 'Erhalten');
  await p.waitForFunction(() => /wait|warten/i.test(document.getElementById('warn').textContent));
  check(await p.inputValue('#first_name') === 'Bleibt' &&
        await p.inputValue('#last_name') === 'Erhalten', '1: what was typed is kept');
  /* a reload while limited: words, not the sign-in page */
  await p.reload();
  await p.waitForSelector('#hub-banner:not([hidden])');
  check(/wait|warten/i.test(await p.textContent('#hub-banner')), '1: the page says so in words');
  check(!p.url().includes('/auth/'), '1: not sent to sign-in');
  /* the colleague at the same address is not limited */
  const r = await col.get('/api/v1/auth/me');
  check(r.status === 200, '1: a colleague at the same address is not limited (' + r.status + ')');
  const pc = await L.open(browser);
  await L.signIn(pc, 'colleague', '/booking/');
  await pc.waitForSelector('#week .day');
  check(true, '1: the colleague works on');
  noErrors(pc, '1');
  await pc.ctx.close();
  await p.ctx.close();
}

(async () => {
  const browser = await L.launch();
  const stamp = String(Date.now()).slice(-6);
  /* each part on its own: one failing does not hide the others */
  async function part(name, fn) {
    try { await fn(); } catch (e) { check(false, name + ': ' + (e && e.stack || e)); }
  }
  const col = await L.session('colleague');
  const boss = await L.session('boss');
  await part('5', () => startAndNotFound(browser));
  await part('2', () => staffAccess(browser, col, stamp));
  await part('3', () => duplicate(browser, col, stamp));
  await part('4', () => assignment(browser, boss, boss, stamp));
  await part('6/7', () => fullSlot(browser, boss, stamp));
  await part('8', () => list(browser, col, stamp));
  await part('9', () => risk(browser, boss));
  await part('1', () => rateLimit(browser, col));
  await browser.close();
  process.exit(L.report('browser.phonedesk'));
})();
