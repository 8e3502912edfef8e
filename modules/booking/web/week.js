/*
 * week.js - the week view: seven days of slots with their free places at
 * a glance; blocked days with the reason. A slot with free places links to
 * the booking form.
 */
'use strict';

(function () {
  var monday = null;
  var status, week, range;

  function slotNode(s) {
    var time = BK.timeOf(s.start);
    var label, cls;
    if (s.blocked) {
      return BK.el('li', { class: 'slot blocked' }, [
        BK.el('span', { class: 'time', text: time }),
        BK.el('span', { class: 'free', text: 'blocked: ' + s.reason })]);
    }
    if (!s.bookable) {
      label = s.not_bookable === 'horizon' ? 'not yet bookable' : 'past';
      cls = 'slot past';
    } else if (s.free <= 0) {
      label = 'full';
      cls = 'slot full';
    } else {
      label = s.free + ' free';
      cls = s.free === 1 ? 'slot few' : 'slot open';
    }
    var inner = [BK.el('span', { class: 'time', text: time }),
                 BK.el('span', { class: 'free', text: label })];
    if (s.bookable && s.free > 0) {
      return BK.el('li', { class: cls + ' has-link' }, [BK.el('a', {
        href: 'book.html?start=' + encodeURIComponent(s.start),
        'aria-label': time + ', ' + label + ', book this slot'
      }, inner)]);
    }
    return BK.el('li', { class: cls }, inner);
  }

  function dayNode(d) {
    var head = BK.el('h2', {}, [BK.el('a', {
      href: 'day.html?date=' + d.date,
      'aria-label': BK.dayName(d.date) + ' ' + d.date + ', day view'
    }, [BK.dayLabel(d.date)])]);
    var card = BK.el('section', { class: 'day' + (d.blocked ? ' is-blocked'
      : ''), 'aria-label': BK.dayName(d.date) + ' ' + d.date }, [head]);
    if (d.blocked) {
      card.appendChild(BK.el('p', { class: 'reason', text: 'Blocked: ' +
        d.reason + (d.holiday ? ' (public holiday)' : '') }));
    } else if (!d.slots.length) {
      card.appendChild(BK.el('p', { class: 'none', text: 'No slots' }));
    } else {
      card.appendChild(BK.el('ul', { class: 'slots' },
        d.slots.map(slotNode)));
    }
    return card;
  }

  async function load() {
    var to = BK.addDays(monday, 6);
    range.textContent = BK.dayLabel(monday) + ' – ' + BK.dayLabel(to) +
      to.slice(0, 4);
    BK.say(status, 'Loading…');
    history.replaceState(null, '', '?week=' + monday);
    var r = await BK.api('GET', '/api/v1/slots?from=' + monday + '&to=' + to);
    BK.clear(week);
    if (r.status !== 200) {
      BK.say(status, BK.errorText(r), 'error');
      return;
    }
    r.body.days.forEach(function (d) { week.appendChild(dayNode(d)); });
    BK.say(status, '');
  }

  function go(date) {
    monday = BK.monday(date);
    load();
  }

  document.addEventListener('DOMContentLoaded', async function () {
    status = document.getElementById('status');
    week = document.getElementById('week');
    range = document.getElementById('range');
    await BK.init();
    var q = BK.query('week');
    var start = BK.today();
    // on a weekend the rest of this week is over: open on the next one
    if (!BK.validDate(q) && BK.weekday(start) >= 6)
      start = BK.addDays(start, 8 - BK.weekday(start));
    monday = BK.monday(BK.validDate(q) ? q : start);
    document.getElementById('prev').addEventListener('click', function () {
      go(BK.addDays(monday, -7)); });
    document.getElementById('next').addEventListener('click', function () {
      go(BK.addDays(monday, 7)); });
    document.getElementById('this').addEventListener('click', function () {
      go(BK.today()); });
    document.getElementById('pick').addEventListener('change', function (e) {
      if (BK.validDate(e.target.value)) go(e.target.value); });
    load();
  });
})();
