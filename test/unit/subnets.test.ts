// Subnet arithmetic for network create, the host's route table, and a network's CNI list.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { attachList, bridgeName, defaultNetwork, fromConflist, toConflist } from '../../src/network/network-config.js';
import { contains, formatSubnet, freeSubnet, hostRoutes, isHostAddress, overlaps, parseSubnet } from '../../src/network/subnets.js';

describe('subnets', () => {
  test('parse: normal CIDRs; host bits, IPv6, bad prefixes and words refused with the reason', () => {
    assert.deepEqual(formatSubnet(parseSubnet('10.91.0.0/24')), '10.91.0.0/24');
    assert.deepEqual(formatSubnet(parseSubnet('172.16.0.0/12')), '172.16.0.0/12');
    assert.throws(() => parseSubnet('10.91.0.5/24'), /has host bits set; the network is 10\.91\.0\.0\/24/);
    assert.throws(() => parseSubnet('fd00::/64'), /IPv6 networks are not supported/);
    assert.throws(() => parseSubnet('10.0.0.0/31'), /prefix from \/8 to \/30/);
    assert.throws(() => parseSubnet('10.0.0.0/4'), /prefix from \/8 to \/30/);
    assert.throws(() => parseSubnet('10.0.0.256/24'), /expected an IPv4 CIDR/);
    assert.throws(() => parseSubnet('ten'), /expected an IPv4 CIDR/);
  });

  test('overlap, containment and host addresses', () => {
    const a = parseSubnet('10.91.0.0/24');
    assert.ok(overlaps(a, parseSubnet('10.91.0.128/25')));
    assert.ok(overlaps(parseSubnet('10.0.0.0/8'), a));
    assert.ok(!overlaps(a, parseSubnet('10.91.1.0/24')));
    assert.ok(contains(a, '10.91.0.255') && !contains(a, '10.91.1.0'));
    assert.ok(isHostAddress(a, '10.91.0.1') && isHostAddress(a, '10.91.0.254'));
    assert.ok(!isHostAddress(a, '10.91.0.0') && !isHostAddress(a, '10.91.0.255') && !isHostAddress(a, '10.92.0.1'));
  });

  test('freeSubnet: the first /24 of 10.90.0.0/16 clear of everything taken; none left is an error', () => {
    assert.equal(formatSubnet(freeSubnet([])), '10.90.0.0/24');
    assert.equal(formatSubnet(freeSubnet([parseSubnet('10.90.0.0/23'), parseSubnet('10.90.2.0/24')])), '10.90.3.0/24');
    assert.throws(() => freeSubnet([parseSubnet('10.90.0.0/16')]), /no free subnet left in 10\.90\.0\.0\/16: give one with --subnet/);
  });

  test("hostRoutes reads the kernel's little-endian table, skipping the default route", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'route');
    writeFileSync(
      file,
      [
        'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
        'eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
        'eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
        'skiff0\t0000590A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      hostRoutes(file).map((r) => [r.iface, formatSubnet(r.subnet)]),
      [
        ['eth0', '192.168.0.0/24'],
        ['skiff0', '10.89.0.0/16'],
      ],
    );
    assert.deepEqual(hostRoutes(join(file, 'missing')), []);
  });
});

describe('network config', () => {
  test('a network survives its CNI list; portmap runs only for containers that publish', () => {
    const n = { ...defaultNetwork(), name: 'app', id: 'ab'.repeat(32), bridge: bridgeName('ab'.repeat(32)), subnet: '10.91.0.0/24', gateway: '10.91.0.1', internal: true, labels: { a: 'b' } };
    assert.equal(n.bridge, 'sk-abababababab');
    assert.deepEqual(fromConflist(JSON.parse(JSON.stringify(toConflist(n))), 'app.conflist'), n);
    const list = toConflist(n);
    assert.deepEqual((list.plugins[0]!.ipam as { routes: unknown[] }).routes, [], 'an internal network has no route out');
    assert.deepEqual(attachList(n, false).plugins.map((p) => p.type), ['bridge']);
    assert.deepEqual(attachList(n, true).plugins.map((p) => p.type), ['bridge', 'portmap']);
    assert.throws(() => fromConflist({ cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'macvlan' }] }, 'x.conflist'), /x\.conflist: not a skiff network/);
  });
});
