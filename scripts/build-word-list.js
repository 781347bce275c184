#!/usr/bin/env node
// Regenerates resources/dirty-words.txt from the `naughty-words` package (the
// LDNOOBW list), English and Chinese. Run: node scripts/build-word-list.js
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script run by node */

const fs = require('node:fs');
const path = require('node:path');

const LANGUAGES = ['en', 'zh'];
const pkgDir = path.dirname(require.resolve('naughty-words/package.json'));
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const out = path.join(__dirname, '..', 'resources', 'dirty-words.txt');

const seen = new Set();
const words = [];
for (const lang of LANGUAGES) {
  const list = JSON.parse(fs.readFileSync(path.join(pkgDir, `${lang}.json`), 'utf8'));
  for (const raw of list) {
    const word = String(raw).trim();
    // A leading '#' would read as a comment line; the lists have none, but keep the file loadable.
    if (word.length === 0 || word.startsWith('#')) continue;
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    words.push(word);
  }
}

const header = [
  '# Dirty-word list for the chat filter (src/chat/filter), one word per line.',
  `# Source: npm package naughty-words@${pkg.version}, the "List of Dirty, Naughty, Obscene and`,
  '# Otherwise Bad Words" by LDNOOBW (Shutterstock),',
  `# ${pkg.homepage}`,
  `# Languages: ${LANGUAGES.join(', ')}.`,
  `# Licence: ${pkg.license} (Creative Commons Attribution 4.0 International),`,
  '# https://creativecommons.org/licenses/by/4.0/ ; see node_modules/naughty-words/LICENSE.',
  '# Changes: words trimmed and deduplicated case-insensitively; nothing else.',
  '# Generated file: regenerate with `node scripts/build-word-list.js`; do not edit by hand.',
  '',
];
fs.writeFileSync(out, header.join('\n') + words.join('\n') + '\n');
console.log(`wrote ${words.length} words to ${path.relative(process.cwd(), out)}`);
