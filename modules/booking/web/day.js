/*
 * day.js - one day in detail: every slot with capacity, booked, free
 * places and the consultants available; a free slot links to the form,
 * a full one opens its nearest alternatives.
 */
'use strict';

(function () {
  var date = null;
  var $ = function (id) { return document.getElementById(id); };

  async function alternatives(item, s, btn) {
    var old = item.querySelector('.alts');
    if (old) { old.remove(); btn.setAttribute('aria-expanded', 'false'); return; }
    var box = BK.el('div', { class: 'alts' }, [BK.el('p', {
      text: UI.t('alts.title', { when: BK.when(s.start) }) })]);
    var ul = BK.el('ul');
    box.appendChild(ul);
    item.appendChild(box);
    btn.setAttribute('aria-expanded', 'true');
    var r = await BK.alternatives(s.start);
    if (r.error) ul.appendChild(BK.el('li', { text: UI.errorText(r.error) }));
    else if (!r.items.length) ul.appendChild(BK.el('li', { text: UI.t('alts.none') }));
    (r.items || []).forEach(function (a) {
      ul.appendChild(BK.el('li', {}, [BK.el('a', {
        href: 'book.html?start=' + encodeURIComponent(a.start),
        text: UI.t('alts.item', { when: BK.when(a.start),
          state: BK.stateText(a) }) })]));
    });
    var first = ul.querySelector('a');
    if (first) first.focus();
  }

  function slotNode(s) {
    var st = BK.state(s);
    var time = BK.timeOf(s.start) + '–' + BK.timeOf(s.end);
    var facts = BK.el('dl', { class: 'facts' }, [
      BK.el('dt', { text: UI.t('day.free') }),
      BK.el('dd', { text: UI.number(Math.max(s.free, 0)) }),
      BK.el('dt', { text: UI.t('day.booked') }),
      BK.el('dd', { text: UI.t('day.booked_of', { n: s.booked,
        capacity: s.capacity }) + (s.overbooked ? ' · ' +
        UI.t('day.overbooked') : '') }),
      BK.el('dt', { text: UI.t('day.consultants') }),
      BK.el('dd', { text: s.consultants.length ?
        s.consultants.join(', ') : UI.t('day.nobody') })]);
    var item = BK.el('li', { class: 'dayslot ' + st }, [
      BK.el('h2', {}, [time + ' ', BK.el('span', { class: 'badge state-' + st,
        text: BK.stateText(s) })]), facts]);
    if (st === 'open' || st === 'few') {
      item.appendChild(BK.el('a', { class: 'button primary',
        href: 'book.html?start=' + encodeURIComponent(s.start),
        'aria-label': UI.t('day.book_label', { time: time }) },
        [UI.t('day.book')]));
    } else if (st === 'full') {
      var b = BK.el('button', { type: 'button', 'aria-expanded': 'false',
        text: UI.t('day.alternatives') });
      b.addEventListener('click', function () { alternatives(item, s, b); });
      item.appendChild(b);
    } else if (st === 'blocked') {
      item.appendChild(BK.el('p', { class: 'reason',
        text: UI.t('week.blocked', { reason: s.reason || '' }) }));
    }
    return item;
  }

  async function load() {
    var list = $('slots');
    $('title').textContent = UI.day(date, 'long');
    $('weeklink').setAttribute('href', './?week=' + UI.monday(date));
    history.replaceState(null, '', '?date=' + date);
    UI.say($('status'), UI.t('ui.loading'));
    var r = await UI.api('GET', '/api/v1/slots?from=' + date + '&to=' + date);
    BK.clear(list);
    if (r.status !== 200) {
      UI.say($('status'), UI.errorText(r), 'error');
      return;
    }
    var d = r.body.days[0];
    if (d.blocked) {
      UI.say($('status'), UI.t(d.holiday ? 'week.holiday' : 'week.blocked',
        { reason: d.reason || '' }), 'error');
      return;
    }
    if (!d.slots.length) {
      UI.say($('status'), UI.t('day.none'));
      return;
    }
    d.slots.forEach(function (s) { list.appendChild(slotNode(s)); });
    UI.say($('status'), date === UI.today() ? UI.t('week.today') : '');
  }

  function go(d) { date = d; load(); }

  UI.ready.then(function () {
    var q = BK.query('date');
    date = UI.validDate(q) ? q : UI.today();
    $('prev').addEventListener('click', function () { go(UI.addDays(date, -1)); });
    $('next').addEventListener('click', function () { go(UI.addDays(date, 1)); });
    $('today').addEventListener('click', function () { go(UI.today()); });
    $('goto').addEventListener('submit', function (e) {
      e.preventDefault();
      var d = UI.parseDate($('pick').value);
      if (d) go(d);
      else UI.say($('status'), UI.t('date.invalid'), 'error');
    });
    load();
  });
})();
