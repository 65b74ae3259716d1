import type { Command } from 'commander';
import { opsContext } from '../cli/context.js';
import { type CliIO, out } from '../cli/io.js';

export function addPort(cmd: Command, io: CliIO): Command {
  return cmd
    .description("List a running container's published ports, or the host address of one of them")
    .argument('<container>', 'container name or ID')
    .argument('[port]', 'a container port, PORT or PORT/tcp|udp')
    .action(async (ref: string, only: string | undefined, _f: unknown, c: Command) => {
      const ports = (await import('../ops/container-ports.js')).containerPorts(opsContext(c, io), ref, only);
      // docker's forms: "80/tcp -> 0.0.0.0:8080", or the address alone when a port was asked for.
      for (const p of ports) out(io, only !== undefined ? `${p.hostIP}:${p.hostPort}` : `${p.containerPort}/${p.protocol} -> ${p.hostIP}:${p.hostPort}`);
    });
}

export function registerPort(program: Command, io: CliIO): void {
  addPort(program.command('port'), io);
}
