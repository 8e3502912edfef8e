/*
 * mine.js - bookings as a compact list grouped by day: the user's own
 * ("only mine", a filter), or everyone's for staff and admins, searchable
 * by customer (?q=). Each row can be cancelled (with a reason), moved to
 * another slot with free places, or given its outcome, in a small panel
 * that closes with its button or Escape. Cancelled bookings are marked
 * in words, not only by colour.
 */
'use strict';

(function () {
  var cursor = null, lastDay = null, group = null;
  var OUTCOMES = ['pending', 'appeared', 'no_show', 'cancelled'];
  var $ = function (id) { return document.getElementById(id); };

  function params() {
    var today = UI.today(), range = $('range').value, p = [];
    var q = $('q').value.trim();
    if (q) p.push('q=' + encodeURIComponent(q));
    else if (range === 'upcoming') p.push('from=' + today);
    else if (range === 'past') {
      p.push('from=' + UI.addDays(today, -30));
      p.push('to=' + UI.addDays(today, -1));
    }
    if ($('onlymine').checked) p.push('mine=1');
    p.push('limit=50');
    return p.join('&');
  }

  /* ---- panels ---- */

  function closePanel(row) {
    var old = row.querySelector('.panel');
    if (old) old.remove();
    var opener = row.querySelector('.actions button');
    if (opener) opener.focus();
  }

  /* A small inline form below a row; Escape or its close button closes. */
  function panel(row, title, build) {
    var old = row.querySelector('.panel');
    if (old) old.remove();
    var box = BK.el('div', { class: 'panel', role: 'group',
      'aria-label': title });
    build(box);
    var close = BK.el('button', { type: 'button', class: 'link',
      text: UI.t('mine.close') });
    close.addEventListener('click', function () { closePanel(row); });
    box.appendChild(close);
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); closePanel(row); }
    });
    row.appendChild(box);
    var first = box.querySelector('input, select');
    if (first) first.focus();
  }

  function status(row) { return row.querySelector('.row-status'); }

  /* Sends a change; on success replaces the row. */
  async function change(row, b, action, body, msg, btn) {
    if (btn) btn.disabled = true;
    var r = await UI.api('POST', '/api/v1/bookings/' + b.id + '/' + action,
                         body);
    if (btn) btn.disabled = false;
    if (r.status === 200) {
      var fresh = rowNode(r.body);
      row.replaceWith(fresh);
      UI.say(status(fresh), msg(r.body), 'ok');
      fresh.querySelector('.who').focus();
      return;
    }
    var text = UI.errorText(r);
    if (r.body && r.body.error && r.body.error.alternatives &&
        r.body.error.alternatives.length)
      text += ' ' + UI.t('mine.free_nearby', { list:
        r.body.error.alternatives.map(BK.when).join(', ') });
    UI.say(status(row), text, 'error');
  }

  function cancelPanel(row, b) {
    panel(row, UI.t('mine.cancel_title'), function (box) {
      var id = 'reason-' + b.id;
      var input = BK.el('input', { id: id, maxlength: '500', required: true,
        autocomplete: 'off' });
      var go = BK.el('button', { type: 'button', class: 'danger',
        text: UI.t('mine.cancel_do') });
      function doIt() {
        if (go.disabled) return;
        if (!input.value.trim()) {
          UI.say(status(row), UI.t('mine.need_reason'), 'error');
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        change(row, b, 'cancel', { reason: input.value.trim() },
               function () { return UI.t('mine.cancelled_ok'); }, go);
      }
      go.addEventListener('click', doIt);
      input.addEventListener('keydown', function (e) {
        if (e.key === 'Enter') { e.preventDefault(); doIt(); }
      });
      box.appendChild(BK.el('label', { for: id, text: UI.t('mine.reason') }));
      box.appendChild(input);
      box.appendChild(go);
    });
  }

  function reschedulePanel(row, b) {
    panel(row, UI.t('mine.move_title'), function (box) {
      var did = 'rdate-' + b.id, sid = 'rslot-' + b.id;
      var date = BK.el('input', { id: did, inputmode: 'numeric',
        autocomplete: 'off', placeholder: UI.t('date.format') });
      var sel = BK.el('select', { id: sid });
      var go = BK.el('button', { type: 'button', class: 'primary',
        text: UI.t('mine.move_do') });
      date.value = UI.dateInput(BK.dateOf(b.start));
      async function fill() {
        var d = UI.parseDate(date.value);
        BK.clear(sel);
        if (!d) {
          sel.appendChild(BK.el('option', { value: '', text: UI.t('date.invalid') }));
          return;
        }
        var r = await UI.api('GET', '/api/v1/slots?from=' + d + '&to=' + d);
        var free = r.status === 200 && !r.body.days[0].blocked ?
          r.body.days[0].slots.filter(function (s) {
            return s.bookable && s.free > 0 && s.start !== b.start; }) : [];
        BK.clear(sel);
        sel.appendChild(BK.el('option', { value: '', text: free.length ?
          UI.t('book.choose_slot') : UI.t('book.no_free') }));
        free.forEach(function (s) {
          sel.appendChild(BK.el('option', { value: s.start, text:
            BK.timeOf(s.start) + ' · ' + BK.stateText(s) }));
        });
      }
      date.addEventListener('change', fill);
      go.addEventListener('click', function () {
        if (!sel.value) {
          UI.say(status(row), UI.t('mine.need_slot'), 'error');
          sel.focus();
          return;
        }
        change(row, b, 'reschedule', { start: sel.value }, function (nb) {
          return UI.t('mine.moved_ok', { when: BK.when(nb.start) }); }, go);
      });
      box.appendChild(BK.el('label', { for: did, text: UI.t('mine.new_day') }));
      box.appendChild(date);
      box.appendChild(BK.el('label', { for: sid, text: UI.t('mine.new_slot') }));
      box.appendChild(sel);
      box.appendChild(go);
      fill();
    });
  }

  function outcomePanel(row, b) {
    panel(row, UI.t('mine.outcome_title'), function (box) {
      var id = 'outcome-' + b.id;
      var sel = BK.el('select', { id: id }, OUTCOMES.map(function (o) {
        return BK.el('option', { value: o, text: BK.outcome(o) }); }));
      var go = BK.el('button', { type: 'button', class: 'primary',
        text: UI.t('mine.outcome_do') });
      sel.value = b.outcome;
      go.addEventListener('click', function () {
        change(row, b, 'outcome', { outcome: sel.value }, function (nb) {
          return UI.t('mine.outcome_ok', { outcome: BK.outcome(nb.outcome) });
        }, go);
      });
      box.appendChild(BK.el('label', { for: id, text: UI.t('mine.outcome') }));
      box.appendChild(sel);
      box.appendChild(go);
    });
  }

  /* ---- rows ---- */

  function rowNode(b) {
    var cancelled = b.status === 'cancelled';
    var row = BK.el('li', { class: 'brow' + (cancelled ? ' cancelled' : ''),
      'data-id': String(b.id) });
    var badge = cancelled ?
      BK.el('span', { class: 'badge bad', text: UI.t('status.cancelled') }) :
      BK.el('span', { class: 'badge' + (b.outcome === 'appeared' ? ' ok' :
        b.outcome === 'no_show' ? ' warn' : ''), text: BK.outcome(b.outcome) });
    row.appendChild(BK.el('span', { class: 'time', text: BK.timeOf(b.start) }));
    row.appendChild(BK.el('span', { class: 'who', tabindex: '-1' }, [
      BK.el('strong', { class: 'name', text: b.customer }), ' ', badge]));
    row.appendChild(BK.el('span', { class: 'meta', text: [
      BK.category(b.category),
      b.consultant || UI.t('book.no_consultant'),
      UI.t('mine.by', { name: b.booked_by }) +
        (b.imported ? ' · ' + UI.t('mine.imported') : ''),
      UI.t('mine.ref', { ref: b.id })].join(' · ') +
      (cancelled && b.cancel_reason ? ' · ' + UI.t('mine.reason_was',
        { reason: b.cancel_reason }) : '') }));
    if (b.description)
      row.appendChild(BK.el('span', { class: 'notes', text: b.description }));
    var actions = BK.el('span', { class: 'actions' });
    function act(key, fn) {
      var btn = BK.el('button', { type: 'button', text: UI.t(key),
        'aria-label': UI.t(key) + ': ' + b.customer + ', ' + BK.when(b.start) });
      btn.addEventListener('click', function () { fn(row, b); });
      actions.appendChild(btn);
    }
    if (!cancelled) {
      act('mine.cancel', cancelPanel);
      act('mine.move', reschedulePanel);
    }
    act('mine.set_outcome', outcomePanel);
    row.appendChild(actions);
    row.appendChild(BK.el('p', { class: 'row-status status', role: 'status',
      hidden: true }));
    return row;
  }

  function add(b) {
    var d = BK.dateOf(b.start);
    if (d !== lastDay) {
      lastDay = d;
      var sec = BK.el('section', { class: 'group' + (d === UI.today() ?
        ' today' : '') }, [BK.el('h2', {}, [UI.day(d, 'date'),
        d === UI.today() ? BK.el('span', { class: 'badge today-badge',
          text: UI.t('week.today') }) : null])]);
      group = BK.el('ul', { class: 'rows' });
      sec.appendChild(group);
      $('list').appendChild(sec);
    }
    group.appendChild(rowNode(b));
  }

  async function load(more) {
    if (!more) { BK.clear($('list')); cursor = null; lastDay = null; }
    UI.say($('status'), UI.t('ui.loading'));
    var r = await UI.api('GET', '/api/v1/bookings?' + params() +
                         (more && cursor ? '&cursor=' +
                          encodeURIComponent(cursor) : ''));
    if (r.status !== 200) {
      UI.say($('status'), UI.errorText(r), 'error');
      return;
    }
    r.body.items.forEach(add);
    cursor = r.body.next_cursor;
    $('more').hidden = !cursor;
    UI.say($('status'), $('list').children.length ? '' : UI.t('mine.empty'));
  }

  UI.ready.then(function (ctx) {
    /* consultants see their own schedule: the filter does not apply */
    if (ctx.user.role === 'consultant') $('mine-label').hidden = true;
    else $('onlymine').checked = BK.query('all') === null;
    if (BK.query('q')) $('q').value = BK.query('q');
    $('filters').addEventListener('submit', function (e) {
      e.preventDefault(); load(false); });
    $('range').addEventListener('change', function () { load(false); });
    $('onlymine').addEventListener('change', function () { load(false); });
    $('more').addEventListener('click', function () { load(true); });
    load(false);
  });
})();
