// The engine as the simulator drives it: one resource on one node, made from the configuration,
// the node's name and a Platform (the lead's `new Resource(config, nodeName, platform)`). The
// runner is given a factory, so the simulator itself does not depend on where the engine lives.
import type { ResourceConfig } from '../../config/model.js';
import type { Platform } from '../../engine/platform.js';
import type { ResourceStatus } from '../../engine/states.js';

export interface EngineResource {
  up(opts?: { holdFormerPrimary?: boolean }): Promise<void>;
  down(): Promise<void>;
  control(op: string, args: Record<string, unknown>): Promise<unknown>;
  status(): ResourceStatus;
}

export type EngineFactory = (config: ResourceConfig, nodeName: string, platform: Platform) => EngineResource;
