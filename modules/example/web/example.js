// Calls GET /api/v1/example/hello/{name} and shows the answer. The page's
// words come from i18n/de.json and i18n/en.json through the UI kit.
UI.ready.then(() => {
  document.getElementById('hello').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = document.getElementById('name').value.trim();
    const out = document.getElementById('answer');
    if (!name) { out.textContent = UI.t('example.need_name'); return; }
    const r = await UI.api('GET', '/api/v1/example/hello/' +
                           encodeURIComponent(name));
    out.textContent = r.status === 200 ? r.body.message : UI.errorText(r);
  });
});
