/*
 * common.js - shared by the booking pages: the signed-in user and CSRF
 * token (/api/v1/auth/me), JSON requests, business-zone dates, and small
 * DOM helpers. Everything the server sends is put into the page with
 * textContent, never as HTML.
 */
'use strict';

var BK = (function () {
  var csrf = null;
  var user = null;
  var ZONE = 'Europe/Berlin';
  var DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday',
              'Saturday', 'Sunday'];
  var SHORT = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

  function loginRedirect() {
    window.location.assign('/auth/?next=' +
      encodeURIComponent(window.location.pathname + window.location.search));
  }

  /* One JSON request. Resolves to {status, body, headers}; status 0 when
   * the server could not be reached. A 401 sends the user to sign in. */
  async function api(method, path, body, headers) {
    var h = { 'Accept': 'application/json' };
    var opts = { method: method, headers: h, credentials: 'same-origin' };
    var res, data = null, ct;
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrf) h['X-CSRF-Token'] = csrf;
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    try {
      res = await fetch(path, opts);
    } catch (e) {
      return { status: 0, headers: null, body: { error: { code: 'network',
        message: 'The server cannot be reached. Check the connection ' +
                 'and try again.' } } };
    }
    ct = res.headers.get('Content-Type') || '';
    if (ct.indexOf('application/json') === 0) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (res.status === 401) loginRedirect();
    return { status: res.status, body: data, headers: res.headers };
  }

  /* Loads the signed-in user; otherwise redirects to the sign-in page
   * and never resolves. */
  async function init() {
    var r = await api('GET', '/api/v1/auth/me');
    if (r.status !== 200 || !r.body || !r.body.user) {
      loginRedirect();
      return new Promise(function () {}); /* the page is leaving */
    }
    user = r.body.user;
    csrf = r.body.csrf_token;
    var who = document.getElementById('who');
    if (who) who.textContent = user.username + ' (' + user.role + ')';
    var out = document.getElementById('logout');
    if (out) {
      out.hidden = false;
      out.addEventListener('click', async function () {
        await api('POST', '/api/v1/auth/logout');
        window.location.assign('/auth/');
      });
    }
    return user;
  }

  function errorText(r) {
    if (r.body && r.body.error && r.body.error.message)
      return r.body.error.message;
    return 'Something went wrong (HTTP ' + r.status + ').';
  }

  /* The field an API error names ("field 'first_name': ..."), or null. */
  function errorField(r) {
    var m = /field '([^']+)'/.exec(errorText(r));
    return m ? m[1] : null;
  }

  /* ---- dates: "YYYY-MM-DD" in the business zone ---- */

  function today() {
    var parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE,
      year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(
      new Date());
    var v = {};
    parts.forEach(function (p) { v[p.type] = p.value; });
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

  /* ISO weekday 1..7 of a date. */
  function weekday(s) {
    var w = new Date(s + 'T00:00:00Z').getUTCDay();
    return w === 0 ? 7 : w;
  }

  function monday(s) { return addDays(s, 1 - weekday(s)); }

  function dayName(s) { return DAYS[weekday(s) - 1]; }
  function shortDay(s) { return SHORT[weekday(s) - 1]; }

  /* "Mon 30.11." */
  function dayLabel(s) {
    return shortDay(s) + ' ' + s.slice(8, 10) + '.' + s.slice(5, 7) + '.';
  }

  /* The API's instants carry the business zone's offset, so the wall
   * time is in the text: "2026-11-30T09:00:00+01:00" -> "09:00". */
  function timeOf(rfc) { return rfc.slice(11, 16); }
  function dateOf(rfc) { return rfc.slice(0, 10); }
  function whenLabel(rfc) {
    return dayLabel(dateOf(rfc)) + dateOf(rfc).slice(0, 4) + ' ' +
           timeOf(rfc);
  }

  /* ---- DOM ---- */

  /* el('p', {class: 'x', text: 'hi'}, [children]) */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k === 'hidden') e.hidden = true;
      else e.setAttribute(k, v === true ? '' : v);
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(typeof c === 'string' ?
        document.createTextNode(c) : c);
    });
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* Shows a message in a status region (kind: '', 'error', 'ok'). */
  function say(node, text, kind) {
    node.textContent = text || '';
    node.className = 'status' + (kind ? ' ' + kind : '');
    node.hidden = !text;
  }

  function query(name) {
    return new URLSearchParams(window.location.search).get(name);
  }

  return { api: api, init: init, errorText: errorText,
           errorField: errorField, today: today, validDate: validDate,
           addDays: addDays, weekday: weekday, monday: monday,
           dayName: dayName, dayLabel: dayLabel, timeOf: timeOf,
           dateOf: dateOf, whenLabel: whenLabel, el: el, clear: clear,
           say: say, query: query,
           user: function () { return user; } };
})();
