/*
 * analytics.js - the analytics page: period picker (7, 30, 90 days or
 * custom dates), headline figures beside the previous period, the 7-day
 * no-show alert, the weekly trend (Chart.js), the weekday x start time
 * heatmap (a table coloured by step), and sortable tables with charts
 * per consultant and per booker, each with a CSV download.
 *
 * Everything the server sends is put in as text. Chart.js comes from
 * Debian's libjs-chart.js (vendor/chart.js/); without it the tables
 * still work and a line says the charts are missing. The state lives in
 * the address (?days=30 or ?from=&to=), so reload and links keep it.
 * body[data-loaded] counts finished loads (the browser test waits on it).
 */
'use strict';

(function () {
  var API = '/api/v1/analytics/';
  var charts = {};
  var loads = 0;
  var el = function (t, a, x) { return UI.el(t, a, x); };

  function today() {
    return new Intl.DateTimeFormat('en-CA', { timeZone: UI.ZONE, year: 'numeric',
      month: '2-digit', day: '2-digit' }).format(new Date());
  }
  function addDays(iso, n) {
    var d = new Date(iso + 'T12:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function longDate(iso) {
    return UI.date(new Date(iso + 'T12:00:00Z'), 'long');
  }

  /* ---------------------------------------------------------- state */

  function readState() {
    var p = new URLSearchParams(window.location.search);
    var days = p.get('days');
    if (p.get('from') && p.get('to')) return { days: 'custom', from: p.get('from'), to: p.get('to') };
    if (['7', '30', '90'].indexOf(days) < 0) days = '30';
    return { days: days, from: addDays(today(), 1 - Number(days)), to: today() };
  }
  function writeState(s) {
    var q = s.days === 'custom' ? '?from=' + s.from + '&to=' + s.to : '?days=' + s.days;
    window.history.replaceState(null, '', window.location.pathname + q);
  }
  function query(s) {
    return '?from=' + encodeURIComponent(s.from) + '&to=' + encodeURIComponent(s.to);
  }

  function status(text, kind) {
    var p = document.getElementById('status');
    p.hidden = !text;
    p.textContent = text || '';
    p.className = 'status' + (kind ? ' ' + kind : '');
  }

  /* -------------------------------------------------------- figures */

  function rateText(x) { return UI.percent(x); }
  function daysText(x) {
    return x === null || x === undefined ? '–' :
      UI.t('an.days_n', { n: Math.round(x * 10) / 10 });
  }
  function delta(cur, prev, isRate) {
    if (cur === null || prev === null || cur === undefined || prev === undefined) return null;
    if (isRate) {
      var pp = Math.round((cur - prev) * 1000) / 10;
      return { text: UI.t('an.delta_pp', { n: (pp > 0 ? '+' : '') + UI.number(pp) }), sign: pp };
    }
    if (prev === 0) return cur === 0 ? { text: '±0', sign: 0 } : null;
    var pc = Math.round((cur - prev) / prev * 1000) / 10;
    return { text: (pc > 0 ? '+' : '') + UI.number(pc) + ' %', sign: pc };
  }

  var FIGS = [['bookings', false, 'num', 1], ['appeared', false, 'num', 1],
    ['no_show', false, 'num', -1], ['cancelled', false, 'num', -1],
    ['pending', false, 'num', 0], ['appearance_rate', true, 'rate', 1],
    ['no_show_rate', true, 'rate', -1], ['lead_time_days_avg', false, 'days', 0]];

  function renderFigures(s) {
    var dl = document.getElementById('figures');
    dl.textContent = '';
    FIGS.forEach(function (f) {
      var key = f[0], box = el('div'), dd;
      var v = s[key], pv = s.previous[key];
      box.appendChild(el('dt', {}, UI.t('an.f.' + key)));
      dd = el('dd', {}, f[2] === 'rate' ? rateText(v) : f[2] === 'days' ? daysText(v) : UI.number(v));
      var d = delta(v, pv, f[1]);
      var prevText = f[2] === 'rate' ? rateText(pv) : f[2] === 'days' ? daysText(pv) : UI.number(pv);
      var span = el('span', { 'class': 'delta' }, UI.t('an.previous', { v: prevText }) +
        (d ? ' (' + d.text + ')' : ''));
      if (d && d.sign !== 0 && f[3] !== 0)
        span.className += (d.sign * f[3] > 0) ? ' up' : ' down';
      dd.appendChild(span);
      box.appendChild(dd);
      dl.appendChild(box);
    });
    var a = document.getElementById('alert');
    a.hidden = !s.alert.active;
    a.textContent = s.alert.active ? UI.t('an.alert', {
      rate: rateText(s.alert.no_show_rate_7d), threshold: rateText(s.alert.threshold) }) : '';
    document.getElementById('range').textContent = UI.t('an.range', {
      from: longDate(s.from), to: longDate(s.to),
      pfrom: longDate(s.previous.from), pto: longDate(s.previous.to) });
  }

  /* --------------------------------------------------------- charts */

  function chart(id, config) {
    if (!window.Chart) {
      document.getElementById('nochart').hidden = false;
      return;
    }
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false,
      animation: false }, config.options || {});
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  function renderTrend(t) {
    var labels = t.items.map(function (w) { return w.week.replace(/^\d{4}-/, '') ; });
    chart('trend-chart', {
      type: 'bar',
      data: { labels: labels, datasets: [
        { label: UI.t('an.f.bookings'), data: t.items.map(function (w) { return w.bookings; }),
          backgroundColor: '#93bde6', yAxisID: 'y' },
        { type: 'line', label: UI.t('an.f.appearance_rate'),
          data: t.items.map(function (w) { return w.appearance_rate === null ? null : Math.round(w.appearance_rate * 1000) / 10; }),
          borderColor: '#135c2a', backgroundColor: '#135c2a', yAxisID: 'r', spanGaps: true }
      ] },
      options: { scales: { y: { beginAtZero: true, position: 'left' },
        r: { beginAtZero: true, max: 100, position: 'right', grid: { drawOnChartArea: false },
          title: { display: true, text: '%' } } } }
    });
  }

  function stacked(id, rows, nameOf) {
    var top = rows.slice(0, 15);
    var parts = ['appeared', 'no_show', 'cancelled', 'pending'];
    var colors = ['#135c2a', '#8a1c1c', '#7a4d00', '#8a96a3'];
    chart(id, {
      type: 'bar',
      data: { labels: top.map(nameOf), datasets: parts.map(function (p, i) {
        return { label: UI.t('an.f.' + p), backgroundColor: colors[i],
          data: top.map(function (r) { return r[p]; }) };
      }) },
      options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } }
    });
  }

  /* -------------------------------------------------------- heatmap */

  function renderHeatmap(h) {
    var table = document.getElementById('heatmap');
    var days = [1, 2, 3, 4, 5], times = [], max = 0, cells = {};
    h.cells.forEach(function (c) {
      if (days.indexOf(c.weekday) < 0) days.push(c.weekday);
      if (times.indexOf(c.time) < 0) times.push(c.time);
      cells[c.weekday + ' ' + c.time] = c;
      max = Math.max(max, c.bookings);
    });
    days.sort(); times.sort();
    table.textContent = '';
    table.appendChild(el('caption', { 'class': 'muted' }, UI.t('an.heatmap.caption')));
    var head = el('tr');
    head.appendChild(el('th', { scope: 'col' }, UI.t('an.time')));
    days.forEach(function (d) {
      /* 2024-01-01 was a Monday */
      head.appendChild(el('th', { scope: 'col' }, UI.date(new Date(Date.UTC(2024, 0, d, 12)), 'weekday')));
    });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    if (!times.length) {
      var tr0 = el('tr'), td0 = el('td', { colspan: String(days.length + 1) }, UI.t('an.empty'));
      tr0.appendChild(td0);
      body.appendChild(tr0);
    }
    times.forEach(function (tm) {
      var tr = el('tr');
      tr.appendChild(el('th', { scope: 'row' }, tm));
      days.forEach(function (d) {
        var c = cells[d + ' ' + tm];
        var n = c ? c.bookings : 0;
        var level = n === 0 ? 0 : Math.min(5, 1 + Math.floor(n / max * 4.999));
        var td = el('td', { 'class': 'h' + level }, UI.number(n));
        if (c) td.appendChild(el('small', {}, rateText(c.appearance_rate)));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
  }

  /* --------------------------------------------------------- tables */

  var COLS = [['bookings', 'num'], ['appeared', 'num'], ['no_show', 'num'],
    ['cancelled', 'num'], ['appearance_rate', 'rate'], ['no_show_rate', 'rate']];

  function renderTable(id, rows, nameKey, nameOf) {
    var table = document.getElementById(id);
    var sort = { key: 'bookings', dir: -1 };
    function fill() {
      rows.sort(function (a, b) {
        var x = sort.key === nameKey ? nameOf(a) : a[sort.key];
        var y = sort.key === nameKey ? nameOf(b) : b[sort.key];
        if (x === null) x = -1;
        if (y === null) y = -1;
        if (typeof x === 'string') return sort.dir * x.localeCompare(y, UI.lang);
        return sort.dir * (x - y);
      });
      table.textContent = '';
      var head = el('tr');
      [[nameKey, 'text']].concat(COLS).forEach(function (c) {
        var th = el('th', { scope: 'col', 'class': c[1] === 'text' ? '' : 'num' });
        if (sort.key === c[0]) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
        var b = el('button', { type: 'button' }, UI.t(c[0] === nameKey ? 'an.col.' + nameKey : 'an.f.' + c[0]));
        b.addEventListener('click', function () {
          sort = { key: c[0], dir: sort.key === c[0] ? -sort.dir : (c[1] === 'text' ? 1 : -1) };
          fill();
          table.querySelector('th[aria-sort] button').focus();
        });
        th.appendChild(b);
        head.appendChild(th);
      });
      var thead = el('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      var body = el('tbody');
      if (!rows.length) {
        var tr0 = el('tr');
        tr0.appendChild(el('td', { colspan: String(COLS.length + 1) }, UI.t('an.empty')));
        body.appendChild(tr0);
      }
      rows.forEach(function (r) {
        var tr = el('tr');
        tr.appendChild(el('th', { scope: 'row' }, nameOf(r)));
        COLS.forEach(function (c) {
          tr.appendChild(el('td', { 'class': 'num' }, c[1] === 'rate' ? rateText(r[c[0]]) : UI.number(r[c[0]])));
        });
        body.appendChild(tr);
      });
      table.appendChild(body);
    }
    fill();
  }

  /* ----------------------------------------------------------- load */

  async function load(s) {
    var q = query(s);
    status(UI.t('an.loading'));
    var rs = await Promise.all(['summary', 'trend', 'heatmap', 'consultants', 'bookers']
      .map(function (p) { return UI.api('GET', API + p + q); }));
    var bad = rs.filter(function (r) { return r.status !== 200; })[0];
    if (bad) {
      var msg = bad.body && bad.body.error && bad.body.error.message;
      status(bad.status === 422 && msg ? UI.t('an.bad_period', { why: msg }) : UI.errorText(bad), 'error');
      document.body.setAttribute('data-loaded', String(++loads));
      return;
    }
    status('');
    renderFigures(rs[0].body);
    renderTrend(rs[1].body);
    renderHeatmap(rs[2].body);
    var consName = function (r) { return r.name === null ? UI.t('an.unassigned') : r.name; };
    renderTable('cons-table', rs[3].body.items, 'consultant', consName);
    stacked('cons-chart', rs[3].body.items, consName);
    var bookName = function (r) { return r.booker; };
    renderTable('book-table', rs[4].body.items, 'booker', bookName);
    stacked('book-chart', rs[4].body.items, bookName);
    document.getElementById('cons-csv').href = API + 'consultants' + q + '&format=csv';
    document.getElementById('book-csv').href = API + 'bookers' + q + '&format=csv';
    document.body.setAttribute('data-loaded', String(++loads));
  }

  UI.ready.then(function () {
    var form = document.getElementById('period');
    var state = readState();
    var from = document.getElementById('from'), to = document.getElementById('to');
    form.querySelector('input[value="' + state.days + '"]').checked = true;
    document.getElementById('custom').hidden = state.days !== 'custom';
    from.value = state.from;
    to.value = state.to;
    form.addEventListener('change', function (e) {
      if (e.target.name !== 'days') return;
      var days = e.target.value;
      document.getElementById('custom').hidden = days !== 'custom';
      if (days === 'custom') { from.focus(); return; }
      state = { days: days, from: addDays(today(), 1 - Number(days)), to: today() };
      from.value = state.from;
      to.value = state.to;
      writeState(state);
      load(state);
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      state = { days: 'custom', from: from.value, to: to.value };
      writeState(state);
      load(state);
    });
    load(state);
  });
})();
