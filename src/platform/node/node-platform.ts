// The Platform of the real daemon: the system clock, setImmediate, crypto randomness and digests
// (WebCrypto, hashed on libuv's thread pool, not on the event loop), TCP peer links, backing disks with asynchronous I/O, PMEM/block metadata, the NBD server with the
// block-device frontends (/dev/tandem/<res>/<vol>), execa for handlers, and the settings taken from the environment (the engine reads none itself).
import { randomBytes, subtle } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockDevice, DigestAlg, Platform, PlatformSettings } from '../../engine/platform.js';
import type { VolumeConfig } from '../../config/model.js';
import { frontendDirs, type TandemEnv } from '../../lib/env.js';
import type { Logger } from '../../lib/log.js';
import { VolumeMetadata } from '../../meta/volume-metadata.js';
import { systemClock } from '../../transport/clock.js';
import { TandemError } from '../../lib/errors.js';
import { PACKAGE_ROOT } from '../../lib/package-root.js';
import { openBlockDevice } from './block-device.js';
import { ExecaHandlerRunner } from './handler-runner.js';
import { tcpConnector } from './peer-connector.js';
import { startVolumeExport } from './volume-export.js';

export interface NodePlatformOptions {
  log: Logger;
  emit: Platform['emit'];
  /** the process environment (TANDEM_CONFIG_DIR, TANDEM_HANDLER_DIR, TANDEM_BENCH_NO_METADATA) */
  env: NodeJS.ProcessEnv;
  /** this daemon's node and run directory: where its block devices' state lives */
  tandem: TandemEnv;
}

/** A backing disk through io_uring, O_DIRECT where the kernel allows it (src/platform/node/block-device.ts). */
async function openDisk(volume: VolumeConfig): Promise<BlockDevice> {
  const path = volume.disk;
  if (path === null) throw new TandemError('TANDEM_E_INTERNAL', `volume ${volume.index} has no disk to open`);
  try {
    return await openBlockDevice(path);
  } catch (err) {
    throw new TandemError('TANDEM_E_IO', `cannot open backing disk ${path}: ${(err as Error).message}`, {
      hint: 'check the disk path in the resource configuration (tandem config explain <res>)',
      cause: err,
    });
  }
}

const WEBCRYPTO_NAMES: Record<DigestAlg, string> = { sha256: 'SHA-256' };

/** WebCrypto's digest runs as a job on the thread pool: a 256 KiB block never holds the event loop. */
async function digest(alg: DigestAlg, data: Buffer): Promise<Buffer> {
  return Buffer.from(await subtle.digest(WEBCRYPTO_NAMES[alg], data));
}

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** Read through libuv's thread pool, never on the event loop; null off Linux or when unreadable. */
async function bootId(): Promise<string | null> {
  try {
    return (await readFile(BOOT_ID_FILE, 'utf8')).trim();
  } catch {
    return null;
  }
}

export function nodePlatform(opts: NodePlatformOptions): Platform {
  const settings: PlatformSettings = {
    configDir: opts.env.TANDEM_CONFIG_DIR ?? '/etc/tandem',
    skipMetadataUpdates: opts.env.TANDEM_BENCH_NO_METADATA === '1',
  };
  const handlerDir = opts.env.TANDEM_HANDLER_DIR ?? join(PACKAGE_ROOT, 'agents');
  return {
    clock: systemClock,
    defer: (fn) => { setImmediate(fn); },
    randomU64: () => randomBytes(8).readBigUInt64LE(0),
    digest,
    bootId,
    log: opts.log,
    emit: opts.emit,
    openDisk: (volume) => openDisk(volume),
    openMetadata: (volume) => {
      if (!volume.meta) throw new TandemError('TANDEM_E_CONFIG', `volume ${volume.index} has a disk but no meta`, { hint: 'set meta = pmem:<path> or block:<path> for it' });
      return VolumeMetadata.open(`${volume.meta.kind}:${volume.meta.path}`);
    },
    connector: (config, localNode, connectOpts) => tcpConnector(config, localNode, opts.log.child({ resource: config.name }), connectOpts, {
      refused: (r) => {
        opts.log.warn('peer connection refused', { resource: config.name, ...r });
        opts.emit({ kind: 'connection', resource: config.name, peerNodeId: r.peerNodeId, refused: r.code, by: r.by, reason: r.reason });
      },
    }),
    startExport: (address, name, backend, request) => startVolumeExport(address, name, backend, request, frontendDirs(opts.tandem, opts.env), opts.log.child({ resource: request.resource.name })),
    handlers: new ExecaHandlerRunner(handlerDir),
    settings,
  };
}
