// Table tests for src/network/ports.ts: docker's -p forms, ExposedPorts for -P, the PORTS text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { exposedPorts, formatPort, parsePublish, portMappings } from '../../src/network/ports.js';

const usage = (re: RegExp) => (err: unknown) => err instanceof SkiffError && err.kind === 'usage' && re.test(err.message);

test('-p forms: port, host:port, ip:host:port, ip::port, /udp, [ipv6]', () => {
  assert.deepEqual(parsePublish('80'), { hostIP: '0.0.0.0', hostPort: 0, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePublish('8080:80'), { hostIP: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' });
  assert.deepEqual(parsePublish('127.0.0.1::53/udp'), { hostIP: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' });
  assert.deepEqual(parsePublish('[::1]:8080:80'), { hostIP: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
});

test('-p errors: bad numbers, out of range, unknown protocol, too many parts', () => {
  assert.throws(() => parsePublish('http'), usage(/invalid port "http"/));
  assert.throws(() => parsePublish('70000:80'), usage(/expected 1-65535/));
  assert.throws(() => parsePublish('0:80'), usage(/expected 1-65535/));
  assert.throws(() => parsePublish('80/sctp'), usage(/invalid protocol "sctp"/));
  assert.throws(() => parsePublish('a:b:c:d'), usage(/expected \[HOST_IP:\]HOST_PORT:CONTAINER_PORT/));
});

test('-P takes the image ExposedPorts, each to a free host port, in port order', () => {
  assert.deepEqual(exposedPorts({ '80/tcp': {}, '53/udp': {}, '8443': {} }), [
    { hostIP: '0.0.0.0', hostPort: 0, containerPort: 53, protocol: 'udp' },
    { hostIP: '0.0.0.0', hostPort: 0, containerPort: 80, protocol: 'tcp' },
    { hostIP: '0.0.0.0', hostPort: 0, containerPort: 8443, protocol: 'tcp' },
  ]);
  assert.deepEqual(exposedPorts(undefined), []);
});

test('the PORTS text and the portmap capability argument', () => {
  const p = { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' as const };
  assert.equal(formatPort(p), '127.0.0.1:8080->80/tcp');
  assert.deepEqual(portMappings([p, { ...p, hostIP: '0.0.0.0', hostPort: 9090 }]), [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' },
    { hostPort: 9090, containerPort: 80, protocol: 'tcp' },
  ]);
});
