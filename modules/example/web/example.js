// Calls GET /api/v1/example/hello/{name} and shows the answer.
document.getElementById('hello').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = document.getElementById('name').value.trim();
  const out = document.getElementById('answer');
  if (!name) { out.textContent = 'Type a name first.'; return; }
  const res = await fetch('/api/v1/example/hello/' + encodeURIComponent(name));
  const body = await res.json();
  out.textContent = res.ok ? body.message : body.error.message;
});
