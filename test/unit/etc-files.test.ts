// Table tests for the /etc files' text: bridge resolv.conf filtering, --dns and --dns-search.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeResolvConf, resolvConf } from '../../src/runtime/etc-files.js';

test('a bridged container gets the host resolv.conf without loopback nameservers, or public ones', () => {
  assert.equal(bridgeResolvConf('search lan\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n'), 'search lan\nnameserver 192.0.2.1\n');
  assert.equal(bridgeResolvConf('nameserver 127.0.0.53\noptions edns0\n'), 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(bridgeResolvConf(undefined), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});

test('--dns replaces nameservers, --dns-search replaces search and domain lines, the rest stays', () => {
  const base = 'domain old.test\nnameserver 192.0.2.1\noptions ndots:2\n';
  assert.equal(resolvConf(base, {}), base);
  assert.equal(resolvConf(base, { dns: ['10.0.0.53'] }), 'domain old.test\noptions ndots:2\nnameserver 10.0.0.53\n');
  assert.equal(resolvConf(base, { dnsSearch: ['a.test', 'b.test'] }), 'nameserver 192.0.2.1\noptions ndots:2\nsearch a.test b.test\n');
  assert.equal(resolvConf('', { dns: ['10.0.0.53'], dnsSearch: ['a.test'] }), 'nameserver 10.0.0.53\nsearch a.test\n');
  assert.equal(resolvConf('', {}), '');
});
