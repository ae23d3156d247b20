// `npm run sim`: the simulator on the real engine (src/engine/resource.ts). Options: cli.ts.
import { Resource } from '../../engine/resource.js';
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), (config, nodeName, platform) => new Resource(config, nodeName, platform));
process.exitCode = code;
