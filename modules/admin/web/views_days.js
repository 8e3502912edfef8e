/*
 * views_days.js - blocked days on a month calendar (public holidays
 * marked and not removable; choose a day to block it whole or one of its
 * slots, with a reason, or to remove a custom block) and the CSV export
 * of bookings for a date range.
 */
'use strict';

(function () {
  var h = ADM.h, t = ADM.t;
  var month = null; /* "YYYY-MM" shown */

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function ym(y, m) { return y + '-' + pad(m); }
  function daysIn(y, m) { return new Date(Date.UTC(y, m, 0)).getUTCDate(); }
  /* ISO weekday 1..7 of a date */
  function weekday(y, m, d) { return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7 + 1; }
  function dayLabel(iso) { return UI.date(iso + 'T12:00:00Z', 'long'); }

  async function dayPanel(root, iso, entries) {
    var box = h('section', { 'class': 'card', id: 'day-panel', 'aria-label': dayLabel(iso) },
      h('h2', {}, dayLabel(iso)));
    var holiday = entries.filter(function (e) { return e.holiday; })[0];
    if (holiday) box.appendChild(h('p', { 'class': 'warnc' },
      t('adm.days.holiday', { name: holiday.reason })));
    entries.filter(function (e) { return !e.holiday; }).forEach(function (e) {
      var what = e.time ? t('adm.days.slot_at', { time: e.time }) : t('adm.days.whole');
      box.appendChild(h('div', { 'class': 'row' }, [
        h('span', {}, what + ': ' + e.reason + ' (' + (e.added_by || '') + ')'),
        ADM.button('adm.days.unblock', async function () {
          if (!await ADM.confirm(t('adm.days.unblock_q', { what: what }))) return;
          var r = await UI.api('DELETE', '/api/v1/admin/blocked-dates/' + iso +
            (e.time ? '?time=' + encodeURIComponent(e.time) : ''));
          if (ADM.failed(r)) return;
          await render(root, iso);
          ADM.status(t('adm.days.unblocked'), 'ok');
        }, 'danger')]));
    });
    if (!holiday) {
      var s = await UI.api('GET', '/api/v1/slots?from=' + iso + '&to=' + iso);
      var slots = s.status === 200 && s.body.days[0] ? s.body.days[0].slots : [];
      var which = ADM.select('adm.days.what', [['', t('adm.days.whole')]].concat(
        slots.map(function (x) { return [x.start, UI.date(x.start, 'time')]; })), '');
      var reason = ADM.field('adm.days.reason', { required: true, maxlength: 150 });
      var form = h('form', { id: 'block-form' }, h('div', { 'class': 'row' },
        [which.label, reason.label,
         h('button', { type: 'submit', 'class': 'primary' }, t('adm.days.block'))]));
      form.addEventListener('submit', async function (ev) {
        ev.preventDefault();
        var body = { reason: reason.input.value.trim() };
        if (which.input.value) body.start = which.input.value;
        else body.date = iso;
        var r = await UI.api('POST', '/api/v1/admin/blocked-dates', body);
        if (ADM.failed(r)) return;
        await render(root, iso);
        ADM.status(t('adm.days.blocked', { n: r.body.bookings_affected || 0 }), 'ok');
      });
      box.appendChild(form);
    }
    return box;
  }

  async function render(root, openDay) {
    var y = Number(month.slice(0, 4)), m = Number(month.slice(5, 7));
    var first = ym(y, m) + '-01', last = ym(y, m) + '-' + pad(daysIn(y, m));
    var r = await UI.api('GET', '/api/v1/admin/blocked-dates?from=' + first + '&to=' + last);
    root.textContent = '';
    if (ADM.failed(r)) return;
    var byDay = {};
    r.body.items.forEach(function (e) { (byDay[e.date] = byDay[e.date] || []).push(e); });
    var title = new Intl.DateTimeFormat(UI.lang, { month: 'long', year: 'numeric',
      timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 15)));
    var nav = h('div', { 'class': 'row' }, [
      ADM.button('adm.days.prev', function () {
        month = m === 1 ? ym(y - 1, 12) : ym(y, m - 1); render(root);
      }),
      h('h2', { id: 'month-title' }, title),
      ADM.button('adm.days.next', function () {
        month = m === 12 ? ym(y + 1, 1) : ym(y, m + 1); render(root);
      })]);
    var grid = h('div', { 'class': 'month', role: 'group', 'aria-labelledby': 'month-title' });
    for (var w = 1; w <= 7; w++)
      grid.appendChild(h('div', { 'class': 'wd', 'aria-hidden': 'true' },
        UI.date(new Date(Date.UTC(2024, 0, w, 12)), 'weekday')));
    for (var e = 1; e < weekday(y, m, 1); e++) grid.appendChild(h('div', { 'class': 'empty' }));
    var panelHost = h('div');
    for (var d = 1; d <= daysIn(y, m); d++) {
      (function (iso, entries) {
        var hol = entries.filter(function (x) { return x.holiday; })[0];
        var whole = entries.filter(function (x) { return !x.holiday && !x.time; })[0];
        var slots = entries.filter(function (x) { return !x.holiday && x.time; });
        var cls = 'day' + (hol ? ' holiday' : whole ? ' blocked' : slots.length ? ' partial' : '');
        var note = hol ? hol.reason : whole ? whole.reason :
          slots.length ? t('adm.days.n_slots', { n: slots.length }) : '';
        var label = dayLabel(iso) + (note ? ': ' + note : '');
        var b = h('button', { type: 'button', 'class': cls, 'data-date': iso,
          'aria-label': label }, [h('span', {}, String(Number(iso.slice(8)))),
          note ? h('span', { 'class': 'note', 'aria-hidden': 'true' }, note) : null]);
        b.addEventListener('click', async function () {
          panelHost.textContent = '';
          panelHost.appendChild(await dayPanel(root, iso, entries));
          var p = document.getElementById('day-panel');
          if (p) p.scrollIntoView({ block: 'nearest' });
        });
        grid.appendChild(b);
      })(ym(y, m) + '-' + pad(d), byDay[ym(y, m) + '-' + pad(d)] || []);
    }
    root.appendChild(h('p', { 'class': 'muted' }, t('adm.days.hint')));
    root.appendChild(nav);
    root.appendChild(grid);
    root.appendChild(panelHost);
    if (openDay && openDay.slice(0, 7) === month)
      panelHost.appendChild(await dayPanel(root, openDay, byDay[openDay] || []));
  }

  ADM.views.days = async function (root) {
    if (!month) month = ADM.isoDay(0).slice(0, 7);
    await render(root);
  };

  ADM.views['export'] = async function (root) {
    var from = ADM.field('adm.export.from', { type: 'date', value: ADM.isoDay(-30) });
    var to = ADM.field('adm.export.to', { type: 'date', value: ADM.isoDay(0) });
    var link = h('a', { 'class': 'button primary', id: 'export-link', download: '' },
      t('adm.export.download'));
    function update() {
      link.setAttribute('href', '/api/v1/admin/export/bookings.csv?from=' +
        encodeURIComponent(from.input.value) + '&to=' + encodeURIComponent(to.input.value));
    }
    from.input.addEventListener('change', update);
    to.input.addEventListener('change', update);
    update();
    root.appendChild(h('div', { 'class': 'card' }, [h('p', {}, t('adm.export.text')),
      h('div', { 'class': 'row' }, [from.label, to.label, link])]));
  };
})();
