/*
 * views_hooks.js - webhooks: the registered endpoints (URL, events,
 * created), registering one (URL and the events it hears; the signing
 * secret is shown once), deleting one after confirming, and an
 * endpoint's delivery log (event, state, HTTP status, attempts, last
 * error, times), paged.
 */
'use strict';

(function () {
  var h = ADM.h, t = ADM.t;
  var EVENTS = ['booking.created', 'booking.cancelled', 'booking.rescheduled',
    'booking.outcome'];
  var BASE = '/api/v1/admin/webhooks';

  function eventText(e) {
    return EVENTS.indexOf(e) >= 0 ? t('adm.wh.ev.' + e.slice(8)) : e;
  }

  function stateText(s) {
    var cls = s === 'delivered' ? 'ok' : s === 'failed' ? 'bad' : 'warnc';
    return h('span', { 'class': cls }, ['pending', 'delivered', 'failed'].indexOf(s) >= 0 ?
      t('adm.wh.st.' + s) : s);
  }

  /* The delivery log of hook w in box, page by page. */
  async function showLog(box, w) {
    box.textContent = '';
    var title = h('h2', { id: 'wh-log-title', tabindex: '-1' },
      t('adm.wh.log_title', { url: w.url }));
    var body = h('div');
    box.appendChild(h('section', { 'class': 'card', id: 'wh-log',
      'aria-labelledby': 'wh-log-title' }, [title, body]));
    async function load(cursor) {
      var q = new URLSearchParams({ limit: '50' });
      if (cursor) q.set('cursor', cursor);
      var r = await UI.api('GET', BASE + '/' + w.id + '/deliveries?' + q.toString());
      var old = body.querySelector('.pager');
      if (old) old.remove();
      if (ADM.failed(r)) return;
      body.appendChild(ADM.table(t('adm.wh.log'), [t('adm.wh.event'), t('adm.wh.state'),
        { text: t('adm.wh.code'), num: true }, { text: t('adm.wh.attempts'), num: true },
        t('adm.wh.error'), t('adm.wh.times')],
      r.body.items.map(function (d) {
        var times = [t('adm.wh.t_created', { when: ADM.when(d.created_at) })];
        if (d.last_attempt_at) times.push(t('adm.wh.t_last', { when: ADM.when(d.last_attempt_at) }));
        if (d.next_attempt_at) times.push(t('adm.wh.t_next', { when: ADM.when(d.next_attempt_at) }));
        if (d.delivered_at) times.push(t('adm.wh.t_done', { when: ADM.when(d.delivered_at) }));
        return [h('span', {}, [eventText(d.event), h('br'),
          h('span', { 'class': 'muted' }, d.subject || '')]),
          stateText(d.state), d.status_code === null || d.status_code === undefined ?
            '–' : String(d.status_code), UI.number(d.attempts), d.last_error || '',
          h('span', {}, times.reduce(function (a, x, i) {
            return a.concat(i ? [h('br'), x] : [x]);
          }, []))];
      })));
      var p = ADM.pager(r.body.next_cursor, load);
      if (p) { p.classList.add('pager'); body.appendChild(p); }
    }
    await load();
    title.focus();
  }

  function hookRow(w, logBox) {
    var open = ADM.button('adm.wh.open', function () { showLog(logBox, w); });
    open.setAttribute('aria-label', t('adm.wh.open_for', { url: w.url }));
    var del = ADM.button('adm.wh.delete', async function () {
      if (!await ADM.confirm(t('adm.wh.delete_q', { url: w.url }))) return;
      var d = await UI.api('DELETE', BASE + '/' + w.id);
      if (ADM.failed(d)) return;
      await ADM.show();
      ADM.status(t('adm.wh.deleted', { url: w.url }), 'ok');
    }, 'danger');
    del.setAttribute('aria-label', t('adm.wh.delete_for', { url: w.url }));
    return [h('span', { 'class': 'url' }, w.url), w.events.map(eventText).join(', '),
      ADM.when(w.created_at), h('div', { 'class': 'row' }, [open, del])];
  }

  function addForm() {
    var url = ADM.field('adm.wh.url', { type: 'url', required: true, maxlength: 2000,
      placeholder: 'https://example.com/hook', autocomplete: 'off', inputmode: 'url' });
    var boxes = EVENTS.map(function (e) {
      var id = 'wh-ev-' + e.slice(8);
      return { e: e, input: h('input', { type: 'checkbox', id: id, value: e, checked: true }),
        id: id };
    });
    var set = h('fieldset', { 'class': 'events' }, [h('legend', {}, t('adm.wh.events'))]
      .concat(boxes.map(function (b) {
        return h('div', { 'class': 'check' }, [b.input,
          h('label', { 'for': b.id }, eventText(b.e))]);
      })));
    var form = h('form', { 'class': 'card', id: 'hook-add' }, [
      h('h2', {}, t('adm.wh.add')), h('p', { 'class': 'muted' }, t('adm.wh.add_text')),
      h('div', { 'class': 'row' }, [url.label]), set,
      h('div', { 'class': 'row' },
        h('button', { type: 'submit', 'class': 'primary' }, t('adm.wh.create')))]);
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var events = boxes.filter(function (b) { return b.input.checked; })
        .map(function (b) { return b.e; });
      if (!events.length) {
        ADM.status(t('adm.wh.no_events'), 'error');
        boxes[0].input.focus();
        return;
      }
      var r = await UI.api('POST', BASE, { url: url.input.value.trim(), events: events });
      if (ADM.failed(r)) return;
      await ADM.show();
      document.getElementById('view').prepend(ADM.secretBox('adm.wh.secret', r.body.secret));
      ADM.status(t('adm.wh.created', { url: r.body.url }), 'ok');
    });
    return form;
  }

  ADM.views.webhooks = async function (root) {
    root.appendChild(addForm());
    var list = h('div'), logBox = h('div');
    root.appendChild(list);
    root.appendChild(logBox);
    async function load(cursor) {
      var r = await UI.api('GET', BASE + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
      var old = list.querySelector('.pager');
      if (old) old.remove();
      if (ADM.failed(r)) return;
      list.appendChild(ADM.table(t('adm.v.webhooks'), [t('adm.wh.url'), t('adm.wh.events'),
        t('adm.b.when'), t('adm.actions')],
      r.body.items.map(function (w) { return hookRow(w, logBox); })));
      var p = ADM.pager(r.body.next_cursor, load);
      if (p) { p.classList.add('pager'); list.appendChild(p); }
    }
    await load();
  };
})();
