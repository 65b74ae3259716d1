// The signals a skiff that waits on a child in the foreground passes on to it, rather than dying
// of them first: the foreground runc (src/cli/attach.ts) and the skiff re-run inside the user's
// namespace (src/runtime/enter-userns.ts).
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
