#!/usr/bin/env node
// The `muxbench` command. Sources are TypeScript; tsx compiles them on load so that the command works
// right after `npm ci`, with no build step to remember.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
