#!/usr/bin/env node
// Entry point of the tandem CLI (oclif).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
