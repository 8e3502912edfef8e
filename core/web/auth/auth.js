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

  function message(r) {
    if (!r) return 'The server cannot be reached. Try again.';
    var code = r.body && r.body.error ? r.body.error.code : '';
    switch (code) {
      case 'invalid_credentials':
        return 'Wrong user name, password or code.';
      case 'locked':
        return 'Too many failed attempts. Try again in ' +
          minutes(r.retryAfter) + '.';
      case 'rate_limited':
        return 'Too many attempts. Wait ' + minutes(r.retryAfter) +
          ' and try again.';
      case 'csrf':
      case 'unauthenticated':
        return 'Your session has ended. Sign in again.';
      default:
        return (r.body && r.body.error && r.body.error.message) ||
          'Something went wrong (' + r.status + ').';
    }
  }

  function minutes(s) {
    var n = parseInt(s, 10);
    if (!n || n < 60) return (n || 1) + ' seconds';
    return Math.ceil(n / 60) + ' minutes';
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
