// test_auth_next.mjs - Hub.nextTarget() of core/web/auth/auth.js, the
// `?next=` target followed after sign-in: same-origin paths only. Runs the
// page script in a Node vm context with the WHATWG URL classes (the same
// parsing rules as the browser) and a stub window.location.
//
// usage: node test_auth_next.mjs PATH/TO/auth.js
import fs from 'node:fs';
import vm from 'node:vm';

const src = fs.readFileSync(process.argv[2], 'utf8');
const origin = 'http://127.0.0.1:8080';
let passed = 0, failed = 0;

// nextTarget() for a raw query string (as in location.search).
function target(search) {
  const ctx = vm.createContext({
    window: { location: { search, origin, href: origin + '/auth/' + search } },
    URL, URLSearchParams, fetch: () => { throw new Error('no fetch'); },
  });
  vm.runInContext(src + '\n;globalThis.__hub = Hub;', ctx);
  return ctx.__hub.nextTarget();
}

function expect(search, want) {
  let got;
  try { got = target(search); } catch (e) { got = 'exception: ' + e; }
  if (got === want) passed++;
  else { failed++; console.error(`FAIL next ${JSON.stringify(search)}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`); }
}

// allowed: our own paths, with query and fragment, normalised
expect('', '/');
expect('?next=%2Fbooking%2F', '/booking/');
expect('?next=/booking/book.html%3Fstart%3D2025-03-03T09%3A00%3A00%2B01%3A00',
  '/booking/book.html?start=2025-03-03T09:00:00+01:00');
expect('?next=/auth/password.html%23top', '/auth/password.html#top');
expect('?next=/a/../booking/', '/booking/');
expect('?next=/%252F%252Fevil.example', '/%2F%2Fevil.example'); // stays a path

// refused: anything that leaves the origin or is not a path
for (const bad of [
  '?next=/%09/evil.example/x',     // tab dropped by the URL parser
  '?next=/%0a/evil.example',       // LF
  '?next=/%0d/evil.example',       // CR
  '?next=%09//evil.example',       // leading control character
  '?next=/%00/evil.example',       // NUL
  '?next=/%7f/x', '?next=/%c2%85/x', // DEL, C1 control (NEL)
  '?next=//evil.example',
  '?next=/\\evil.example', '?next=/%5Cevil.example',
  '?next=/x%5C..%5C..%5C%5Cevil.example',
  '?next=https://evil.example/', '?next=http:%2F%2Fevil.example',
  '?next=javascript:alert(1)', '?next=evil.example',
  '?next=%20/evil', '?next=.%2Fx',
]) expect(bad, '/');

console.log(`identity.auth_next: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
