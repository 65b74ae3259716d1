// Per-layer pull progress: an animated ora spinner on a TTY, one plain line per state change otherwise.
import type { Ora } from 'ora';
import { shortId } from '../oci/digest.js';
import type { PullEvent } from '../ops/pull.js';
import { humanSize } from './humanize.js';
import { type CliIO, err } from './io.js';

interface LayerState { status: string; current: number; total: number }

export class PullProgress {
  private readonly layers = new Map<string, LayerState>();
  private spinner: Ora | undefined;
  private readonly tty: boolean;
  /** Settles once the spinner is drawing (or will not be): a pull can end before ora has loaded. */
  private readonly ready: Promise<void>;

  constructor(private readonly io: CliIO) {
    // A terminal that reports no width (a pty nobody sized) cannot be redrawn in place: ora
    // would divide by its zero columns.
    this.tty = Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb' && (io.stderr.columns ?? 0) > 0;
    // ora is loaded only when it will draw.
    this.ready = this.tty
      ? import('ora').then(({ default: ora }) => {
          this.spinner = ora({ stream: this.io.stderr as NodeJS.WriteStream, isEnabled: true, color: this.io.env.NO_COLOR === undefined ? 'cyan' : false }).start('resolving');
          this.render();
        }).catch(() => undefined) // no spinner then; the pull itself is not at stake
      : Promise.resolve();
  }

  event(e: PullEvent): void {
    if (e.type === 'resolved') {
      if (!this.tty) err(this.io, `${e.reference}: resolved to ${e.digest} (${e.platform}, ${e.layers.length} ${e.layers.length === 1 ? 'layer' : 'layers'})`);
      for (const l of e.layers) this.layers.set(l.digest, { status: 'waiting', current: 0, total: l.size });
      this.render();
      return;
    }
    const st = this.layers.get(e.digest) ?? { status: '', current: 0, total: e.total };
    const changed = st.status !== e.status;
    st.status = e.status;
    if (e.current !== undefined) st.current = e.current;
    if (e.status === 'done' || e.status === 'exists') st.current = st.total;
    this.layers.set(e.digest, st);
    if (this.tty) this.render();
    else if (changed && e.status !== 'waiting') err(this.io, `${shortId(e.digest)}: ${label(e.status)}`);
  }

  async finish(): Promise<void> {
    await this.ready;
    this.spinner?.stopAndPersist({ symbol: '✔', text: this.text('pulled') });
  }

  async fail(): Promise<void> {
    await this.ready;
    this.spinner?.stop();
  }

  private render(): void {
    if (this.spinner) this.spinner.text = this.text('pulling');
  }

  private text(title: string): string {
    const lines = [...this.layers].map(([d, s]) => {
      const amount = s.status === 'downloading' ? ` ${humanSize(s.current)}/${humanSize(s.total)}` : '';
      return `  ${shortId(d)}: ${label(s.status)}${amount}`;
    });
    return [title, ...lines].join('\n');
  }
}

function label(status: string): string {
  return status === 'exists' ? 'already exists' : status;
}
