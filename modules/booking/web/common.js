/*
 * common.js - what the booking pages share on top of the UI kit
 * (/ui/ui.js: catalogues, dates per language, requests, user menu):
 * DOM helpers, the wall time of the API's instants, the words for a
 * slot's state and for a booking's category and outcome. Everything the
 * server sends is put into the page as text, never as HTML.
 */
'use strict';

var BK = (function () {
  /* el('p', {class: 'x', text: 'hi'}, [children]) */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k === 'hidden') e.hidden = true;
      else e.setAttribute(k, v === true ? '' : v);
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(typeof c === 'string' ?
        document.createTextNode(c) : c);
    });
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function query(name) {
    return new URLSearchParams(window.location.search).get(name);
  }

  /* The API's instants carry the business zone's offset, so the wall
   * time and date are in the text: "2026-11-30T09:00:00+01:00". */
  function timeOf(rfc) { return rfc.slice(11, 16); }
  function dateOf(rfc) { return rfc.slice(0, 10); }

  /* "Mo., 7. Dez., 09:00" */
  function when(rfc) {
    return UI.day(dateOf(rfc), 'date') + ', ' + timeOf(rfc);
  }

  /* The state of a slot: 'blocked', 'past', 'horizon', 'full', 'few',
   * 'open'. */
  function state(s) {
    if (s.blocked) return 'blocked';
    if (!s.bookable) return s.not_bookable === 'horizon' ? 'horizon' : 'past';
    if (s.free <= 0) return 'full';
    return s.free === 1 ? 'few' : 'open';
  }

  /* Words for a slot's state ("2 frei", "voll", "vorbei"). */
  function stateText(s) {
    var st = state(s);
    if (st === 'open' || st === 'few') return UI.t('slot.free', { n: s.free });
    return UI.t('slot.' + st);
  }

  function category(c) { return UI.t('category.' + c); }
  function outcome(o) { return UI.t('outcome.' + o); }

  /* Up to 5 bookable slots with free places nearest to `start` (later
   * first at equal distance), from GET /slots over the next 14 days. */
  async function alternatives(start) {
    var from = dateOf(start), to = UI.addDays(from, 13);
    var r = await UI.api('GET', '/api/v1/slots?from=' + from + '&to=' + to);
    if (r.status !== 200) return { error: r };
    var t0 = Date.parse(start), list = [];
    r.body.days.forEach(function (d) {
      (d.slots || []).forEach(function (s) {
        if (s.bookable && s.free > 0 && s.start !== start) list.push(s);
      });
    });
    list.sort(function (a, b) {
      return Math.abs(Date.parse(a.start) - t0) -
        Math.abs(Date.parse(b.start) - t0) ||
        Date.parse(b.start) - Date.parse(a.start);
    });
    return { items: list.slice(0, 5) };
  }

  return { el: el, clear: clear, query: query, timeOf: timeOf,
           dateOf: dateOf, when: when, state: state, stateText: stateText,
           category: category, outcome: outcome,
           alternatives: alternatives };
})();
