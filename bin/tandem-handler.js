#!/usr/bin/env node
// The handlers' entry, as the agents/tandem-* shims run them when tandemd calls them (the
// handler environment only, no flags): `tandem-handler.js fence|unfence|primary-lost|quorum-lost`,
// without the CLI framework, so a handler starts in about half the time of `tandem fence <kind>`
// (primary-lost and fence-peer sit on the failover path).
import { runHandlerFromEnv } from '../dist/cluster/handlers.js';

process.exitCode = await runHandlerFromEnv(process.argv[2] ?? '');
