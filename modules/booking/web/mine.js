/*
 * mine.js - "my bookings": the signed-in user's bookings (admins may show
 * everyone's), each with cancel (reason), reschedule (to another slot with
 * free places) and outcome.
 */
'use strict';

(function () {
  var cursor = null;
  var $ = function (id) { return document.getElementById(id); };
  var OUTCOMES = [['pending', 'Pending'], ['appeared', 'Appeared'],
                  ['no_show', 'No-show'], ['cancelled', 'Cancelled']];

  function params() {
    var today = BK.today(), range = $('range').value, p = [];
    if (range === 'upcoming') p.push('from=' + today);
    if (range === 'past') {
      p.push('from=' + BK.addDays(today, -30));
      p.push('to=' + BK.addDays(today, -1));
    }
    if (!$('everyone').checked) p.push('mine=1');
    p.push('limit=50');
    return p.join('&');
  }

  /* A small inline form inside a booking card. */
  function panel(card, build) {
    var old = card.querySelector('.panel');
    if (old) old.remove();
    var box = BK.el('div', { class: 'panel' });
    build(box);
    card.appendChild(box);
    var first = box.querySelector('input, select, button');
    if (first) first.focus();
  }

  /* Sends a change; on success replaces the card. */
  async function change(card, b, action, body, msg) {
    var r = await BK.api('POST', '/api/v1/bookings/' + b.id + '/' + action,
                         body);
    if (r.status === 200) {
      var fresh = cardNode(r.body);
      card.replaceWith(fresh);
      BK.say(fresh.querySelector('.card-status'), msg(r.body), 'ok');
      fresh.querySelector('h2').focus();
      return;
    }
    var text = BK.errorText(r);
    if (r.body && r.body.error && r.body.error.alternatives &&
        r.body.error.alternatives.length)
      text += ' Free nearby: ' +
        r.body.error.alternatives.map(BK.whenLabel).join(', ') + '.';
    BK.say(card.querySelector('.card-status'), text, 'error');
  }

  function cancelPanel(card, b) {
    panel(card, function (box) {
      var id = 'reason-' + b.id;
      var input = BK.el('input', { id: id, maxlength: '500', required: true });
      var go = BK.el('button', { type: 'button', text: 'Cancel booking' });
      go.addEventListener('click', function () {
        if (!input.value.trim()) {
          BK.say(card.querySelector('.card-status'),
                 'Enter a reason for the cancellation.', 'error');
          input.focus();
          return;
        }
        change(card, b, 'cancel', { reason: input.value.trim() },
               function () { return 'Cancelled.'; });
      });
      box.appendChild(BK.el('label', { for: id, text: 'Reason' }));
      box.appendChild(input);
      box.appendChild(go);
    });
  }

  function reschedulePanel(card, b) {
    panel(card, function (box) {
      var did = 'rdate-' + b.id, sid = 'rslot-' + b.id;
      var date = BK.el('input', { id: did, type: 'date' });
      var sel = BK.el('select', { id: sid }, [BK.el('option', { value: '',
        text: 'Choose a day' })]);
      var go = BK.el('button', { type: 'button', text: 'Move booking' });
      date.value = BK.dateOf(b.start);
      async function fill() {
        BK.clear(sel);
        if (!BK.validDate(date.value)) return;
        var r = await BK.api('GET', '/api/v1/slots?from=' + date.value +
                             '&to=' + date.value);
        var free = r.status === 200 && !r.body.days[0].blocked ?
          r.body.days[0].slots.filter(function (s) {
            return s.bookable && s.free > 0 && s.start !== b.start; }) : [];
        sel.appendChild(BK.el('option', { value: '', text: free.length ?
          'Choose a slot' : 'No free slot on this day' }));
        free.forEach(function (s) {
          sel.appendChild(BK.el('option', { value: s.start, text:
            BK.timeOf(s.start) + ' (' + s.free + ' free)' }));
        });
      }
      date.addEventListener('change', fill);
      go.addEventListener('click', function () {
        if (!sel.value) {
          BK.say(card.querySelector('.card-status'), 'Choose a new slot.',
                 'error');
          sel.focus();
          return;
        }
        change(card, b, 'reschedule', { start: sel.value }, function (nb) {
          return 'Moved to ' + BK.whenLabel(nb.start) + '.'; });
      });
      box.appendChild(BK.el('label', { for: did, text: 'New day' }));
      box.appendChild(date);
      box.appendChild(BK.el('label', { for: sid, text: 'New slot' }));
      box.appendChild(sel);
      box.appendChild(go);
      fill();
    });
  }

  function outcomePanel(card, b) {
    panel(card, function (box) {
      var id = 'outcome-' + b.id;
      var sel = BK.el('select', { id: id }, OUTCOMES.map(function (o) {
        return BK.el('option', { value: o[0], text: o[1] }); }));
      var go = BK.el('button', { type: 'button', text: 'Save outcome' });
      sel.value = b.outcome;
      go.addEventListener('click', function () {
        change(card, b, 'outcome', { outcome: sel.value }, function (nb) {
          return 'Outcome: ' + nb.outcome.replace('_', '-') + '.'; });
      });
      box.appendChild(BK.el('label', { for: id, text: 'Outcome' }));
      box.appendChild(sel);
      box.appendChild(go);
    });
  }

  function cardNode(b) {
    var cancelled = b.status === 'cancelled';
    var card = BK.el('li', { class: 'booking' + (cancelled ? ' cancelled'
      : ''), 'data-id': String(b.id) });
    card.appendChild(BK.el('h2', { tabindex: '-1', text: b.customer }));
    card.appendChild(BK.el('p', { class: 'when', text: BK.whenLabel(b.start) +
      '–' + BK.timeOf(b.end) }));
    card.appendChild(BK.el('dl', { class: 'facts' }, [
      BK.el('dt', { text: 'Category' }), BK.el('dd', { text: b.category }),
      BK.el('dt', { text: 'Consultant' }),
      BK.el('dd', { text: b.consultant || 'any' }),
      BK.el('dt', { text: 'Status' }),
      BK.el('dd', { text: b.status + (b.cancel_reason ? ' (' +
        b.cancel_reason + ')' : '') }),
      BK.el('dt', { text: 'Outcome' }),
      BK.el('dd', { text: b.outcome.replace('_', '-') }),
      BK.el('dt', { text: 'Booked by' }),
      BK.el('dd', { text: b.booked_by + (b.imported ? ' (imported)' : '') })
    ]));
    if (b.description)
      card.appendChild(BK.el('p', { class: 'notes', text: b.description }));
    var actions = BK.el('div', { class: 'actions' });
    if (!cancelled) {
      var c = BK.el('button', { type: 'button', text: 'Cancel…' });
      c.addEventListener('click', function () { cancelPanel(card, b); });
      var m = BK.el('button', { type: 'button', text: 'Reschedule…' });
      m.addEventListener('click', function () { reschedulePanel(card, b); });
      actions.appendChild(c);
      actions.appendChild(m);
    }
    var o = BK.el('button', { type: 'button', text: 'Outcome…' });
    o.addEventListener('click', function () { outcomePanel(card, b); });
    actions.appendChild(o);
    card.appendChild(actions);
    card.appendChild(BK.el('p', { class: 'card-status status', role: 'status',
      'aria-live': 'polite', hidden: true }));
    return card;
  }

  async function load(more) {
    var list = $('list');
    if (!more) { BK.clear(list); cursor = null; }
    BK.say($('status'), 'Loading…');
    var r = await BK.api('GET', '/api/v1/bookings?' + params() +
                         (more && cursor ? '&cursor=' +
                          encodeURIComponent(cursor) : ''));
    if (r.status !== 200) {
      BK.say($('status'), BK.errorText(r), 'error');
      return;
    }
    r.body.items.forEach(function (b) { list.appendChild(cardNode(b)); });
    cursor = r.body.next_cursor;
    $('more').hidden = !cursor;
    BK.say($('status'), list.children.length ? '' : 'No bookings.');
  }

  document.addEventListener('DOMContentLoaded', async function () {
    var user = await BK.init();
    if (user.role !== 'staff') $('all-label').hidden = false;
    $('range').addEventListener('change', function () { load(false); });
    $('everyone').addEventListener('change', function () { load(false); });
    $('more').addEventListener('click', function () { load(true); });
    load(false);
  });
})();
