// Writes oclif.manifest.json after the TypeScript build: with it the CLI finds a command without
// importing every command module, which halves the start-up of each `tandem` call (the OCF agent
// and the fence handlers call it on every action).
import { Config } from '@oclif/core';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/oclif.manifest.json`, { force: true }); // oclif would read the old one back: new commands stay unknown
const config = await Config.load(root);
const manifest = config.plugins.get('tandem').manifest;
writeFileSync(`${root}/oclif.manifest.json`, JSON.stringify(manifest));
console.log(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands`);
