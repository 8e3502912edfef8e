/*
 * booking_flow.js - from the week view to a confirmed booking in a real
 * browser (playwright-core driving Debian's chromium), with the actions
 * counted (typing the names is not an action):
 *   - by mouse: click a free slot, click Book                  (asserted <= 4)
 *   - by keyboard: Enter on the focused slot, Tab, Enter         (asserted <= 4)
 * plus the arrow keys of the week grid, focus in the first name when the
 * form opens, the Book button above the fold at 1366x768, the
 * confirmation naming consultant, category and reference, the category
 * reset, the history panel refreshed, a German browser (de-DE: "Mo., 7.
 * Dez.") and a German user setting chosen in the user menu, and the week
 * at phone size (375x667, nothing scrolling sideways). No console error,
 * no missing catalogue key, no internal code on screen.
 * Usage: BASE=http://127.0.0.1:PORT node booking_flow.js (exit 0 = passed)
 */
'use strict';

const L = require('./lib');
const { check, BASE } = L;

const INTERNAL = /\b(closer_needed|no_show|slot_full|pending|not_bookable|invalid_field)\b/;

async function noInternalCodes(page, what) {
  const text = await page.evaluate(() => document.body.innerText);
  check(!INTERNAL.test(text), what + ': no internal code on screen (' +
    (text.match(INTERNAL) || [''])[0] + ')');
}

/* The week view of the first week with a free slot; returns the page. */
async function weekWithFreeSlot(page) {
  await page.waitForSelector('#week .day');
  for (let i = 0; i < 5 && await page.locator('.slot.open, .slot.few').count() === 0; i++) {
    await page.click('#next');
    await page.waitForFunction(() => !document.getElementById('status').textContent);
  }
}

async function byMouse(browser, stamp) {
  const page = await L.open(browser);
  await L.signIn(page, 'browser', '/booking/');
  await page.waitForURL(/\/booking\/(\?|$)/);
  check((await L.missingKeys(page)).length === 0, 'mouse: no missing keys');
  await weekWithFreeSlot(page);
  check(await page.locator('#week .day').count() === 7, 'mouse: seven days');
  check(await page.locator('#keys dt').count() >= 4, 'mouse: the shortcut list is shown');
  check(await page.isVisible('#keys'), 'mouse: shortcut list visible');
  check((await page.textContent('.tz')).length > 5, 'mouse: Berlin time hint');
  let clicks = 0;
  const slot = page.locator('.slot.open, .slot.few').first();
  await slot.click(); clicks++;
  await page.waitForURL(/book\.html\?start=/);
  await page.waitForFunction(() => document.activeElement &&
    document.activeElement.id === 'first_name');
  check(true, 'mouse: focus in the first name');
  const box = await page.locator('#submit').boundingBox();
  check(box && box.y + box.height <= 768, 'mouse: Book button above the fold at 1366x768 (' +
    (box && Math.round(box.y + box.height)) + ')');
  await page.fill('#first_name', 'Maus');
  await page.fill('#last_name', 'Klick' + stamp);
  await page.click('#submit'); clicks++;
  await page.waitForSelector('#done:not([hidden])');
  const done = await page.textContent('#done');
  check(done.includes('Klick' + stamp + ', Maus'), 'mouse: confirmation names the customer');
  check(/Consultant: \S/.test(done) && !done.includes('no consultant'),
        'mouse: confirmation names the consultant (' + done + ')');
  check(/Category: Normal/.test(done), 'mouse: confirmation names the category');
  check(/Reference \d+/.test(done), 'mouse: confirmation names the reference');
  check(clicks <= 4, 'mouse: at most 4 actions (' + clicks + ')');
  console.log('interactions by mouse: ' + clicks);
  /* the history panel shows the new booking without typing again */
  await page.waitForFunction((n) => document.getElementById('history-body')
    .textContent.includes(n), 'Klick' + stamp);
  check(true, 'mouse: history panel refreshed after booking');
  /* the category resets after a booking */
  await page.selectOption('#category', 'top');
  await page.fill('#first_name', 'Kat');
  await page.fill('#last_name', 'Egorie' + stamp);
  await page.click('#submit');
  await page.waitForFunction(() => /Category: Top/.test(document.getElementById('done').textContent));
  check(await page.inputValue('#category') === 'normal', 'mouse: category reset to Normal');
  await noInternalCodes(page, 'mouse');
  check(page.problems.length === 0, 'mouse: no browser errors ' + JSON.stringify(page.problems));
  await page.ctx.close();
  return clicks;
}

async function byKeyboard(browser, stamp) {
  const page = await L.open(browser);
  await L.signIn(page, 'browser', '/booking/');
  await L.missingKeys(page);
  await weekWithFreeSlot(page);
  /* the grid has one tab stop, focused on a free slot */
  await page.waitForFunction(() => document.activeElement &&
    document.activeElement.matches('button.slot'));
  const stops = await page.locator('#week button.slot[tabindex="0"]').count();
  check(stops === 1, 'keyboard: one tab stop in the grid (' + stops + ')');
  const at = () => page.evaluate(() => [document.activeElement.dataset.day,
    document.activeElement.dataset.slot].join(','));
  const a0 = await at();
  await page.keyboard.press('ArrowDown');
  const a1 = await at();
  await page.keyboard.press('ArrowUp');
  check(a1 !== a0 && await at() === a0, 'keyboard: arrow keys move between slots');
  await page.keyboard.press('ArrowRight');
  const a2 = await at();
  check(a2.split(',')[0] !== a0.split(',')[0], 'keyboard: ArrowRight moves to another day');
  await page.keyboard.press('ArrowLeft');
  check(await at() === a0, 'keyboard: ArrowLeft comes back');
  /* counted from here: the focused free slot to a confirmed booking */
  let keys = 0;
  await page.keyboard.press('Enter'); keys++;
  await page.waitForURL(/book\.html\?start=/);
  await page.waitForFunction(() => document.activeElement &&
    document.activeElement.id === 'first_name');
  await page.keyboard.type('Tasta');
  await page.keyboard.press('Tab'); keys++;
  check(await page.evaluate(() => document.activeElement.id) === 'last_name',
        'keyboard: Tab reaches the last name');
  await page.keyboard.type('Tur' + stamp);
  await page.keyboard.press('Enter'); keys++;
  await page.waitForSelector('#done:not([hidden])');
  check((await page.textContent('#done')).includes('Tur' + stamp + ', Tasta'),
        'keyboard: booked');
  check(keys <= 4, 'keyboard: at most 4 actions (' + keys + ')');
  console.log('interactions by keyboard: ' + keys);
  check(page.problems.length === 0, 'keyboard: no browser errors ' + JSON.stringify(page.problems));
  await page.ctx.close();
  return keys;
}

/* A German browser: German words, dates "Mo., 7. Dez.". */
async function germanBrowser(browser) {
  const page = await L.open(browser, { locale: 'de-DE' });
  await L.signIn(page, 'browser', '/booking/');
  check((await L.missingKeys(page)).length === 0, 'de-DE: no missing keys');
  check(await page.evaluate(() => document.documentElement.lang) === 'de', 'de-DE: page in German');
  await page.waitForSelector('#week .day h2 a');
  const heads = await page.locator('#week .day h2 a').allTextContents();
  check(/^Mo\., \d{1,2}\. [A-ZÄ][a-zä]{2,3}\.?$/.test(heads[0]),
        'de-DE: day heading like "Mo., 7. Dez." (' + heads[0] + ')');
  check((await page.textContent('h1')).startsWith('Woche'), 'de-DE: "Woche"');
  check((await page.textContent('.tz')).includes('Berliner Zeit'), 'de-DE: Berlin time hint');
  await page.goto(BASE + '/booking/day.html?date=2026-12-07');
  await page.waitForFunction(() => document.getElementById('title').textContent.length > 0);
  check(await page.textContent('#title') === 'Montag, 7. Dezember 2026',
        'de-DE: day view title (' + await page.textContent('#title') + ')');
  await page.goto(BASE + '/booking/book.html');
  await page.waitForFunction(() => document.getElementById('date').value);
  check(/^\d{2}\.\d{2}\.\d{4}$/.test(await page.inputValue('#date')),
        'de-DE: dates typed as TT.MM.JJJJ (' + await page.inputValue('#date') + ')');
  await noInternalCodes(page, 'de-DE');
  check(page.problems.length === 0, 'de-DE: no browser errors ' + JSON.stringify(page.problems));
  await page.ctx.close();
}

/* An English browser, a user who chooses German in the user menu. */
async function germanSetting(browser) {
  const page = await L.open(browser, { locale: 'en-US' });
  await L.signIn(page, 'colleague', '/booking/');
  await L.missingKeys(page);
  check(await page.evaluate(() => document.documentElement.lang) === 'en', 'setting: English first');
  await page.click('#usermenu summary');
  await Promise.all([page.waitForNavigation(), page.click('#usermenu button[lang="de"]')]);
  await L.missingKeys(page);
  check(await page.evaluate(() => document.documentElement.lang) === 'de',
        'setting: German after choosing it');
  const s = await L.session('colleague');
  check(s.user.language === 'de', 'setting: stored with the user');
  /* a new browser session of that user, English browser: still German */
  const p2 = await L.open(browser, { locale: 'en-US' });
  await L.signIn(p2, 'colleague', '/booking/mine.html');
  await L.missingKeys(p2);
  check(await p2.evaluate(() => document.documentElement.lang) === 'de',
        'setting: German in a new session');
  check((await p2.textContent('h1')) === 'Buchungen', 'setting: German headings');
  await s.patch('/api/v1/auth/me', { language: 'en' });
  check(page.problems.length + p2.problems.length === 0, 'setting: no browser errors ' +
    JSON.stringify(page.problems.concat(p2.problems)));
  await page.ctx.close();
  await p2.ctx.close();
}

/* The week at phone size: one column, nothing scrolls sideways. */
async function phone(browser) {
  const page = await L.open(browser, { viewport: { width: 375, height: 667 },
    isMobile: true, hasTouch: true });
  await L.signIn(page, 'browser', '/booking/');
  await page.waitForSelector('#week .day');
  for (const path of ['/booking/', '/booking/day.html', '/booking/book.html',
                      '/booking/mine.html']) {
    await page.goto(BASE + path);
    await L.missingKeys(page);
    await page.waitForTimeout(300);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(w <= 375, 'phone: ' + path + ' fits 375 px (' + w + ')');
  }
  check(page.problems.length === 0, 'phone: no browser errors ' + JSON.stringify(page.problems));
  await page.ctx.close();
}

(async () => {
  const browser = await L.launch();
  const stamp = String(Date.now()).slice(-6);
  try {
    await byMouse(browser, stamp);
    await byKeyboard(browser, stamp);
    await germanBrowser(browser);
    await germanSetting(browser);
    await phone(browser);
  } catch (e) {
    check(false, 'exception: ' + (e && e.stack || e));
  } finally {
    await browser.close();
  }
  process.exit(L.report('browser.booking_flow'));
})();
