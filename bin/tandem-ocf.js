#!/usr/bin/env node
// ocf:tandem:replica's entry, as ocf/replica runs it: one agent action without the CLI framework.
// Pacemaker calls the agent for every monitor, notification and role change on every node, and a
// `tandem ocf <action>` process spends most of its time loading oclif (0.7 s against 0.35 s here
// on a loaded 2-CPU machine). `tandem ocf <action>` does the same thing.
import { runAgentAction } from '../dist/ocf/agent.js';

process.exitCode = await runAgentAction(process.argv[2] ?? '');
