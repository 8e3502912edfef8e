/*
 * week.js - the week view: seven days of slots with their state at a
 * glance (free, few, full, past, not yet bookable, blocked), today
 * marked. The slots form one keyboard grid (a roving tab stop): arrow
 * keys move between slots and days, Enter opens a free slot's booking
 * form, or a full slot's nearest alternatives; Page Up/Down change the
 * week. Clicking does the same.
 */
'use strict';

(function () {
  var monday = null;
  var days = [];      /* the loaded week (API days) */
  var active = null;  /* [day index, slot index] of the tab stop */
  var $ = function (id) { return document.getElementById(id); };

  /* ---- the grid ---- */

  function button(d, s, di, si) {
    var st = BK.state(s), label = BK.timeOf(s.start), words = BK.stateText(s);
    var b = BK.el('button', { type: 'button', class: 'slot ' + st,
      tabindex: '-1', 'data-day': String(di), 'data-slot': String(si),
      'aria-label': UI.t('week.slot_label', { when: BK.when(s.start),
        state: words }) + (st === 'open' || st === 'few' ? ' – ' +
        UI.t('week.action_book') : st === 'full' ? ' – ' +
        UI.t('week.action_alts') : ''),
      'aria-disabled': st === 'open' || st === 'few' || st === 'full' ?
        null : 'true' }, [
      BK.el('span', { class: 'time', text: label }),
      BK.el('span', { class: 'free', text: words })]);
    b.addEventListener('click', function () { activate(di, si); });
    return b;
  }

  function dayNode(d, di) {
    var isToday = d.date === UI.today();
    var head = BK.el('h2', {}, [BK.el('a', { href: 'day.html?date=' + d.date,
      'aria-label': UI.t('week.day_link', { day: UI.day(d.date, 'long') }) },
      [UI.day(d.date, 'date')]),
      isToday ? BK.el('span', { class: 'badge today-badge',
        text: UI.t('week.today') }) : null]);
    var card = BK.el('section', { class: 'day' + (d.blocked ? ' is-blocked'
      : '') + (isToday ? ' today' : ''), 'aria-label': UI.day(d.date, 'long'),
      'aria-current': isToday ? 'date' : null }, [head]);
    if (d.blocked) {
      card.appendChild(BK.el('p', { class: 'reason', text: UI.t(d.holiday ?
        'week.holiday' : 'week.blocked', { reason: d.reason || '' }) }));
    } else if (!d.slots.length) {
      card.appendChild(BK.el('p', { class: 'none', text: UI.t('week.none') }));
    } else {
      var ul = BK.el('ul', { class: 'slots' });
      d.slots.forEach(function (s, si) {
        ul.appendChild(BK.el('li', {}, [button(d, s, di, si)]));
      });
      card.appendChild(ul);
    }
    return card;
  }

  function slotButton(di, si) {
    return $('week').querySelector('button[data-day="' + di +
      '"][data-slot="' + si + '"]');
  }

  /* Makes slot (di, si) the grid's tab stop; focuses it when asked. */
  function setActive(di, si, focus) {
    var old = active && slotButton(active[0], active[1]);
    var b = slotButton(di, si);
    if (!b) return;
    if (old) old.tabIndex = -1;
    b.tabIndex = 0;
    active = [di, si];
    if (focus) b.focus();
  }

  /* The slot of day di nearest in time of day to `time` ("HH:MM"). */
  function nearest(di, time) {
    var best = -1, diff = 1e9;
    (days[di].slots || []).forEach(function (s, si) {
      var t = BK.timeOf(s.start), a = Number(t.slice(0, 2)) * 60 +
        Number(t.slice(3)), b = Number(time.slice(0, 2)) * 60 +
        Number(time.slice(3));
      if (Math.abs(a - b) < diff) { diff = Math.abs(a - b); best = si; }
    });
    return best;
  }

  function move(dd, ds) {
    if (!active) return;
    var di = active[0], si = active[1];
    if (ds) {
      si += ds;
      if (si < 0 || si >= days[di].slots.length) return;
      setActive(di, si, true);
      return;
    }
    var time = BK.timeOf(days[di].slots[si].start);
    for (di += dd; di >= 0 && di < days.length; di += dd) {
      if (days[di].slots && days[di].slots.length) {
        setActive(di, nearest(di, time), true);
        return;
      }
    }
  }

  function onKey(e) {
    var t = e.target;
    if (!t.matches || !t.matches('button.slot')) return;
    var keys = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0],
                 ArrowRight: [1, 0] };
    if (keys[e.key]) {
      e.preventDefault();
      move(keys[e.key][0], keys[e.key][1]);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      var n = days[active[0]].slots.length;
      setActive(active[0], e.key === 'Home' ? 0 : n - 1, true);
    } else if (e.key === 'PageUp' || e.key === 'PageDown') {
      e.preventDefault();
      go(UI.addDays(monday, e.key === 'PageUp' ? -7 : 7), true);
    }
  }

  /* Enter or click on a slot: book a free one, show alternatives for a
   * full one, say why for the others. */
  function activate(di, si) {
    var s = days[di].slots[si], st = BK.state(s);
    setActive(di, si, false);
    if (st === 'open' || st === 'few') {
      window.location.assign('book.html?start=' + encodeURIComponent(s.start));
    } else if (st === 'full') {
      showAlternatives(s.start);
    } else {
      UI.say($('status'), UI.t('week.why_' + st), '');
    }
  }

  /* ---- alternatives of a full slot ---- */

  async function showAlternatives(start) {
    var box = $('alts'), ul = $('altlist');
    $('alts-title').textContent = UI.t('alts.title', { when: BK.when(start) });
    BK.clear(ul);
    box.hidden = false;
    var r = await BK.alternatives(start);
    if (r.error) {
      ul.appendChild(BK.el('li', { text: UI.errorText(r.error) }));
    } else if (!r.items.length) {
      ul.appendChild(BK.el('li', { text: UI.t('alts.none') }));
    }
    (r.items || []).forEach(function (s) {
      ul.appendChild(BK.el('li', {}, [BK.el('a', {
        href: 'book.html?start=' + encodeURIComponent(s.start),
        text: UI.t('alts.item', { when: BK.when(s.start),
          state: BK.stateText(s) }) })]));
    });
    var first = ul.querySelector('a');
    (first || $('alts-close')).focus();
  }

  function closeAlternatives() {
    $('alts').hidden = true;
    var b = active && slotButton(active[0], active[1]);
    if (b) b.focus();
  }

  /* ---- loading ---- */

  function isoWeek(d) {
    var th = UI.addDays(d, 4 - UI.weekday(d));           /* its Thursday */
    var jan1 = th.slice(0, 4) + '-01-01';
    return Math.floor((Date.parse(th) - Date.parse(jan1)) / 864e5 / 7) + 1;
  }

  async function load(focus) {
    var to = UI.addDays(monday, 6);
    $('range').textContent = UI.t('week.range', { week: isoWeek(monday),
      from: UI.day(monday, 'short'), to: UI.day(to, 'short'),
      year: to.slice(0, 4) });
    UI.say($('status'), UI.t('ui.loading'));
    history.replaceState(null, '', '?week=' + monday);
    var r = await UI.api('GET', '/api/v1/slots?from=' + monday + '&to=' + to);
    if (r.status !== 200) {
      UI.say($('status'), UI.errorText(r), 'error');
      return;
    }
    BK.clear($('week'));
    $('alts').hidden = true;
    days = r.body.days;
    active = null;
    days.forEach(function (d, di) { $('week').appendChild(dayNode(d, di)); });
    UI.say($('status'), '');
    /* the tab stop: the first slot with free places, else the first */
    var first = null;
    days.forEach(function (d, di) {
      (d.slots || []).forEach(function (s, si) {
        var st = BK.state(s);
        if (!first && (st === 'open' || st === 'few')) first = [di, si];
      });
    });
    if (!first) days.some(function (d, di) {
      if (d.slots && d.slots.length) { first = [di, 0]; return true; }
      return false;
    });
    if (first) setActive(first[0], first[1], focus);
  }

  function go(date, focus) {
    monday = UI.monday(date);
    load(focus);
  }

  UI.ready.then(function () {
    var q = BK.query('week'), start = UI.today();
    /* on a weekend the rest of this week is over: open on the next one */
    if (!UI.validDate(q) && UI.weekday(start) >= 6)
      start = UI.addDays(start, 8 - UI.weekday(start));
    monday = UI.monday(UI.validDate(q) ? q : start);
    $('prev').addEventListener('click', function () {
      go(UI.addDays(monday, -7)); });
    $('next').addEventListener('click', function () {
      go(UI.addDays(monday, 7)); });
    $('this').addEventListener('click', function () { go(UI.today()); });
    $('goto').addEventListener('submit', function (e) {
      e.preventDefault();
      var d = UI.parseDate($('pick').value);
      if (!d) {
        UI.say($('status'), UI.t('date.invalid'), 'error');
        $('pick').focus();
        return;
      }
      go(d, true);
    });
    $('week').addEventListener('keydown', onKey);
    $('alts-close').addEventListener('click', closeAlternatives);
    $('alts').addEventListener('keydown', function (e) {
      if (e.key === 'Escape') closeAlternatives();
    });
    load(true);
  });
})();
