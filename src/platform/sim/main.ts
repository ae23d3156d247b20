// `npm run sim`: the simulator on the real engine (src/engine/resource.ts). Options: cli.ts.
// The same file is the worker of --jobs: a worker thread runs the seeds the main thread sends.
import { isMainThread } from 'node:worker_threads';
import { Resource } from '../../engine/resource.js';
import type { EngineFactory } from './engine.js';
import { runCli, runWorker } from './cli.js';

const engine: EngineFactory = (config, nodeName, platform) => new Resource(config, nodeName, platform);

if (isMainThread) process.exitCode = await runCli(process.argv.slice(2), engine, { workerUrl: new URL(import.meta.url) });
else runWorker(engine);
