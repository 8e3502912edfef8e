/*
 * views_ops.js - the dashboard (bookings per slot today and this week,
 * health, calendar sync per consultant, outbox backlog, calendar quota,
 * the no-show alert), the audit log and the server log (filters, paging),
 * backups (create, list, download, verify), jobs (run now), the outbox
 * (retry), and settings (require 2FA; the effective configuration).
 */
'use strict';

(function () {
  var h = ADM.h, t = ADM.t;

  function card(titleKey, body) {
    return h('section', { 'class': 'card', 'aria-label': t(titleKey) },
      [h('h2', {}, t(titleKey))].concat(body));
  }

  function stateText(s) {
    var cls = s === 'healthy' || s === 'ok' ? 'ok' : s === 'degraded' ? 'warnc' : 'bad';
    return h('span', { 'class': cls }, t('adm.health.' + s));
  }

  /* ------------------------------------------------------- dashboard */

  function slotTable(days) {
    var rows = [];
    days.forEach(function (d) {
      if (d.blocked) {
        rows.push([UI.date(d.date + 'T12:00:00Z'), t('adm.dash.blocked', { reason: d.reason || '' }), '']);
        return;
      }
      d.slots.forEach(function (s) {
        rows.push([UI.date(s.start), UI.date(s.start, 'time'),
          UI.number(s.booked) + ' / ' + UI.number(s.capacity)]);
      });
    });
    return ADM.table(t('adm.dash.per_slot'), [t('adm.dash.day'), t('adm.dash.time'),
      { text: t('adm.dash.booked'), num: true }], rows);
  }

  function metric(text, name) {
    var m = new RegExp('^' + name + '(?:\\{[^}]*\\})? ([0-9.eE+-]+)$', 'm').exec(text || '');
    return m ? Number(m[1]) : null;
  }

  ADM.views.dashboard = async function (root) {
    var today = ADM.isoDay(0), week = ADM.isoDay(6);
    var res = await Promise.all([
      UI.api('GET', '/api/v1/slots?from=' + today + '&to=' + week),
      fetch('/health', { credentials: 'same-origin' }).then(function (r) { return r.json(); })
        .catch(function () { return null; }),
      UI.api('GET', '/api/v1/admin/consultants'),
      UI.api('GET', '/api/v1/admin/calendar-sync'),
      UI.api('GET', '/api/v1/admin/outbox?state=pending&limit=1000'),
      UI.api('GET', '/api/v1/admin/outbox?state=failed&limit=1000'),
      fetch('/metrics', { credentials: 'same-origin' }).then(function (r) { return r.text(); })
        .catch(function () { return ''; }),
      UI.api('GET', '/api/v1/analytics/summary')]);
    var slots = res[0], health = res[1], cons = res[2], sync = res[3];
    var grid = h('div', { 'class': 'cards' });
    root.appendChild(grid);

    var alert = res[7];
    if (alert.status === 200 && alert.body && alert.body.alert) {
      var a = alert.body.alert;
      grid.appendChild(card('adm.dash.alert', h('p', { 'class': a.active ? 'bad' : 'ok',
        role: a.active ? 'alert' : null }, t(a.active ? 'adm.dash.alert_on' : 'adm.dash.alert_off',
        { rate: UI.percent(a.no_show_rate_7d), threshold: UI.percent(a.threshold) }))));
    }
    if (health) {
      grid.appendChild(card('adm.dash.health', [h('p', {}, stateText(health.status)),
        h('ul', {}, Object.keys(health.checks || {}).map(function (k) {
          var c = health.checks[k];
          return h('li', {}, [k + ': ', stateText(c.status === 'ok' ? 'ok' :
            c.status === 'degraded' ? 'degraded' : 'unhealthy'), ' ' + (c.detail || '')]);
        }))]));
    }
    var pend = res[4].status === 200 ? res[4].body.items.length : null;
    var fail = res[5].status === 200 ? res[5].body.items.length : null;
    grid.appendChild(card('adm.dash.outbox', [
      h('p', {}, t('adm.dash.outbox_text', { pending: pend === null ? '–' : pend,
        failed: fail === null ? '–' : fail })),
      h('a', { href: '#outbox' }, t('adm.v.outbox'))]));
    var used = metric(res[6], 'hub_calendar_quota_in_use');
    var limit = metric(res[6], 'hub_calendar_quota_limit');
    grid.appendChild(card('adm.dash.quota', h('p', {}, used === null || !limit ?
      t('adm.dash.quota_none') : t('adm.dash.quota_text', { used: used, limit: limit }))));
    if (cons.status === 200) {
      var st = sync.status === 200 ? sync.body.items : [];
      grid.appendChild(card('adm.dash.sync', ADM.table(t('adm.dash.sync'),
        [t('adm.cons.name'), t('adm.dash.sync_state')],
        cons.body.items.filter(function (c) { return c.active; }).map(function (c) {
          var s = st.filter(function (x) { return x.calendar_id === c.calendar_id; })[0];
          var text = !c.calendar_id ? t('adm.dash.sync_nocal') : !s ? t('adm.dash.sync_never') :
            s.last_error ? t('adm.dash.sync_error', { error: s.last_error }) :
            t('adm.dash.sync_ok', { when: ADM.when(s.last_ok) });
          return [c.name, h('span', { 'class': s && s.last_error ? 'bad' : null }, text)];
        }))));
    }
    if (!ADM.failed(slots)) {
      root.appendChild(card('adm.dash.today', slotTable(slots.body.days.slice(0, 1))));
      root.appendChild(card('adm.dash.week', slotTable(slots.body.days)));
    }
  };

  /* ---------------------------------------------------- audit, logs */

  /* A filtered, paged list: fields [key, attrs], a URL builder, rows. */
  function listView(root, fields, url, heads, row) {
    var inputs = fields.map(function (f) { return f[2] ? f[2] : ADM.field(f[0], f[1]); });
    var body = h('div');
    var form = h('form', { 'class': 'card' }, h('div', { 'class': 'row' },
      inputs.map(function (i) { return i.label; }).concat(
        h('button', { type: 'submit', 'class': 'primary' }, t('adm.filter')))));
    async function load(cursor) {
      var q = new URLSearchParams();
      inputs.forEach(function (i, k) { if (i.input.value) q.set(fields[k][3], i.input.value); });
      q.set('limit', '50');
      if (cursor) q.set('cursor', cursor);
      var r = await UI.api('GET', url + '?' + q.toString());
      if (!cursor) body.textContent = '';
      var old = body.querySelector('.pager');
      if (old) old.remove();
      if (ADM.failed(r)) return;
      body.appendChild(ADM.table(t('adm.page'), heads, r.body.items.map(row)));
      var p = ADM.pager(r.body.next_cursor, load);
      if (p) { p.classList.add('pager'); body.appendChild(p); }
    }
    form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    root.appendChild(form);
    root.appendChild(body);
    return load();
  }

  ADM.views.audit = function (root) {
    return listView(root, [['adm.f.since', { type: 'date' }, null, 'since'],
      ['adm.f.actor', { maxlength: 100 }, null, 'actor'],
      ['adm.f.action', { maxlength: 64, placeholder: 'user.create' }, null, 'action']],
      '/api/v1/admin/audit',
      [t('adm.a.at'), t('adm.a.actor'), t('adm.a.action'), t('adm.a.target'),
       t('adm.a.detail'), t('adm.a.client')],
      function (e) { return [ADM.when(e.at), e.actor, e.action, e.target || '',
        e.detail || '', e.client || '']; });
  };

  ADM.views.logs = function (root) {
    var level = ADM.select('adm.f.level', [['', t('adm.f.any')], ['debug', 'debug'],
      ['info', 'info'], ['warn', 'warn'], ['error', 'error']], '');
    return listView(root, [['adm.f.level', null, level, 'level'],
      ['adm.f.since', { type: 'date' }, null, 'since'],
      ['adm.f.text', { maxlength: 200 }, null, 'q']],
      '/api/v1/admin/logs',
      [t('adm.a.at'), t('adm.l.level'), t('adm.l.module'), t('adm.l.message'),
       t('adm.l.request')],
      function (e) { return [ADM.when(e.time), h('span', { 'class': e.level === 'error' ?
        'bad' : e.level === 'warn' ? 'warnc' : null }, e.level), e.module, e.message,
        e.request_id || '']; });
  };

  /* --------------------------------------------------------- backups */

  ADM.views.backups = async function (root) {
    var make = ADM.button('adm.b.create', async function () {
      make.disabled = true;
      ADM.status(t('adm.b.working'));
      var r = await UI.api('POST', '/api/v1/admin/backups');
      make.disabled = false;
      if (ADM.failed(r)) return;
      await ADM.show();
      ADM.status(t('adm.b.created', { name: r.body.name }), 'ok');
    }, 'primary');
    make.id = 'backup-create';
    root.appendChild(h('div', { 'class': 'card' }, [h('p', {}, t('adm.b.text')), make]));
    var r = await UI.api('GET', '/api/v1/admin/backups');
    if (ADM.failed(r)) return;
    root.appendChild(ADM.table(t('adm.v.backups'), [t('adm.b.name'), t('adm.b.when'),
      { text: t('adm.b.size'), num: true }, t('adm.b.verified'), t('adm.actions')],
      r.body.items.map(function (b) {
        return [b.name, ADM.when(b.created_at), UI.number(Math.round(b.size / 1024)) + ' KiB',
          h('span', { 'class': b.verified ? 'ok' : 'bad' }, t(b.verified ? 'adm.yes' : 'adm.no')),
          h('div', { 'class': 'row' }, [
            h('a', { 'class': 'button', href: '/api/v1/admin/backups/' +
              encodeURIComponent(b.name), download: b.name }, t('adm.b.download')),
            ADM.button('adm.b.verify', async function () {
              var v = await UI.api('POST', '/api/v1/admin/backups/' +
                encodeURIComponent(b.name) + '/verify');
              if (ADM.failed(v)) return;
              await ADM.show();
              ADM.status(v.body.verified ? t('adm.b.sound', { name: b.name }) :
                t('adm.b.damaged', { name: b.name, error: v.body.error || '' }),
                v.body.verified ? 'ok' : 'error');
            })])];
      })));
  };

  /* ------------------------------------------------------------ jobs */

  ADM.views.jobs = async function (root) {
    var r = await UI.api('GET', '/api/v1/admin/jobs');
    if (ADM.failed(r)) return;
    root.appendChild(ADM.table(t('adm.v.jobs'), [t('adm.j.name'), t('adm.j.schedule'),
      t('adm.j.last'), t('adm.j.status'), t('adm.j.next'), t('adm.actions')],
      r.body.items.map(function (j) {
        return [j.module + ' / ' + j.name, j.schedule, ADM.when(j.last_run),
          h('span', { 'class': j.last_status === 'failed' ? 'bad' : null },
            (j.last_status ? t('adm.j.' + j.last_status) : '–') +
            (j.last_error ? ': ' + j.last_error : '')),
          ADM.when(j.next_run),
          ADM.button('adm.j.run', async function () {
            var x = await UI.api('POST', '/api/v1/admin/jobs/' + encodeURIComponent(j.name) +
              '/run?module=' + encodeURIComponent(j.module));
            if (!ADM.failed(x)) ADM.status(t('adm.j.queued', { name: j.name }), 'ok');
          })];
      })));
  };

  /* ---------------------------------------------------------- outbox */

  ADM.views.outbox = function (root) {
    var state = ADM.select('adm.o.state', [['', t('adm.f.any')],
      ['pending', t('adm.o.pending')], ['failed', t('adm.o.failed')]], '');
    return listView(root, [['adm.o.state', null, state, 'state']], '/api/v1/admin/outbox',
      [t('adm.o.id'), t('adm.o.op'), t('adm.o.state'), { text: t('adm.o.attempts'), num: true },
       t('adm.o.error'), t('adm.b.when'), t('adm.actions')],
      function (o) {
        return [String(o.id), o.op + ' ' + o.hub_key, t('adm.o.' + o.state),
          UI.number(o.attempts), o.last_error || '', ADM.when(o.created_at),
          ADM.button('adm.o.retry', async function () {
            var x = await UI.api('POST', '/api/v1/admin/outbox/' + o.id + '/retry');
            if (!ADM.failed(x)) ADM.status(t('adm.o.queued', { id: o.id }), 'ok');
          })];
      });
  };

  /* -------------------------------------------------------- settings */

  ADM.views.settings = async function (root) {
    var r = await UI.api('GET', '/api/v1/admin/settings');
    if (ADM.failed(r)) return;
    var box = h('input', { type: 'checkbox', id: 'req2fa', checked: r.body.require_2fa });
    var save = ADM.button('adm.save', async function () {
      if (box.checked && !r.body.require_2fa &&
          !await ADM.confirm(t('adm.s.require_q'))) return;
      var x = await UI.api('PATCH', '/api/v1/admin/settings', { require_2fa: box.checked });
      if (ADM.failed(x)) return;
      await ADM.show();
      ADM.status(t('adm.s.saved'), 'ok');
    }, 'primary');
    root.appendChild(card('adm.s.security', [
      h('div', { 'class': 'row' }, [box, h('label', { 'for': 'req2fa' }, t('adm.s.require'))]),
      h('p', { 'class': 'muted' }, t(r.body.require_2fa_source === 'database' ?
        'adm.s.from_db' : 'adm.s.from_config')), save]));
    var c = await UI.api('GET', '/api/v1/admin/config');
    if (ADM.failed(c)) return;
    root.appendChild(card('adm.s.config', [h('p', { 'class': 'muted' }, t('adm.s.config_text')),
      h('pre', { 'class': 'config', tabindex: '0' }, Object.keys(c.body).map(function (s) {
        return '[' + s + ']\n' + Object.keys(c.body[s]).map(function (k) {
          return k + ' = ' + c.body[s][k];
        }).join('\n');
      }).join('\n\n'))]));
  };
})();
