/* 2FA page: setup (QR code, key, first code), backup codes, turning off. */
'use strict';

UI.ready.then(function () {
  var $ = function (id) { return document.getElementById(id); };
  var required = false;

  function state(name) {
    ['off', 'scan', 'codes', 'on'].forEach(function (s) {
      Hub.show($(s), s === name);
    });
  }

  function fail(r) { Hub.error(Hub.message(r)); }

  Hub.me().then(function (m) {
    if (!m || !m.csrf_token) {
      window.location.assign('/auth/index.html?next=' +
        encodeURIComponent('/auth/totp.html'));
      return;
    }
    required = m.user.must_setup_2fa;
    Hub.show($('notice'), required);
    state(m.user.totp_enabled ? 'on' : 'off');
  });

  $('setup').addEventListener('submit', function (e) {
    e.preventDefault();
    Hub.error('');
    Hub.busy($('setup'), true);
    Hub.api('POST', '/api/v1/auth/totp/setup',
            { password: $('setup-password').value }).then(function (r) {
      Hub.busy($('setup'), false);
      if (r.status !== 200) return fail(r);
      $('setup-password').value = '';
      $('secret').textContent = r.body.secret.replace(/(.{4})/g, '$1 ').trim();
      var box = $('qr');
      while (box.firstChild) box.removeChild(box.firstChild);
      if (r.body.qr_svg) {
        var doc = new DOMParser().parseFromString(r.body.qr_svg,
                                                  'image/svg+xml');
        box.appendChild(document.importNode(doc.documentElement, true));
      }
      state('scan');
      $('enable-code').focus();
    }, function () { Hub.busy($('setup'), false); fail(null); });
  });

  $('enable').addEventListener('submit', function (e) {
    e.preventDefault();
    Hub.error('');
    Hub.busy($('enable'), true);
    Hub.api('POST', '/api/v1/auth/totp/enable',
            { code: $('enable-code').value.replace(/\s+/g, '') })
      .then(function (r) {
        Hub.busy($('enable'), false);
        if (r.status !== 200) {
          $('enable-code').select();
          if (r.status === 422) return Hub.error(UI.t('totp.wrong_code'));
          return fail(r);
        }
        var list = $('code-list');
        while (list.firstChild) list.removeChild(list.firstChild);
        r.body.backup_codes.forEach(function (c) {
          var li = document.createElement('li');
          li.textContent = c;
          list.appendChild(li);
        });
        state('codes');
        $('codes-done').focus();
      }, function () { Hub.busy($('enable'), false); fail(null); });
  });

  $('codes-done').addEventListener('click', function () {
    $('code-list').textContent = '';
    if (required) {
      window.location.assign(Hub.nextTarget());
      return;
    }
    state('on');
  });

  $('disable').addEventListener('submit', function (e) {
    e.preventDefault();
    Hub.error('');
    Hub.busy($('disable'), true);
    Hub.api('POST', '/api/v1/auth/totp/disable', {
      password: $('disable-password').value,
      code: $('disable-code').value.replace(/\s+/g, '')
    }).then(function (r) {
      Hub.busy($('disable'), false);
      if (r.status !== 200) return fail(r);
      $('disable').reset();
      state('off');
    }, function () { Hub.busy($('disable'), false); fail(null); });
  });
});
