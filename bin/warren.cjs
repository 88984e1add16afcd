#!/usr/bin/env node
// The `warren` command. In a source checkout (cli/main.ts beside this folder) it runs the TypeScript through
// tsx, so there is no build step to forget; an installed package runs the bundle `npm pack` built, which
// starts without transpiling or resolving hundreds of modules.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, '..', 'cli', 'main.ts'))) {
  require('tsx/cjs');
  require('../cli/main.ts').main();
} else {
  require('../lib/warren.cjs').main();
}
