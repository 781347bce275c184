// A require hook that compiles .ts files with @swc/core, so a test can run a
// child process on the real TypeScript sources:
//   node --require ./test/support/swc-register.js test/support/some-child.ts
// It only strips types; checking them is tsc's job.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a --require hook is loaded as CommonJS */
const fs = require('node:fs');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  });
  module._compile(code, filename);
};
