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

  function loginRedirect() {
    window.location.assign('/auth/?next=' +
      encodeURIComponent(window.location.pathname + window.location.search));
  }

  /* One JSON request. Resolves to {status, body, headers}; status 0 when
   * the server could not be reached. A 401 sends the user to sign in. */
  async function api(method, path, body, headers) {
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
    if (res.status === 401 && document.body.getAttribute('data-public') === null)
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
    return t('error.generic', { status: r.status });
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function setLanguage(l) {
    if (LANGS.indexOf(l) < 0) return;
    if (user) await api('PATCH', '/api/v1/auth/me', { language: l });
    window.location.reload();
  }

  /* The user's menu in #usermenu: name, password, 2FA, language, sign-out. */
  function userMenu() {
    var box = document.getElementById('usermenu');
    if (!box || !user) return;
    var det = el('details', { 'class': 'usermenu' });
    det.appendChild(el('summary', {}, user.username));
    var list = el('ul');
    function item(node) { var li = el('li'); li.appendChild(node); list.appendChild(li); }
    item(el('a', { href: '/auth/password.html' }, t('ui.menu.password')));
    item(el('a', { href: '/auth/totp.html' }, t('ui.menu.twofa')));
    LANGS.forEach(function (l) {
      var b = el('button', { type: 'button', 'class': 'link', lang: l,
        'aria-pressed': String(l === lang) }, t('ui.lang.' + l));
      b.addEventListener('click', function () { setLanguage(l); });
      item(b);
    });
    var out = el('button', { type: 'button', 'class': 'link' }, t('ui.menu.signout'));
    out.addEventListener('click', async function () {
      await api('POST', '/api/v1/auth/logout');
      window.location.assign('/auth/');
    });
    item(out);
    det.appendChild(list);
    box.textContent = '';
    box.appendChild(det);
  }

  /* Loads the user (unless the body has data-public), picks the
   * language, loads the catalogues and translates the page. */
  async function start() {
    if (document.body.getAttribute('data-public') === null) {
      var r = await api('GET', '/api/v1/auth/me');
      if (r.status !== 200 || !r.body || !r.body.user) {
        loginRedirect();
        return new Promise(function () {}); /* the page is leaving */
      }
      user = r.body.user;
      csrf = r.body.csrf_token;
    }
    lang = pickLanguage(user);
    document.documentElement.lang = lang;
    await loadCatalogues();
    apply();
    userMenu();
    return { user: user, lang: lang };
  }

  var ready = new Promise(function (resolve, reject) {
    document.addEventListener('DOMContentLoaded', function () {
      start().then(resolve, reject);
    });
  });

  return {
    ready: ready, t: t, apply: apply, api: api, errorText: errorText,
    date: date, number: number, percent: percent, el: el,
    setLanguage: setLanguage, missing: missing, ZONE: ZONE,
    get lang() { return lang; }, get user() { return user; },
    get csrf() { return csrf; }
  };
})();
