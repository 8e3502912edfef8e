/* Sign-in page: user name and password, then the TOTP step if asked. */
'use strict';

UI.ready.then(function () {
  var login = document.getElementById('login');
  var totp = document.getElementById('totp');
  var creds = null;

  function submit(body, form) {
    Hub.busy(form, true);
    Hub.error('');
    return Hub.api('POST', '/api/v1/auth/login', body).then(function (r) {
      Hub.busy(form, false);
      if (r.status === 200) {
        window.location.assign(Hub.route(r.body.user));
        return;
      }
      var code = r.body && r.body.error ? r.body.error.code : '';
      if (code === 'totp_required') {
        creds = body;
        Hub.show(login, false);
        Hub.show(totp, true);
        document.getElementById('code').focus();
        return;
      }
      Hub.error(Hub.message(r));
      if (form === totp) {
        document.getElementById('code').select();
      } else {
        document.getElementById('password').select();
      }
    }, function () {
      Hub.busy(form, false);
      Hub.error(Hub.message(null));
    });
  }

  login.addEventListener('submit', function (e) {
    e.preventDefault();
    var u = document.getElementById('username').value.trim();
    var p = document.getElementById('password').value;
    if (!u || !p) {
      Hub.error(UI.t('login.need_both'));
      return;
    }
    submit({ username: u, password: p }, login);
  });

  totp.addEventListener('submit', function (e) {
    e.preventDefault();
    var c = document.getElementById('code').value.replace(/\s+/g, '');
    if (!c) {
      Hub.error(UI.t('login.need_code'));
      return;
    }
    submit({ username: creds.username, password: creds.password, totp: c },
           totp);
  });

  document.getElementById('back').addEventListener('click', function () {
    creds = null;
    document.getElementById('code').value = '';
    Hub.error('');
    Hub.show(totp, false);
    Hub.show(login, true);
    document.getElementById('password').focus();
  });

  /* Already signed in: go on. */
  Hub.me().then(function (m) {
    if (m && m.user && m.csrf_token) window.location.assign(Hub.route(m.user));
  }, function () {});
});
