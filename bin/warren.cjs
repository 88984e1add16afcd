#!/usr/bin/env node
// The package binary: runs the TypeScript CLI through tsx so there is no build step to forget.
require('tsx/cjs');
require('../cli/main.ts').main();
