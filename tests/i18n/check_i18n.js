/*
 * check_i18n.js - the pages' words all come from catalogues, in German
 * and English alike. For every page folder (core/web/*, modules/*\/web):
 *   - de.json and en.json hold the same keys (and the same plural forms);
 *   - no HTML page has a text node or a text attribute (placeholder,
 *     aria-label, title, alt) written into it: words come through
 *     data-i18n / data-i18n-attr (an element with data-i18n may hold a
 *     fallback text: the catalogue's replaces it);
 *   - every key a page or script names (data-i18n, data-i18n-attr,
 *     UI.t('key')) exists in the page's catalogue or the shared one, in
 *     both languages; a key built from a prefix ('category.' + c) needs
 *     at least one key with that prefix;
 *   - no script puts a literal English sentence on screen (text: 'Word',
 *     textContent = 'Word').
 * Usage: node check_i18n.js SOURCE_DIR   (exit 0 = passed)
 */
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
let failed = 0, checked = 0;

function fail(msg) { failed++; console.error('FAIL: ' + msg); }
function ok() { checked++; }

function readJson(f) {
  try { return JSON.parse(fs.readFileSync(f, 'utf8')); } catch (e) {
    fail(f + ': ' + e.message);
    return {};
  }
}

function catalogue(dir) {
  const de = path.join(dir, 'i18n', 'de.json');
  const en = path.join(dir, 'i18n', 'en.json');
  if (!fs.existsSync(de) && !fs.existsSync(en)) return null;
  const c = { de: readJson(de), en: readJson(en), dir };
  for (const [a, b] of [['de', 'en'], ['en', 'de']]) {
    for (const k of Object.keys(c[a])) {
      if (!(k in c[b])) fail(path.relative(root, dir) + ': key "' + k +
        '" in ' + a + '.json is missing in ' + b + '.json');
      else if (typeof c[a][k] !== typeof c[b][k]) fail(k + ': plural in one language only');
      else ok();
    }
  }
  for (const l of ['de', 'en'])
    for (const [k, v] of Object.entries(c[l]))
      if (typeof v === 'object' && (v === null || typeof v.other !== 'string'))
        fail(l + '.json "' + k + '": a plural needs "other"');
  return c;
}

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'i18n' && e.name !== 'node_modules') walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const shared = catalogue(path.join(root, 'core', 'web', 'ui'));
if (!shared) fail('core/web/ui/i18n is missing');

function has(key, own) {
  return ['de', 'en'].every((l) => (own && key in own[l]) || key in shared[l]);
}
function hasPrefix(prefix, own) {
  return ['de', 'en'].every((l) => Object.keys(shared[l]).concat(
    own ? Object.keys(own[l]) : []).some((k) => k.startsWith(prefix)));
}

function checkHtml(file, own) {
  const rel = path.relative(root, file);
  let html = fs.readFileSync(file, 'utf8');
  html = html.replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, '');
  /* text between tags; the fallback text of an element that names its
   * key (data-i18n) is replaced from the catalogue, so it may stay */
  const bare = html.replace(/(<(\w+)\b[^>]*\sdata-i18n="[^"]*"[^>]*>)[^<]*(<\/\2>)/g, '$1$3');
  const text = bare.replace(/<[^>]*>/g, '\u0000').split('\u0000')
    .map((t) => t.trim()).filter((t) => t && !/^[·–—|/()\-:,.]+$/.test(t));
  if (text.length) fail(rel + ': text outside the catalogue: ' +
    JSON.stringify(text.slice(0, 5)));
  else ok();
  /* text attributes */
  const attrs = html.match(/\s(placeholder|aria-label|title|alt)="[^"]*[A-Za-zÄÖÜäöü][^"]*"/g);
  if (attrs) fail(rel + ': text attribute outside the catalogue: ' + attrs.join(' '));
  else ok();
  for (const m of html.matchAll(/data-i18n="([^"]+)"/g))
    has(m[1], own) ? ok() : fail(rel + ': key "' + m[1] + '" missing');
  for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g))
    for (const pair of m[1].split(/\s+/)) {
      const key = pair.slice(pair.indexOf(':') + 1);
      has(key, own) ? ok() : fail(rel + ': key "' + key + '" missing');
    }
}

function checkJs(file, own) {
  const rel = path.relative(root, file);
  const js = fs.readFileSync(file, 'utf8');
  for (const m of js.matchAll(/\bUI\.t\(\s*'([^']+)'\s*(\+)?/g)) {
    if (m[2]) hasPrefix(m[1], own) ? ok() : fail(rel + ': no key starts with "' + m[1] + '"');
    else has(m[1], own) ? ok() : fail(rel + ': key "' + m[1] + '" missing');
  }
  const lit = js.match(/(\btext:\s*|textContent\s*=\s*)'[A-Z][a-z]+[ a-z]*/g);
  if (lit) fail(rel + ': words on screen outside the catalogue: ' + lit.join(', '));
  else ok();
}

const folders = [path.join(root, 'core', 'web', 'ui'), path.join(root, 'core', 'web', 'auth')];
const mods = path.join(root, 'modules');
if (fs.existsSync(mods))
  for (const m of fs.readdirSync(mods))
    if (fs.existsSync(path.join(mods, m, 'web'))) folders.push(path.join(mods, m, 'web'));

for (const dir of folders) {
  const own = path.basename(dir) === 'ui' ? null : catalogue(dir);
  const files = walk(dir, []);
  const pages = files.filter((f) => f.endsWith('.html'));
  if (pages.length && !own && path.basename(dir) !== 'ui')
    fail(path.relative(root, dir) + ': pages without i18n/de.json and en.json');
  for (const f of pages) checkHtml(f, own);
  for (const f of files.filter((x) => x.endsWith('.js'))) checkJs(f, own);
}

console.log('i18n: ' + checked + ' checks passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
