#!/usr/bin/env node
'use strict';
// The CLI is bundled to dist/cli.js by `npm run build`.
void require('../dist/cli.js').main(process.argv.slice(2));
