#!/usr/bin/env node
// The `mailroom` command. From a checkout it runs the TypeScript sources directly
// (Node 24 strips types); an installed package (inside node_modules, where Node
// will not strip types) runs the build in out/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/main/cli/main.ts', import.meta.url);
const built = new URL('../out/main/cli.js', import.meta.url);
const inNodeModules = fileURLToPath(import.meta.url).includes(`${'node_modules'}`);
await import(!inNodeModules && existsSync(source) ? source.href : built.href);
