/*
 * book.js - the booking form: pick a day and a slot with free places,
 * enter the customer; while the name is typed the customer's history
 * (earlier bookings, appeared / no-show counts, risk) is shown. Errors are
 * shown at the field the server names; a full slot offers the nearest
 * free ones. Retries after a network failure reuse the Idempotency-Key so
 * nothing is booked twice.
 */
'use strict';

(function () {
  var FIELDS = ['start', 'first_name', 'last_name', 'description',
                'category', 'consultant'];
  var slots = [];       /* the chosen day's slots */
  var idemKey = null;   /* kept until the server has answered */
  var lookupTimer = null, lookupSeq = 0;
  var $ = function (id) { return document.getElementById(id); };

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) {
      return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function clearErrors() {
    FIELDS.forEach(function (f) {
      var e = $('err-' + f), input = $(f);
      if (e) { e.hidden = true; e.textContent = ''; }
      if (input) input.removeAttribute('aria-invalid');
    });
    BK.say($('error'), '');
    $('alternatives').hidden = true;
  }

  function fieldError(field, text) {
    var e = $('err-' + field), input = $(field);
    if (!e || !input) return false;
    e.textContent = text;
    e.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return true;
  }

  /* ---- slots of the chosen day ---- */

  async function loadDay(date, wanted) {
    var sel = $('start');
    BK.clear(sel);
    sel.appendChild(BK.el('option', { value: '', text: 'Loading…' }));
    var r = await BK.api('GET', '/api/v1/slots?from=' + date + '&to=' + date);
    BK.clear(sel);
    slots = [];
    if (r.status !== 200) {
      sel.appendChild(BK.el('option', { value: '', text: 'No slots' }));
      BK.say($('error'), BK.errorText(r), 'error');
      return;
    }
    var d = r.body.days[0];
    if (d.blocked) {
      sel.appendChild(BK.el('option', { value: '',
        text: 'Blocked: ' + d.reason }));
      return;
    }
    slots = d.slots;
    var usable = slots.filter(function (s) { return s.bookable && s.free > 0; });
    sel.appendChild(BK.el('option', { value: '', text: usable.length ?
      'Choose a slot' : 'No free slot on this day' }));
    usable.forEach(function (s) {
      sel.appendChild(BK.el('option', { value: s.start, text:
        BK.timeOf(s.start) + '–' + BK.timeOf(s.end) + ' (' + s.free +
        ' free)' }));
    });
    if (wanted && usable.some(function (s) { return s.start === wanted; }))
      sel.value = wanted;
    fillConsultants();
  }

  function fillConsultants() {
    var sel = $('consultant'), keep = sel.value;
    var s = slots.find(function (x) { return x.start === $('start').value; });
    BK.clear(sel);
    sel.appendChild(BK.el('option', { value: '', text: 'Any available' }));
    (s ? s.consultants : []).forEach(function (n) {
      sel.appendChild(BK.el('option', { value: n, text: n }));
    });
    if (s && s.consultants.indexOf(keep) >= 0) sel.value = keep;
  }

  /* ---- customer history ---- */

  function renderHistory(items, q) {
    var body = $('history-body');
    BK.clear(body);
    if (!items.length) {
      body.appendChild(BK.el('p', { class: 'help',
        text: 'No earlier bookings for "' + q + '".' }));
      return;
    }
    items.slice(0, 5).forEach(function (c) {
      var risk = BK.el('span', { class: 'risk risk-' + c.risk,
        text: c.risk === 'none' ? 'no risk' : c.risk + ' risk' });
      var card = BK.el('section', { class: 'customer' }, [
        BK.el('h3', {}, [c.name + ' ', risk]),
        BK.el('p', { text: c.bookings + (c.bookings === 1 ? ' booking · '
          : ' bookings · ') + c.appeared +
          ' appeared · ' + c.no_show + ' no-show' +
          (c.cancelled ? ' · ' + c.cancelled + ' cancelled' : '') })]);
      var ul = BK.el('ul', { class: 'past' });
      c.history.forEach(function (h) {
        ul.appendChild(BK.el('li', { text: BK.whenLabel(h.start) + ' – ' +
          h.outcome.replace('_', '-') + ' (' + h.category + ', ' +
          h.booked_by + ')' }));
      });
      card.appendChild(ul);
      body.appendChild(card);
    });
  }

  function scheduleLookup() {
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(async function () {
      var last = $('last_name').value.trim();
      var first = $('first_name').value.trim();
      var q = last + (first ? ', ' + first : '');
      var seq = ++lookupSeq;
      if (last.length < 2) {
        BK.clear($('history-body'));
        $('history-body').appendChild(BK.el('p', { class: 'help',
          text: 'Type the customer\'s name to see earlier bookings.' }));
        return;
      }
      var r = await BK.api('GET', '/api/v1/customers?q=' +
                           encodeURIComponent(q));
      if (seq !== lookupSeq || r.status !== 200) return; /* stale */
      renderHistory(r.body.items, q);
    }, 300);
  }

  /* ---- submit ---- */

  function localCheck(b) {
    if (!b.start) return ['start', 'Choose a slot.'];
    if (!b.last_name) return ['last_name', 'Enter the last name.'];
    if (!b.first_name) return ['first_name', 'Enter the first name.'];
    return null;
  }

  function showAlternatives(list) {
    var ul = $('altlist');
    BK.clear(ul);
    if (!list || !list.length) return;
    list.forEach(function (start) {
      var b = BK.el('button', { type: 'button', class: 'link',
        text: BK.whenLabel(start) });
      b.addEventListener('click', async function () {
        $('date').value = BK.dateOf(start);
        await loadDay(BK.dateOf(start), start);
        clearErrors();
        $('start').focus();
      });
      ul.appendChild(BK.el('li', {}, [b]));
    });
    $('alternatives').hidden = false;
  }

  async function submit(ev) {
    ev.preventDefault();
    clearErrors();
    $('done').hidden = true;
    var b = { start: $('start').value,
              first_name: $('first_name').value.trim(),
              last_name: $('last_name').value.trim(),
              description: $('description').value,
              category: $('category').value };
    if ($('consultant').value) b.consultant = $('consultant').value;
    var bad = localCheck(b);
    if (bad) { fieldError(bad[0], bad[1]); return; }
    if (!idemKey) idemKey = newKey();
    $('submit').disabled = true;
    var r = await BK.api('POST', '/api/v1/bookings', b,
                         { 'Idempotency-Key': idemKey });
    $('submit').disabled = false;
    if (r.status !== 0) idemKey = null; /* answered: next one is new */
    if (r.status === 201) {
      var when = BK.whenLabel(r.body.start);
      BK.clear($('done'));
      $('done').appendChild(BK.el('p', { text: 'Booked: ' +
        r.body.customer + ', ' + when + '.' }));
      $('done').appendChild(BK.el('p', {}, [
        BK.el('a', { href: 'mine.html', text: 'My bookings' }), ' · ',
        BK.el('a', { href: './?week=' + BK.monday(BK.dateOf(r.body.start)),
                     text: 'Back to the week' })]));
      $('done').hidden = false;
      $('done').focus();
      $('first_name').value = '';
      $('last_name').value = '';
      $('description').value = '';
      $('count').textContent = '0 of 500 characters';
      loadDay($('date').value);
      return;
    }
    var field = BK.errorField(r);
    if (r.status === 422 && field && fieldError(field, BK.errorText(r)))
      return;
    BK.say($('error'), BK.errorText(r), 'error');
    if (r.status === 409 && r.body && r.body.error &&
        r.body.error.code === 'slot_full')
      showAlternatives(r.body.error.alternatives);
    $('error').focus();
  }

  document.addEventListener('DOMContentLoaded', async function () {
    await BK.init();
    var start = BK.query('start');
    var date = start && BK.validDate(start.slice(0, 10)) ? start.slice(0, 10)
                                                        : BK.today();
    $('date').value = date;
    $('date').addEventListener('change', function () {
      if (BK.validDate($('date').value)) loadDay($('date').value);
    });
    $('start').addEventListener('change', fillConsultants);
    $('last_name').addEventListener('input', scheduleLookup);
    $('first_name').addEventListener('input', scheduleLookup);
    $('description').addEventListener('input', function () {
      $('count').textContent = $('description').value.length +
        ' of 500 characters';
    });
    $('form').addEventListener('submit', submit);
    await loadDay(date, start);
  });
})();
