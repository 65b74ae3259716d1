// Test-only: polls a probe until it yields a value, for states that settle asynchronously
// (conmon's exit command, a container's exit).
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
