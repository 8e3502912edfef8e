/*
 * day.js - one day in detail: every slot with capacity, booked, free
 * places and the consultants available, and a link to book it.
 */
'use strict';

(function () {
  var date = null;
  var status, list, title;

  function slotNode(s) {
    var time = BK.timeOf(s.start) + '–' + BK.timeOf(s.end);
    var facts = BK.el('dl', { class: 'facts' }, [
      BK.el('dt', { text: 'Free' }), BK.el('dd', { text: String(s.free) }),
      BK.el('dt', { text: 'Booked' }),
      BK.el('dd', { text: s.booked + ' of ' + s.capacity +
        (s.overbooked ? ' (overbooked)' : '') }),
      BK.el('dt', { text: 'Consultants' }),
      BK.el('dd', { text: s.consultants.length ?
        s.consultants.join(', ') : 'none available' })]);
    var item = BK.el('li', { class: 'dayslot' + (s.free > 0 && s.bookable ?
      '' : ' closed') }, [BK.el('h2', { text: time }), facts]);
    if (s.blocked) {
      item.appendChild(BK.el('p', { class: 'reason',
        text: 'Blocked: ' + s.reason }));
    } else if (s.bookable && s.free > 0) {
      item.appendChild(BK.el('a', { class: 'button',
        href: 'book.html?start=' + encodeURIComponent(s.start),
        'aria-label': 'Book ' + time }, ['Book this slot']));
    } else {
      item.appendChild(BK.el('p', { class: 'none', text: s.bookable ?
        'Full' : (s.not_bookable === 'horizon' ? 'Not yet bookable' :
        'Not bookable any more') }));
    }
    return item;
  }

  async function load() {
    title.textContent = BK.dayName(date) + ', ' + date;
    document.getElementById('weeklink').setAttribute('href',
      './?week=' + BK.monday(date));
    history.replaceState(null, '', '?date=' + date);
    BK.say(status, 'Loading…');
    var r = await BK.api('GET', '/api/v1/slots?from=' + date + '&to=' + date);
    BK.clear(list);
    if (r.status !== 200) {
      BK.say(status, BK.errorText(r), 'error');
      return;
    }
    var d = r.body.days[0];
    if (d.blocked) {
      BK.say(status, 'Blocked: ' + d.reason +
        (d.holiday ? ' (public holiday)' : ''), 'error');
      return;
    }
    if (!d.slots.length) {
      BK.say(status, 'No slots on this day.');
      return;
    }
    d.slots.forEach(function (s) { list.appendChild(slotNode(s)); });
    BK.say(status, '');
  }

  function go(d) { date = d; load(); }

  document.addEventListener('DOMContentLoaded', async function () {
    status = document.getElementById('status');
    list = document.getElementById('slots');
    title = document.getElementById('title');
    await BK.init();
    var q = BK.query('date');
    date = BK.validDate(q) ? q : BK.today();
    document.getElementById('prev').addEventListener('click', function () {
      go(BK.addDays(date, -1)); });
    document.getElementById('next').addEventListener('click', function () {
      go(BK.addDays(date, 1)); });
    document.getElementById('today').addEventListener('click', function () {
      go(BK.today()); });
    document.getElementById('pick').addEventListener('change', function (e) {
      if (BK.validDate(e.target.value)) go(e.target.value); });
    load();
  });
})();
