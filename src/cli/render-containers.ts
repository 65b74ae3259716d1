// ps output: docker's columns and status wording.
import type { Container, ListedContainer } from '../ops/container-options.js';
import { formatPort } from '../network/ports.js';
import { humanDuration } from './humanize.js';
import type { CliIO } from './io.js';
import { type ListFormat, renderList } from './render-list.js';

export interface ContainerRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  Status: string;
  State: string;
  Names: string;
  Labels: string;
  ExitCode: number | null;
}

const HEADER_NAMES = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', Status: 'STATUS', State: 'STATE', Names: 'NAMES', Labels: 'LABELS', ExitCode: 'EXIT CODE',
};

const ago = (ms: number, now: number) => humanDuration((now - ms) / 1000);

export function statusText(c: Container, now = Date.now()): string {
  switch (c.state) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${c.startedAt ? ago(c.startedAt, now) : 'Less than a second'}`;
    case 'exited': {
      const code = c.exitCode === null ? 'unknown' : String(c.exitCode);
      return c.finishedAt ? `Exited (${code}) ${ago(c.finishedAt, now)} ago` : `Exited (${code})`;
    }
  }
}

/** docker quotes the command and cuts it to 20 characters in the table unless --no-trunc. */
export function commandText(args: string[], trunc: boolean): string {
  const s = args.join(' ');
  return JSON.stringify(trunc && s.length > 20 ? `${s.slice(0, 19)}…` : s);
}

export function toContainerRow(c: ListedContainer, trunc: boolean, now = Date.now()): ContainerRow {
  return {
    ID: trunc ? c.id.slice(0, 12) : c.id,
    Image: c.image,
    Command: commandText(c.command, trunc),
    CreatedAt: new Date(c.createdAt).toISOString(),
    RunningFor: `${ago(c.createdAt, now)} ago`,
    Ports: c.published.map(formatPort).join(', '),
    Status: statusText(c, now),
    State: c.state,
    Names: c.name,
    Labels: Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','),
    ExitCode: c.exitCode,
  };
}

export function renderContainers(io: CliIO, list: ListedContainer[], opts: ListFormat & { trunc: boolean }): void {
  const rows = list.map((c) => toContainerRow(c, opts.trunc));
  renderList(io, rows, opts, (r) => r.ID, (rs) => ({
    headers: ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    body: rs.map((r) => [r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names]),
  }), HEADER_NAMES);
}
