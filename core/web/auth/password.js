/* Change-password page (also the forced change of a one-time password). */
'use strict';

UI.ready.then(function () {
  var form = document.getElementById('change');

  Hub.me().then(function (m) {
    if (!m || !m.csrf_token) {
      window.location.assign('/auth/index.html?next=' +
        encodeURIComponent('/auth/password.html'));
      return;
    }
    Hub.show(document.getElementById('notice'), m.user.must_change_password);
  });

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var cur = document.getElementById('current').value;
    var nw = document.getElementById('new').value;
    var rep = document.getElementById('repeat').value;
    Hub.error('');
    if (nw.length < 10) {
      Hub.error(UI.t('password.too_short'));
      document.getElementById('new').focus();
      return;
    }
    if (nw !== rep) {
      Hub.error(UI.t('password.differ'));
      document.getElementById('repeat').focus();
      return;
    }
    Hub.busy(form, true);
    Hub.api('POST', '/api/v1/auth/password', { current: cur, 'new': nw })
      .then(function (r) {
        Hub.busy(form, false);
        if (r.status === 200) {
          form.reset();
          Hub.show(document.getElementById('done'), true);
          if (r.body.user.must_setup_2fa)
            window.location.assign(Hub.route(r.body.user));
          else
            setTimeout(function () {
              window.location.assign(Hub.nextTarget());
            }, 1200);
          return;
        }
        Hub.error(Hub.message(r));
      }, function () {
        Hub.busy(form, false);
        Hub.error(Hub.message(null));
      });
  });
});
