/*
 * book.js - the booking form, built for the phone: opened from a slot it
 * has the focus in the first name, Enter books. While the name is typed
 * the customer's history is shown (earlier bookings, appeared / no-show,
 * risk) and an upcoming booking elsewhere is a warning; a high no-show
 * risk and a duplicate in the same slot (409 duplicate) ask before
 * booking. A full slot offers the nearest free ones. Retries after a
 * network failure reuse the Idempotency-Key so nothing is booked twice.
 * Errors are shown in words at the field the server names.
 */
'use strict';

(function () {
  var FIELDS = ['date', 'start', 'first_name', 'last_name', 'description',
                'category', 'consultant'];
  var slots = [];        /* the chosen day's slots */
  var idemKey = null;    /* kept until the server has answered */
  var lookupTimer = null, lookupSeq = 0;
  var customers = [];    /* the last history lookup */
  var pendingConfirm = null;
  var $ = function (id) { return document.getElementById(id); };

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) {
      return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  /* Names folded as the server folds them for the history. */
  function fold(s) {
    return String(s || '').toLowerCase().replace(/ß/g, 'ss')
      .normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[\s,]+/g, ' ').trim();
  }

  function clearErrors() {
    FIELDS.forEach(function (f) {
      var e = $('err-' + f), input = $(f);
      if (e) { e.hidden = true; e.textContent = ''; }
      if (input) input.removeAttribute('aria-invalid');
    });
    UI.say($('error'), '');
    $('alternatives').hidden = true;
    $('confirm').hidden = true;
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

  function countText() {
    $('count').textContent = UI.t('book.count',
      { n: $('description').value.length, max: 500 });
  }

  /* ---- slots of the chosen day ---- */

  async function loadDay(date, wanted) {
    var sel = $('start');
    BK.clear(sel);
    sel.appendChild(BK.el('option', { value: '', text: UI.t('ui.loading') }));
    var r = await UI.api('GET', '/api/v1/slots?from=' + date + '&to=' + date);
    BK.clear(sel);
    slots = [];
    if (r.status !== 200) {
      sel.appendChild(BK.el('option', { value: '', text: UI.t('book.no_slots') }));
      UI.say($('error'), UI.errorText(r), 'error');
      return;
    }
    var d = r.body.days[0];
    if (d.blocked) {
      sel.appendChild(BK.el('option', { value: '',
        text: UI.t('week.blocked', { reason: d.reason || '' }) }));
      return;
    }
    slots = d.slots;
    var usable = slots.filter(function (s) { return s.bookable && s.free > 0; });
    sel.appendChild(BK.el('option', { value: '', text: usable.length ?
      UI.t('book.choose_slot') : UI.t('book.no_free') }));
    usable.forEach(function (s) {
      sel.appendChild(BK.el('option', { value: s.start, text:
        BK.timeOf(s.start) + '–' + BK.timeOf(s.end) + ' · ' +
        BK.stateText(s) }));
    });
    if (wanted && usable.some(function (s) { return s.start === wanted; }))
      sel.value = wanted;
    fillConsultants();
  }

  function fillConsultants() {
    var sel = $('consultant'), keep = sel.value;
    var s = slots.find(function (x) { return x.start === $('start').value; });
    BK.clear(sel);
    sel.appendChild(BK.el('option', { value: '', text: UI.t('book.any') }));
    (s ? s.consultants : []).forEach(function (n) {
      sel.appendChild(BK.el('option', { value: n, text: n }));
    });
    if (s && s.consultants.indexOf(keep) >= 0) sel.value = keep;
    upcomingWarning();
  }

  /* ---- customer history ---- */

  function historyLine(h) {
    var cancelled = h.status === 'cancelled';
    return BK.el('li', { class: cancelled ? 'was-cancelled' : null, text:
      UI.t('history.line', { when: BK.when(h.start),
        outcome: cancelled ? UI.t('status.cancelled') : BK.outcome(h.outcome),
        category: BK.category(h.category), by: h.booked_by }) });
  }

  function renderHistory(items, q) {
    var body = $('history-body');
    BK.clear(body);
    if (!items.length) {
      body.appendChild(BK.el('p', { class: 'help',
        text: UI.t('history.none', { q: q }) }));
      return;
    }
    items.slice(0, 5).forEach(function (c) {
      var risk = BK.el('span', { class: 'badge risk-' + c.risk +
        (c.risk === 'high' ? ' bad' : c.risk === 'medium' ? ' warn' : ' ok'),
        text: UI.t('risk.' + c.risk) });
      var card = BK.el('section', { class: 'customer' }, [
        BK.el('h3', {}, [c.name + ' ', risk]),
        BK.el('p', { text: UI.t('history.counts', { n: c.bookings }) + ' · ' +
          UI.t('history.appeared', { n: c.appeared }) + ' · ' +
          UI.t('history.no_show', { n: c.no_show }) +
          (c.cancelled ? ' · ' + UI.t('history.cancelled',
            { n: c.cancelled }) : '') })]);
      var ul = BK.el('ul', { class: 'past' });
      c.history.forEach(function (h) { ul.appendChild(historyLine(h)); });
      card.appendChild(ul);
      body.appendChild(card);
    });
  }

  /* The customer the typed names denote, from the last lookup. */
  function typedCustomer() {
    var want = fold($('last_name').value + ' ' + $('first_name').value);
    return customers.find(function (c) { return fold(c.name) === want; });
  }

  /* Warns about an upcoming active booking of this customer elsewhere. */
  function upcomingWarning() {
    var c = typedCustomer(), now = Date.now(), chosen = $('start').value;
    var up = c ? c.history.filter(function (h) {
      return h.status !== 'cancelled' && Date.parse(h.start) > now &&
        h.start !== chosen;
    }) : [];
    UI.say($('warn'), up.length ? UI.t('book.upcoming', { n: up.length,
      when: up.map(function (h) { return BK.when(h.start); }).join('; ') })
      : '', up.length ? 'warn' : '');
  }

  async function lookup(last, first) {
    var q = last + (first ? ', ' + first : '');
    var seq = ++lookupSeq;
    if (last.length < 2) {
      customers = [];
      BK.clear($('history-body'));
      $('history-body').appendChild(BK.el('p', { class: 'help',
        text: UI.t('history.hint') }));
      upcomingWarning();
      return;
    }
    var r = await UI.api('GET', '/api/v1/customers?q=' + encodeURIComponent(q));
    if (seq !== lookupSeq) return; /* stale */
    if (r.status !== 200) {
      UI.say($('warn'), UI.errorText(r), 'error');
      return;
    }
    customers = r.body.items;
    renderHistory(customers, q);
    upcomingWarning();
  }

  function scheduleLookup() {
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(function () {
      lookup($('last_name').value.trim(), $('first_name').value.trim());
    }, 250);
  }

  /* ---- asking before booking ---- */

  function ask(text, yes) {
    pendingConfirm = yes;
    $('confirm-text').textContent = text;
    $('confirm').hidden = false;
    $('confirm-yes').focus();
  }

  function showAlternatives(list) {
    var ul = $('altlist');
    BK.clear(ul);
    if (!list || !list.length) return;
    list.forEach(function (start) {
      var b = BK.el('button', { type: 'button', class: 'link',
        text: BK.when(start) });
      b.addEventListener('click', async function () {
        $('date').value = UI.dateInput(BK.dateOf(start));
        await loadDay(BK.dateOf(start), start);
        clearErrors();
        $('submit').focus();
      });
      ul.appendChild(BK.el('li', {}, [b]));
    });
    $('alternatives').hidden = false;
  }

  /* ---- submit ---- */

  function localCheck(b) {
    if (!b.start) return ['start', UI.t('book.need_slot')];
    if (!b.first_name) return ['first_name', UI.t('book.need_first')];
    if (!b.last_name) return ['last_name', UI.t('book.need_last')];
    return null;
  }

  function confirmation(bk) {
    var done = $('done');
    BK.clear(done);
    done.appendChild(BK.el('p', { class: 'done-main', text: UI.t('book.done', {
      customer: bk.customer, when: BK.when(bk.start) }) }));
    done.appendChild(BK.el('p', { text: UI.t('book.done_details', {
      consultant: bk.consultant || UI.t('book.no_consultant'),
      category: BK.category(bk.category), ref: bk.id }) }));
    done.appendChild(BK.el('p', {}, [
      BK.el('a', { href: 'mine.html', text: UI.t('nav.mine') }), ' · ',
      BK.el('a', { href: './?week=' + UI.monday(BK.dateOf(bk.start)),
                   text: UI.t('book.back_week') })]));
    done.hidden = false;
  }

  async function send(b) {
    if (!idemKey) idemKey = newKey();
    $('submit').disabled = true;
    var r = await UI.api('POST', '/api/v1/bookings', b,
                         { 'Idempotency-Key': idemKey });
    $('submit').disabled = false;
    if (r.status !== 0 && r.status !== 429) idemKey = null;
    if (r.status === 201) {
      var last = b.last_name, first = b.first_name;
      confirmation(r.body);
      $('first_name').value = '';
      $('last_name').value = '';
      $('description').value = '';
      $('category').value = 'normal';
      $('consultant').value = '';
      countText();
      UI.say($('warn'), '');
      clearTimeout(lookupTimer);  /* a lookup still due would show the empty form */
      lookup(last, first);   /* the history shows the new booking */
      await loadDay(BK.dateOf(r.body.start), b.start);
      $('first_name').focus();
      return;
    }
    var code = r.body && r.body.error && r.body.error.code;
    if (r.status === 409 && code === 'duplicate') {
      var ex = r.body.error.existing || r.body.error.booking || {};
      ask(UI.t('book.duplicate', { ref: ex.id || '?' }), function () {
        b.allow_duplicate = true;
        send(b);
      });
      return;
    }
    var field = UI.errorField(r);
    if (r.status === 422 && field && fieldError(field, UI.errorText(r)))
      return;
    UI.say($('error'), UI.errorText(r), 'error');
    if (r.status === 409 && code === 'slot_full')
      showAlternatives(r.body.error.alternatives);
    $('error').focus();
  }

  function submit(ev) {
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
    var c = typedCustomer();
    if (c && c.risk === 'high') {
      ask(UI.t('book.risk_high', { name: c.name, n: c.no_show }),
          function () { send(b); });
      return;
    }
    send(b);
  }

  function pickDay() {
    var d = UI.parseDate($('date').value);
    if (!d) {
      fieldError('date', UI.t('date.invalid'));
      return;
    }
    $('err-date').hidden = true;
    $('date').removeAttribute('aria-invalid');
    loadDay(d);
  }

  UI.ready.then(async function () {
    var start = BK.query('start');
    var date = start && UI.validDate(start.slice(0, 10)) ?
      start.slice(0, 10) : UI.today();
    $('date').value = UI.dateInput(date);
    $('date').addEventListener('change', pickDay);
    $('date').addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); pickDay(); }
    });
    $('start').addEventListener('change', fillConsultants);
    $('last_name').addEventListener('input', scheduleLookup);
    $('first_name').addEventListener('input', scheduleLookup);
    $('description').addEventListener('input', countText);
    $('form').addEventListener('submit', submit);
    $('confirm-yes').addEventListener('click', function () {
      var go = pendingConfirm;
      pendingConfirm = null;
      $('confirm').hidden = true;
      if (go) go();
    });
    $('confirm-no').addEventListener('click', function () {
      pendingConfirm = null;
      $('confirm').hidden = true;
      $('first_name').focus();
    });
    $('confirm').addEventListener('keydown', function (e) {
      if (e.key === 'Escape') $('confirm-no').click();
    });
    countText();
    await loadDay(date, start);
    (start && $('start').value ? $('first_name') : $('date')).focus();
  });
})();
