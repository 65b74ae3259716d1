// Aborts a response body that stops delivering data: a stalled connection must fail (and be
// retried or resumed), never hang a pull.

export interface IdleWatchdog {
  /** Call on every chunk (and once at the start): the countdown begins again. */
  arm(): void;
  stop(): void;
  /** Whether the watchdog fired, i.e. the failure that followed is a stall. */
  readonly stalled: boolean;
}

export function idleWatchdog(ms: number, abort: () => void): IdleWatchdog {
  let timer: NodeJS.Timeout | undefined;
  let stalled = false;
  return {
    arm() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        abort();
      }, ms);
    },
    stop() {
      clearTimeout(timer);
    },
    get stalled() {
      return stalled;
    },
  };
}

export function stallError(ms: number, cause: unknown): Error {
  return Object.assign(new Error(`connection stalled: no data for ${ms} ms`), { code: 'ETIMEDOUT', cause });
}
