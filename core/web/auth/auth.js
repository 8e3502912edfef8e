/* Shared helpers of the sign-in pages (no framework, no inline code). */
'use strict';

var Hub = (function () {
  var csrf = null;

  /* Calls the JSON API. Resolves to {status, body}; never rejects for an
   * HTTP error, only for a network failure. */
  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (data && data.csrf_token) csrf = data.csrf_token;
        return { status: res.status, body: data,
                 retryAfter: res.headers.get('Retry-After') };
      });
    });
  }

  /* The signed-in user ({user, csrf_token}) or null. */
  function me() {
    return api('GET', '/api/v1/auth/me').then(function (r) {
      return r.status === 200 ? r.body : null;
    });
  }

  function show(el, on) { if (el) el.hidden = !on; }

  function error(msg) {
    var el = document.getElementById('error');
    el.textContent = msg;
    show(el, !!msg);
  }

  /* The user's words for a failed request (null: the network). */
  function message(r) {
    if (!r) return UI.t('ui.offline');
    var code = r.body && r.body.error ? r.body.error.code : '';
    var wait = duration(r.retryAfter);
    switch (code) {
      case 'locked':
        return UI.t('auth.locked', { wait: wait });
      case 'rate_limited':
        return UI.t('auth.rate_limited', { wait: wait });
      case 'csrf':
      case 'unauthenticated':
        return UI.t('auth.session_ended');
      default:
        return UI.errorText({ status: r.status, body: r.body,
          headers: { get: function () { return r.retryAfter; } } });
    }
  }

  /* "45 Sekunden" / "3 Minuten" for a Retry-After value. */
  function duration(s) {
    var n = parseInt(s, 10);
    if (!n || n < 60) return UI.t('auth.seconds', { n: n || 1 });
    return UI.t('auth.minutes', { n: Math.ceil(n / 60) });
  }

  /* Only same-origin paths are followed after sign-in. URL parsers drop
   * tab, CR and LF anywhere and treat '\' as '/', so "/\t/evil.example"
   * would become "//evil.example": refuse control characters and
   * backslashes outright, then let the parser decide and require our own
   * origin. What is followed is the parsed path, not the raw text. */
  function nextTarget() {
    var p = new URLSearchParams(window.location.search).get('next') || '/';
    var here = window.location.origin, u;
    if (/[\u0000-\u001f\u007f-\u009f\\]/.test(p) ||
        p.charAt(0) !== '/' || p.charAt(1) === '/')
      return '/';
    try {
      u = new URL(p, here);
    } catch (e) {
      return '/';
    }
    if (u.origin !== here || u.username || u.password) return '/';
    return u.pathname + u.search + u.hash;
  }

  /* Where a signed-in user has to go next. */
  function route(user) {
    var next = encodeURIComponent(nextTarget());
    if (user.must_change_password) return '/auth/password.html?next=' + next;
    if (user.must_setup_2fa) return '/auth/totp.html?next=' + next;
    return nextTarget();
  }

  function busy(form, on) {
    var b = form.querySelectorAll('button');
    for (var i = 0; i < b.length; i++) b[i].disabled = on;
  }

  return { api: api, me: me, show: show, error: error, message: message,
           route: route, nextTarget: nextTarget, busy: busy };
})();
