/*
 * ui.js - the pages' shared kit, served by the core at /ui/ui.js:
 * message catalogues (German and English), dates, numbers and plurals in
 * the page's language, JSON requests with the CSRF token, and the common
 * header (product name, the page's navigation, the user's menu).
 *
 * A page loads it with <script src="/ui/ui.js" defer></script> before
 * its own script, names its module's catalogue folder in
 * <meta name="hub-catalogue" content="i18n/"> (relative to the page), and
 * marks translatable text with data-i18n="key" (textContent) and
 * data-i18n-attr="attr:key attr:key" (attributes). Its own script awaits
 * UI.ready, then uses UI.t(). A key missing from a catalogue is shown as
 * the key in brackets and recorded in UI.missing, which the browser tests
 * check. Everything the server sends is put into the page as text, never
 * as HTML.
 */
'use strict';

var UI = (function () {
  var LANGS = ['de', 'en'];
  var ZONE = 'Europe/Berlin';
  var cat = {};          /* merged catalogue of the current language */
  var lang = 'de';
  var csrf = null;
  var user = null;
  var missing = [];
  var plurals = null;

  function pickLanguage(u) {
    var i, l, nav = navigator.languages || [navigator.language || ''];
    if (u && LANGS.indexOf(u.language) >= 0) return u.language;
    try {
      l = window.localStorage.getItem('hub.lang');
      if (!u && LANGS.indexOf(l) >= 0) return l;
    } catch (e) { /* storage off: fall through */ }
    for (i = 0; i < nav.length; i++) {
      l = String(nav[i]).slice(0, 2).toLowerCase();
      if (LANGS.indexOf(l) >= 0) return l;
    }
    l = document.documentElement.getAttribute('data-default-lang');
    return LANGS.indexOf(l) >= 0 ? l : 'de';
  }

  async function fetchJson(url) {
    var r = await fetch(url, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }

  /* Loads the shared catalogue, then the module's (which may override). */
  async function loadCatalogues() {
    var meta = document.querySelector('meta[name="hub-catalogue"]');
    var shared = await fetchJson('/ui/i18n/' + lang + '.json');
    var own = meta ? await fetchJson(new URL(meta.content + lang + '.json',
      document.baseURI).href) : {};
    cat = Object.assign({}, shared, own);
    plurals = new Intl.PluralRules(lang);
  }

  /* The text of `key` with {name} placeholders filled from params; a
   * catalogue value {"one": ..., "other": ...} is chosen by params.n. */
  function t(key, params) {
    var v = cat[key], p = params || {};
    if (v === undefined) {
      if (missing.indexOf(key) < 0) missing.push(key);
      return '[' + key + ']';
    }
    if (typeof v === 'object')
      v = v[plurals.select(Number(p.n) || 0)] || v.other;
    return String(v).replace(/\{(\w+)\}/g, function (m, k) {
      if (p[k] === undefined) return m;
      return typeof p[k] === 'number' ? number(p[k]) : String(p[k]);
    });
  }

  /* Translates the marked elements below root (default: the document). */
  function apply(root) {
    var r = root || document;
    r.querySelectorAll('[data-i18n]').forEach(function (el) {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
    r.querySelectorAll('[data-i18n-attr]').forEach(function (el) {
      el.getAttribute('data-i18n-attr').split(/\s+/).forEach(function (pair) {
        var i = pair.indexOf(':');
        if (i > 0) el.setAttribute(pair.slice(0, i), t(pair.slice(i + 1)));
      });
    });
  }

  function number(x, opts) {
    return new Intl.NumberFormat(lang, opts).format(x);
  }

  /* A rate 0..1 as a percentage ("82 %" / "82%"); "–" for null. */
  function percent(x) {
    if (x === null || x === undefined || isNaN(x)) return '–';
    return number(x, { style: 'percent', maximumFractionDigits: 1 });
  }

  /* An instant (Date or RFC 3339 text) in the business time zone.
   * style: 'date' (Mo., 7. Dez.), 'long' (Montag, 7. Dezember 2026),
   * 'time' (14:00), 'datetime', 'weekday' (Mo.). */
  function date(d, style) {
    var o = { timeZone: ZONE };
    var x = d instanceof Date ? d : new Date(d);
    switch (style || 'date') {
    case 'long': o.weekday = 'long'; o.day = 'numeric'; o.month = 'long';
      o.year = 'numeric'; break;
    case 'time': o.hour = '2-digit'; o.minute = '2-digit'; o.hour12 = false;
      break;
    case 'datetime': o.weekday = 'short'; o.day = 'numeric';
      o.month = 'short'; o.hour = '2-digit'; o.minute = '2-digit';
      o.hour12 = false; break;
    case 'weekday': o.weekday = 'short'; break;
    default: o.weekday = 'short'; o.day = 'numeric'; o.month = 'short';
    }
    return new Intl.DateTimeFormat(lang, o).format(x);
  }

  /* ---- calendar dates "YYYY-MM-DD" in the business zone ---- */

  /* Today's date in Berlin. */
  function today() {
    var v = {};
    new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric',
      month: '2-digit', day: '2-digit' }).formatToParts(new Date())
      .forEach(function (p) { v[p.type] = p.value; });
    return v.year + '-' + v.month + '-' + v.day;
  }

  function validDate(s) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s || '')) return false;
    var d = new Date(s + 'T00:00:00Z');
    return !isNaN(d) && d.toISOString().slice(0, 10) === s;
  }

  function addDays(s, n) {
    var d = new Date(s + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  /* ISO weekday 1 (Monday) .. 7 of a date. */
  function weekday(s) {
    var w = new Date(s + 'T00:00:00Z').getUTCDay();
    return w === 0 ? 7 : w;
  }

  function monday(s) { return addDays(s, 1 - weekday(s)); }

  /* A calendar date as words of the language ('date', 'long', 'weekday',
   * 'short': "7. Dez." / "Dec 7"). Noon UTC is the same day in Berlin. */
  function day(s, style) {
    var x = new Date(s + 'T12:00:00Z');
    if (style === 'short')
      return new Intl.DateTimeFormat(lang, { timeZone: ZONE, day: 'numeric',
        month: 'short' }).format(x);
    return date(x, style);
  }

  /* How a date is typed in this language: "07.12.2026" / "2026-12-07". */
  function dateInput(s) {
    if (!validDate(s)) return '';
    return lang === 'de' ? s.slice(8, 10) + '.' + s.slice(5, 7) + '.' +
      s.slice(0, 4) : s;
  }

  /* Reads a typed date: "7.12.2026", "7.12." (this year), "2026-12-07",
   * "12/7/2026". Returns "YYYY-MM-DD" or null. */
  function parseDate(text) {
    var m, y, mo, d, t = String(text || '').trim();
    if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) {
      y = m[1]; mo = m[2]; d = m[3];
    } else if ((m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})?$/.exec(t))) {
      d = m[1]; mo = m[2]; y = m[3] || today().slice(0, 4);
    } else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) {
      mo = m[1]; d = m[2]; y = m[3];
    } else {
      return null;
    }
    var s = y + '-' + ('0' + mo).slice(-2) + '-' + ('0' + d).slice(-2);
    return validDate(s) ? s : null;
  }

  /* The field a 422 names ("field 'first_name': ..."), or null. */
  function errorField(r) {
    var m = r && r.body && r.body.error &&
      /field '([^']+)'/.exec(r.body.error.message || '');
    return m ? m[1] : null;
  }

  /* Shows text in a status element (kind '', 'ok', 'error'); hides it
   * when the text is empty. */
  function say(node, text, kind) {
    if (!node) return;
    node.textContent = text || '';
    node.classList.remove('ok', 'error', 'warn');
    node.classList.add('status');
    if (kind) node.classList.add(kind);
    node.hidden = !text;
  }

  function loginRedirect() {
    window.location.assign('/auth/?next=' +
      encodeURIComponent(window.location.pathname + window.location.search));
  }

  /* One JSON request. Resolves to {status, body, headers}; status 0 when
   * the server could not be reached. A 401 sends the user to sign in. */
  async function api(method, path, body, headers, quiet) {
    var h = { 'Accept': 'application/json' };
    var opts = { method: method, headers: h, credentials: 'same-origin' };
    var res, data = null;
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrf) h['X-CSRF-Token'] = csrf;
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    try {
      res = await fetch(path, opts);
    } catch (e) {
      return { status: 0, headers: null,
               body: { error: { code: 'network', message: t('ui.offline') } } };
    }
    if ((res.headers.get('Content-Type') || '').indexOf('application/json') === 0) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (res.status === 401 && !quiet &&
        document.body.getAttribute('data-public') === null)
      loginRedirect();
    return { status: res.status, body: data, headers: res.headers };
  }

  /* The user's words for an API error: the catalogue's text for its code
   * ("error.<code>"), else a generic text with the HTTP status. */
  function errorText(r) {
    var code = r.body && r.body.error && r.body.error.code;
    if (r.status === 429) {
      var s = r.headers && r.headers.get('Retry-After');
      return t('error.rate_limited', { n: Number(s) || 60 });
    }
    if (code && cat['error.' + code] !== undefined) return t('error.' + code);
    if (r.status === 0) return t('ui.offline');
    return t('error.generic', { status: r.status });
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Stores the language with the user (or, signed out, in this
   * browser) and reloads the page in it. */
  async function setLanguage(l) {
    if (LANGS.indexOf(l) < 0) return;
    try { window.localStorage.setItem('hub.lang', l); } catch (e) { /* */ }
    if (user) {
      var r = await api('PATCH', '/api/v1/auth/me', { language: l });
      if (r.status !== 200) { banner(errorText(r), 'error'); return; }
    }
    window.location.reload();
  }

  /* The user's menu in #usermenu: name, password, 2FA, language,
   * sign-out; signed out, only the language. */
  function userMenu() {
    var box = document.getElementById('usermenu');
    if (!box) return;
    var det = el('details', { 'class': 'usermenu' });
    det.appendChild(el('summary', { 'aria-label': user ?
      t('ui.menu.label', { name: user.username }) : t('ui.menu.language') },
      user ? user.username : t('ui.menu.language')));
    var list = el('ul');
    function item(node) { var li = el('li'); li.appendChild(node); list.appendChild(li); }
    if (user) {
      item(el('a', { href: '/auth/password.html' }, t('ui.menu.password')));
      item(el('a', { href: '/auth/totp.html' }, t('ui.menu.twofa')));
    }
    LANGS.forEach(function (l) {
      var b = el('button', { type: 'button', 'class': 'link', lang: l,
        'aria-pressed': String(l === lang) }, t('ui.lang.' + l));
      b.addEventListener('click', function () { setLanguage(l); });
      item(b);
    });
    if (user) {
      var out = el('button', { type: 'button', 'class': 'link' }, t('ui.menu.signout'));
      out.addEventListener('click', async function () {
        await api('POST', '/api/v1/auth/logout');
        window.location.assign('/auth/');
      });
      item(out);
    }
    det.appendChild(list);
    det.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && det.open) {
        det.open = false;
        det.querySelector('summary').focus();
      }
    });
    box.textContent = '';
    box.appendChild(det);
  }

  /* A line at the top of the page (the shared banner), e.g. when the
   * server limits requests; text only. Empty text removes it. */
  function banner(text, kind) {
    var b = document.getElementById('hub-banner');
    if (!b) {
      b = el('p', { id: 'hub-banner', role: 'alert', 'class': 'status' });
      var top = document.querySelector('.hub-top');
      if (top) top.insertAdjacentElement('afterend', b);
      else document.body.insertBefore(b, document.body.firstChild);
    }
    b.className = 'status hub-banner' + (kind ? ' ' + kind : '');
    b.textContent = text || '';
    b.hidden = !text;
  }

  /* GET /me; a 429 is said in words and retried after Retry-After (the
   * page and what was typed stay), never sent to sign-in. */
  async function loadMe() {
    for (;;) {
      var r = await api('GET', '/api/v1/auth/me', undefined, undefined, true);
      if (r.status !== 429) return r;
      var wait = Number(r.headers && r.headers.get('Retry-After')) || 5;
      if (!Object.keys(cat).length) {
        lang = pickLanguage(null);
        try { await loadCatalogues(); } catch (e) { /* words below */ }
      }
      banner(t('error.rate_limited', { n: wait }), 'error');
      await new Promise(function (res) { setTimeout(res, wait * 1000); });
    }
  }

  /* Loads the user (unless the body has data-public; with data-try-user a
   * public page still shows the menu of a signed-in user), picks the
   * language, loads the catalogues and translates the page. */
  async function start() {
    var pub = document.body.getAttribute('data-public') !== null;
    if (!pub || document.body.getAttribute('data-try-user') !== null) {
      var r = await loadMe();
      if (r.status === 200 && r.body && r.body.user) {
        user = r.body.user;
        csrf = r.body.csrf_token;
      } else if (!pub) {
        loginRedirect();
        return new Promise(function () {}); /* the page is leaving */
      }
    }
    lang = pickLanguage(user);
    document.documentElement.lang = lang;
    await loadCatalogues();
    apply();
    userMenu();
    banner('');
    return { user: user, lang: lang };
  }

  var ready = new Promise(function (resolve, reject) {
    document.addEventListener('DOMContentLoaded', function () {
      start().then(resolve, reject);
    });
  });

  return {
    ready: ready, t: t, apply: apply, api: api, errorText: errorText,
    errorField: errorField, date: date, day: day, number: number,
    percent: percent, el: el, say: say, banner: banner,
    today: today, validDate: validDate, addDays: addDays,
    weekday: weekday, monday: monday, dateInput: dateInput,
    parseDate: parseDate,
    setLanguage: setLanguage, missing: missing, ZONE: ZONE,
    get lang() { return lang; }, get user() { return user; },
    get csrf() { return csrf; }
  };
})();
