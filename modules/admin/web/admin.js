/*
 * admin.js - the admin console's shell: waits for the shared UI kit,
 * refuses anyone who is not an admin with a clear page, switches views by
 * the URL's #hash, and offers the views (views_*.js) small helpers:
 * elements, tables, forms, status lines, paging and a confirmation dialog
 * for destructive actions. Everything from the server goes into the page
 * as text, never as HTML.
 */
'use strict';

var ADM = (function () {
  var views = {};
  var t = function (k, p) { return UI.t(k, p); };

  /* An element with attributes and children (strings become text). */
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === false || v === null || v === undefined) return;
      if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    });
    [].concat(children === undefined ? [] : children).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ?
        document.createTextNode(String(c)) : c);
    });
    return e;
  }

  /* The status line: kind '' (note), 'ok' or 'error'. */
  function status(text, kind) {
    var s = document.getElementById('status');
    s.textContent = text || '';
    s.className = 'status' + (kind ? ' ' + kind : '');
    s.hidden = !text;
  }

  /* Shows the error of an API answer; returns true when r failed. */
  function failed(r, okStatuses) {
    var ok = (okStatuses || [200, 201, 202, 204]).indexOf(r.status) >= 0;
    if (!ok) {
      var msg = UI.errorText(r);
      if (r.body && r.body.error && r.body.error.message &&
          ['invalid_field', 'unknown_field', 'exists', 'holiday', 'last_admin',
           'self', 'backup', 'ambiguous'].indexOf(r.body.error.code) >= 0)
        msg += ' (' + r.body.error.message + ')';
      status(msg, 'error');
    }
    return !ok;
  }

  /* Asks before a destructive action. Resolves to true or false. */
  function confirmAction(text) {
    var d = document.getElementById('confirm');
    document.getElementById('confirm-text').textContent = text;
    return new Promise(function (resolve) {
      d.addEventListener('close', function once() {
        d.removeEventListener('close', once);
        resolve(d.returnValue === 'ok');
      });
      d.returnValue = '';
      d.showModal();
      document.getElementById('confirm-no').focus();
    });
  }

  /* A table from column headers and rows of cells (nodes or text). */
  function table(caption, heads, rows) {
    var thead = h('thead', {}, h('tr', {}, heads.map(function (x) {
      return h('th', { scope: 'col', 'class': x.num ? 'num' : null },
        x.text !== undefined ? x.text : x);
    })));
    var tbody = h('tbody', {}, rows.map(function (r) {
      return h('tr', {}, r.map(function (c, i) {
        return h('td', { 'class': heads[i] && heads[i].num ? 'num' : null }, c);
      }));
    }));
    if (!rows.length)
      tbody.appendChild(h('tr', {}, h('td', { colspan: heads.length,
        'class': 'muted' }, t('adm.none'))));
    return h('div', { 'class': 'table-wrap' },
      h('table', {}, [h('caption', { 'class': 'muted' }, caption), thead, tbody]));
  }

  /* A labelled input; returns {label, input}. */
  function field(key, attrs) {
    var id = 'f-' + key.replace(/\W/g, '-') + '-' + Math.random().toString(36).slice(2, 7);
    var input = h(attrs && attrs.tag === 'select' ? 'select' : 'input',
      Object.assign({ id: id, name: key }, attrs || {}, { tag: null }));
    return { label: h('label', { 'for': id }, [t(key), input]), input: input };
  }

  function select(key, options, value) {
    var f = field(key, { tag: 'select' });
    options.forEach(function (o) {
      f.input.appendChild(h('option', { value: o[0], selected: o[0] === value }, o[1]));
    });
    return f;
  }

  function button(key, onclick, cls) {
    return h('button', { type: 'button', 'class': cls || null, onclick: onclick }, t(key));
  }

  /* A box that shows a secret once, with a copy button. */
  function secretBox(titleKey, secret) {
    var code = h('p', { 'class': 'secret', id: 'secret-value' }, secret);
    var copy = button('adm.copy', async function () {
      try {
        await navigator.clipboard.writeText(secret);
        status(t('adm.copied'), 'ok');
      } catch (e) {
        var r = document.createRange();
        r.selectNodeContents(code);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(r);
        status(t('adm.copy_manual'));
      }
    });
    return h('div', { 'class': 'card', role: 'region', 'aria-label': t(titleKey) },
      [h('h2', {}, t(titleKey)), h('p', {}, t('adm.secret_once')), code, copy]);
  }

  function when(x) { return x ? UI.date(x, 'datetime') : '–'; }

  /* Today in the business zone as YYYY-MM-DD, plus n days. */
  function isoDay(n) {
    var d = new Date(Date.now() + (n || 0) * 86400000);
    return new Intl.DateTimeFormat('en-CA', { timeZone: UI.ZONE }).format(d);
  }

  /* A "more" button that loads the next page of a list. */
  function pager(next, load) {
    if (!next) return null;
    return h('div', { 'class': 'row' }, button('adm.more', function () { load(next); }));
  }

  function deniedPage() {
    var main = document.getElementById('view');
    document.getElementById('title').textContent = t('adm.denied.title');
    main.textContent = '';
    main.appendChild(h('div', { 'class': 'card denied', role: 'alert' }, [
      h('p', {}, t('adm.denied.text')),
      h('p', {}, h('a', { href: '/booking/' }, t('adm.denied.back')))]));
  }

  async function show() {
    var name = (location.hash || '#dashboard').slice(1);
    if (!views[name]) name = 'dashboard';
    document.querySelectorAll('#nav a').forEach(function (a) {
      if (a.getAttribute('data-view') === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.getElementById('title').textContent = t('adm.v.' + name);
    document.title = t('adm.v.' + name) + ' · ' + t('adm.title');
    status('');
    var root = document.getElementById('view');
    root.textContent = '';
    try {
      await views[name](root);
    } catch (e) {
      status(t('error.generic', { status: 0 }), 'error');
    }
  }

  UI.ready.then(function (s) {
    if (!s.user || s.user.role !== 'admin') return deniedPage();
    document.getElementById('nav').hidden = false;
    window.addEventListener('hashchange', show);
    show();
  });

  return {
    views: views, h: h, t: t, status: status, failed: failed,
    confirm: confirmAction, table: table, field: field, select: select,
    button: button, secretBox: secretBox, when: when, isoDay: isoDay, pager: pager, show: show
  };
})();
