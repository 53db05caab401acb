import { readFileSync } from 'node:fs';

/** No endpoint of the manager takes a body; anything larger than this is refused before it is read. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * File descriptors kept back from client connections besides the probes' sockets: Node's own,
 * the platform's calls, logs, the state directory. Clients that took every descriptor would
 * make every probe fail at once.
 */
const RESERVED_DESCRIPTORS = 64;
/** Where the limit of open files cannot be read (not Linux). */
const FALLBACK_MAX_CONNECTIONS = 4096;

/**
 * The client connections the manager holds at once: HTTP_MAX_CONNECTIONS, else what the file
 * descriptor limit leaves. The probes keep one connection alive per game server (MAX_SERVERS at
 * most), and open up to PROBE_CONCURRENCY at once.
 */
export function maxClientConnections(configured: number | undefined, probeSockets: number, openFiles: number | undefined): number {
  if (configured !== undefined) return configured;
  if (openFiles === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(1, openFiles - probeSockets - RESERVED_DESCRIPTORS);
}

/** The soft limit of open files of this process, from /proc/self/limits; undefined where there is none, or no limit. */
export function openFileLimit(): number | undefined {
  try {
    return openFileLimitIn(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The soft limit of open files in the text of /proc/<pid>/limits (proc(5)); undefined if it has none, or no limit. */
export function openFileLimitIn(limits: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s{2,}/)[1]);
  return Number.isInteger(soft) && soft > 0 ? soft : undefined;
}
