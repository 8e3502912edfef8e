/*
 * views_people.js - users (add with a one-time password, role, disable,
 * unlock, reset 2FA), API tokens (create: the secret is shown once, see
 * ADM.secretBox; revoke) and consultants (add, edit capacity, calendar and
 * e-mail, deactivate).
 */
'use strict';

(function () {
  var h = ADM.h, t = ADM.t;
  var ROLES = ['admin', 'staff', 'consultant'];

  /* ---------------------------------------------------------- users */

  function userState(u) {
    var s = [];
    s.push(u.disabled ? t('adm.users.disabled') : t('adm.users.enabled'));
    if (u.locked_until) s.push(t('adm.users.locked'));
    s.push(u.totp_enabled ? t('adm.users.2fa_on') : t('adm.users.2fa_off'));
    return s.join(' · ');
  }

  async function patchUser(name, body, okKey) {
    var r = await UI.api('PATCH', '/api/v1/admin/users/' + encodeURIComponent(name), body);
    if (ADM.failed(r)) return;
    await ADM.show();
    ADM.status(t(okKey, { name: name }), 'ok');
  }

  function userActions(u) {
    var role = ADM.select('adm.users.role', ROLES.map(function (x) {
      return [x, t('adm.role.' + x)];
    }), u.role);
    role.input.addEventListener('change', async function () {
      /* taking the admin role away is confirmed first */
      if (u.role === 'admin' && !await ADM.confirm(t('adm.users.demote_q',
          { name: u.username, role: t('adm.role.' + role.input.value) }))) {
        role.input.value = u.role;
        return;
      }
      patchUser(u.username, { role: role.input.value }, 'adm.users.saved');
    });
    var toggle = u.disabled ?
      ADM.button('adm.users.enable', function () {
        patchUser(u.username, { disabled: false }, 'adm.users.saved');
      }) :
      ADM.button('adm.users.disable', async function () {
        if (await ADM.confirm(t('adm.users.disable_q', { name: u.username })))
          patchUser(u.username, { disabled: true }, 'adm.users.saved');
      }, 'danger');
    var unlock = ADM.button('adm.users.unlock', async function () {
      var r = await UI.api('POST', '/api/v1/admin/users/' +
        encodeURIComponent(u.username) + '/unlock');
      if (!ADM.failed(r)) ADM.status(t('adm.users.unlocked', { name: u.username }), 'ok');
    });
    var reset = ADM.button('adm.users.reset2fa', async function () {
      if (!await ADM.confirm(t('adm.users.reset2fa_q', { name: u.username }))) return;
      var r = await UI.api('POST', '/api/v1/admin/users/' +
        encodeURIComponent(u.username) + '/totp-reset');
      if (!ADM.failed(r)) ADM.status(t('adm.users.reset_done', { name: u.username }), 'ok');
    }, 'danger');
    return h('div', { 'class': 'row' }, [role.label, toggle, unlock, reset]);
  }

  ADM.views.users = async function (root) {
    var name = ADM.field('adm.users.name', { required: true, maxlength: 63,
      autocomplete: 'off' });
    var role = ADM.select('adm.users.role', ROLES.map(function (x) {
      return [x, t('adm.role.' + x)];
    }), 'staff');
    var out = h('div');
    var form = h('form', { 'class': 'card', id: 'user-add' }, [
      h('h2', {}, t('adm.users.add')),
      h('div', { 'class': 'row' }, [name.label, role.label,
        h('button', { type: 'submit', 'class': 'primary' }, t('adm.users.create'))])]);
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var r = await UI.api('POST', '/api/v1/admin/users',
        { username: name.input.value.trim(), role: role.input.value });
      if (ADM.failed(r)) return;
      await ADM.show();
      document.getElementById('view').prepend(
        ADM.secretBox('adm.users.otp_title', r.body.password));
      ADM.status(t('adm.users.created', { name: r.body.username }), 'ok');
    });
    var r = await UI.api('GET', '/api/v1/admin/users?limit=1000');
    root.appendChild(form);
    root.appendChild(out);
    if (ADM.failed(r)) return;
    out.appendChild(ADM.table(t('adm.v.users'),
      [t('adm.users.name'), t('adm.users.state'), t('adm.actions')],
      r.body.items.map(function (u) {
        return [u.username, userState(u), userActions(u)];
      })));
  };

  /* --------------------------------------------------------- tokens */

  ADM.views.tokens = async function (root) {
    var name = ADM.field('adm.tokens.name', { required: true, maxlength: 64 });
    var scope = ADM.select('adm.tokens.scope', ['read', 'book', 'admin'].map(
      function (x) { return [x, t('adm.scope.' + x)]; }), 'read');
    var form = h('form', { 'class': 'card', id: 'token-add' }, [
      h('h2', {}, t('adm.tokens.add')),
      h('div', { 'class': 'row' }, [name.label, scope.label,
        h('button', { type: 'submit', 'class': 'primary' }, t('adm.tokens.create'))])]);
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var r = await UI.api('POST', '/api/v1/admin/tokens',
        { name: name.input.value.trim(), scope: scope.input.value });
      if (ADM.failed(r)) return;
      await ADM.show();
      document.getElementById('view').prepend(ADM.secretBox('adm.tokens.secret', r.body.token));
      ADM.status(t('adm.tokens.created', { name: r.body.name }), 'ok');
    });
    root.appendChild(form);
    var r = await UI.api('GET', '/api/v1/admin/tokens?limit=1000');
    if (ADM.failed(r)) return;
    root.appendChild(ADM.table(t('adm.v.tokens'),
      [t('adm.tokens.name'), t('adm.tokens.scope'), t('adm.tokens.by'),
       t('adm.tokens.used'), t('adm.actions')],
      r.body.items.map(function (k) {
        return [k.name, t('adm.scope.' + k.scope), k.created_by,
          ADM.when(k.last_used_at),
          ADM.button('adm.tokens.revoke', async function () {
            if (!await ADM.confirm(t('adm.tokens.revoke_q', { name: k.name }))) return;
            var d = await UI.api('DELETE', '/api/v1/admin/tokens/' + k.id);
            if (ADM.failed(d)) return;
            await ADM.show();
            ADM.status(t('adm.tokens.revoked', { name: k.name }), 'ok');
          }, 'danger')];
      })));
  };

  /* ---------------------------------------------------- consultants */

  function consultantRow(c) {
    var cap = ADM.field('adm.cons.capacity', { type: 'number', min: 0, max: 1000,
      value: String(c.capacity), inputmode: 'numeric' });
    var cal = ADM.field('adm.cons.calendar', { value: c.calendar_id, maxlength: 250 });
    var mail = ADM.field('adm.cons.email', { type: 'email', value: c.email, maxlength: 200 });
    var save = ADM.button('adm.save', async function () {
      var r = await UI.api('PATCH', '/api/v1/admin/consultants/' + c.id, {
        capacity: Number(cap.input.value), calendar_id: cal.input.value.trim(),
        email: mail.input.value.trim() });
      if (ADM.failed(r)) return;
      await ADM.show();
      ADM.status(t('adm.cons.saved', { name: c.name }), 'ok');
    });
    var act = c.active ?
      ADM.button('adm.cons.deactivate', async function () {
        if (!await ADM.confirm(t('adm.cons.deactivate_q', { name: c.name }))) return;
        var r = await UI.api('PATCH', '/api/v1/admin/consultants/' + c.id, { active: false });
        if (!ADM.failed(r)) { await ADM.show(); ADM.status(t('adm.cons.saved', { name: c.name }), 'ok'); }
      }, 'danger') :
      ADM.button('adm.cons.activate', async function () {
        var r = await UI.api('PATCH', '/api/v1/admin/consultants/' + c.id, { active: true });
        if (!ADM.failed(r)) { await ADM.show(); ADM.status(t('adm.cons.saved', { name: c.name }), 'ok'); }
      });
    return [c.name, c.active ? t('adm.cons.active') : t('adm.cons.inactive'),
      h('div', { 'class': 'row' }, [cap.label, cal.label, mail.label, save, act])];
  }

  ADM.views.consultants = async function (root) {
    var name = ADM.field('adm.cons.name', { required: true, maxlength: 100 });
    var cal = ADM.field('adm.cons.calendar', { maxlength: 250 });
    var mail = ADM.field('adm.cons.email', { type: 'email', maxlength: 200 });
    var cap = ADM.field('adm.cons.capacity', { type: 'number', min: 0, max: 1000,
      value: '0', inputmode: 'numeric' });
    var form = h('form', { 'class': 'card', id: 'cons-add' }, [
      h('h2', {}, t('adm.cons.add')), h('p', { 'class': 'muted' }, t('adm.cons.cap_hint')),
      h('div', { 'class': 'row' }, [name.label, cal.label, mail.label, cap.label,
        h('button', { type: 'submit', 'class': 'primary' }, t('adm.cons.create'))])]);
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var body = { name: name.input.value.trim(), capacity: Number(cap.input.value) };
      if (cal.input.value.trim()) body.calendar_id = cal.input.value.trim();
      if (mail.input.value.trim()) body.email = mail.input.value.trim();
      var r = await UI.api('POST', '/api/v1/admin/consultants', body);
      if (ADM.failed(r)) return;
      await ADM.show();
      ADM.status(t('adm.cons.saved', { name: r.body.name }), 'ok');
    });
    root.appendChild(form);
    var r = await UI.api('GET', '/api/v1/admin/consultants');
    if (ADM.failed(r)) return;
    root.appendChild(ADM.table(t('adm.v.consultants'),
      [t('adm.cons.name'), t('adm.cons.state'), t('adm.actions')],
      r.body.items.map(consultantRow)));
  };
})();
