import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import { type CliIO, out } from '../cli/io.js';
import { PullProgress } from '../cli/pull-progress.js';
import { parsePlatform } from '../oci/platform.js';

export function registerPull(program: Command, io: CliIO): void {
  program
    .command('pull')
    .description('Pull an image from a registry')
    .argument('<image>', 'image reference, e.g. busybox, host:5000/ns/app:tag, repo@sha256:…')
    .option('-q, --quiet', 'print only the image reference')
    .option('--platform <os/arch[/variant]>', "pull this platform's image from a multi-platform index (default: the host's)")
    .action(async (image: string, opts: { quiet?: boolean; platform?: string }, cmd: Command) => {
      const progress = opts.quiet ? undefined : new PullProgress(io);
      try {
        const res = await (await import('../ops/pull.js')).pull(opsContext(cmd, io), {
          reference: image,
          ...(opts.platform ? { platform: parsePlatform(opts.platform) } : {}),
          ...(progress ? { onEvent: (e) => progress.event(e) } : {}),
        });
        await progress?.finish();
        if (!opts.quiet) out(io, `Digest: ${res.image.digest}`);
        out(io, res.reference);
      } catch (e) {
        await progress?.fail();
        throw e;
      }
    });
}
