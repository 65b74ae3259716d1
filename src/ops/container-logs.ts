// logs: what conmon wrote for a detached container, filtered and optionally followed.
import { SkiffError } from '../errors.js';
import { containerLayout } from '../runtime/container-layout.js';
import { type LogLine, readLog } from '../runtime/k8s-log.js';
import { refresh } from './container-status.js';
import { type OpsContext, withStore } from './context.js';
import { requireContainer } from './find-container.js';

export interface LogsOptions {
  container: string;
  follow: boolean;
  tail?: number;
  since?: string;
  until?: string;
  signal?: AbortSignal;
  onLine: (l: LogLine) => void;
}

/** docker's --since/--until: RFC 3339, a Unix timestamp, or a duration back from now (10m, 1h30m). */
export function parseLogTime(s: string, now = Date.now()): Date {
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (dur && s !== '' && (dur[1] || dur[2] || dur[3])) {
    const ms = (Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0)) * 1000;
    return new Date(now - ms);
  }
  if (/^\d+(\.\d+)?$/.test(s)) return new Date(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new SkiffError('usage', `invalid time ${JSON.stringify(s)}: expected RFC 3339, a Unix timestamp or a duration such as 10m`);
  return new Date(t);
}

export function containerLogs(ctx: OpsContext, o: LogsOptions): Promise<void> {
  const since = o.since !== undefined ? parseLogTime(o.since) : undefined;
  const until = o.until !== undefined ? parseLogTime(o.until) : undefined;
  return withStore(ctx, async (store) => {
    const c = requireContainer(store, o.container);
    const path = containerLayout(store.paths, c.id).log;
    const isDone = () => {
      const rec = store.containers.get<typeof c.spec>(c.id);
      return !rec || refresh(store, rec).state !== 'running';
    };
    for await (const line of readLog(path, {
      follow: o.follow,
      isDone,
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(o.tail !== undefined ? { tail: o.tail } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    })) {
      o.onLine(line);
    }
  });
}
