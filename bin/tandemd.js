#!/usr/bin/env node
// tandemd: the replication daemon (same as `tandem daemon`).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url, args: ['daemon', ...process.argv.slice(2)] });
