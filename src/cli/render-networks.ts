// network ls: docker's columns, plus the subnet (what a user most often looks a network up for).
import type { NetworkConfig } from '../network/network-config.js';
import { timeAgo } from './humanize.js';
import type { CliIO } from './io.js';
import { type ListFormat, renderList } from './render-list.js';

export interface NetworkRow {
  ID: string;
  Name: string;
  Driver: string;
  Subnet: string;
  Gateway: string;
  Internal: boolean;
  Bridge: string;
  Labels: Record<string, string>;
  CreatedAt: string;
  CreatedSince: string;
}

function toRow(n: NetworkConfig, trunc: boolean): NetworkRow {
  return {
    ID: trunc ? n.id.slice(0, 12) : n.id,
    Name: n.name,
    Driver: n.driver,
    Subnet: n.subnet,
    Gateway: n.gateway,
    Internal: n.internal,
    Bridge: n.bridge,
    Labels: n.labels,
    CreatedAt: n.created,
    CreatedSince: timeAgo(n.created),
  };
}

export function renderNetworks(io: CliIO, networks: NetworkConfig[], opts: ListFormat & { trunc: boolean }): void {
  const rows = networks.map((n) => toRow(n, opts.trunc));
  renderList(io, rows, opts, (r) => r.ID, (rs) => ({
    headers: ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'INTERNAL'],
    body: rs.map((r) => [r.ID, r.Name, r.Driver, r.Subnet, r.Internal ? 'true' : 'false']),
  }), { ID: 'NETWORK ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT' });
}
