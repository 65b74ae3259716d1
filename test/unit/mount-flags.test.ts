// Table tests for src/runtime/mount-flags.ts: -v, --mount, --tmpfs, -l and --env-file as
// docker reads them.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { parseEnvFile, parseLabels, parseMount, parseTmpfs, parseVolume } from '../../src/runtime/mount-flags.js';

const usage = (re: RegExp) => (err: unknown) => err instanceof SkiffError && err.kind === 'usage' && re.test(err.message);

describe('-v', () => {
  test('SRC:DST is a read-write bind that may create its source', () => {
    assert.deepEqual(parseVolume('/srv/a:/a'), { type: 'bind', source: '/srv/a', destination: '/a', readOnly: false, createSource: true });
  });
  test('options: ro, rw, a propagation mode, SELinux z/Z ignored', () => {
    assert.equal(parseVolume('/a:/b:ro').readOnly, true);
    assert.equal(parseVolume('/a:/b:rw').readOnly, false);
    assert.equal(parseVolume('/a:/b:ro,rshared').propagation, 'rshared');
    assert.equal(parseVolume('/a:/b:z').readOnly, false);
  });
  test('a relative source is resolved against the working directory', () => {
    assert.equal(parseVolume('./data:/d').source, resolve('./data'));
  });
  test('errors: a named volume, a relative destination, unknown options, missing parts', () => {
    assert.throws(() => parseVolume('myvol:/x'), usage(/named volumes are not supported/));
    assert.throws(() => parseVolume('/a:rel'), usage(/not an absolute path/));
    assert.throws(() => parseVolume('/a:/b:bogus'), usage(/unknown option "bogus"/));
    assert.throws(() => parseVolume('/a'), usage(/expected SRC:DST/));
    assert.throws(() => parseVolume('/a:/b:ro:x'), usage(/expected SRC:DST/));
  });
});

describe('--mount', () => {
  test('bind: source/src, target/destination/dst, readonly/ro, bind-propagation; never creates its source', () => {
    assert.deepEqual(parseMount('type=bind,source=/s,target=/t'), { type: 'bind', source: '/s', destination: '/t', readOnly: false });
    assert.deepEqual(parseMount('type=bind,src=/s,dst=/t,readonly'), { type: 'bind', source: '/s', destination: '/t', readOnly: true });
    assert.deepEqual(parseMount('type=bind,src=/s,destination=/t,ro=true,bind-propagation=rslave'), {
      type: 'bind', source: '/s', destination: '/t', readOnly: true, propagation: 'rslave',
    });
  });
  test('tmpfs: size and mode become mount options', () => {
    assert.deepEqual(parseMount('type=tmpfs,target=/scratch,tmpfs-size=64m,tmpfs-mode=1777'), { type: 'tmpfs', destination: '/scratch', options: ['size=64m', 'mode=1777'] });
  });
  test('errors: no target, no bind source, unknown type or field, bad propagation, relative paths', () => {
    assert.throws(() => parseMount('type=bind,source=/s'), usage(/target is required/));
    assert.throws(() => parseMount('type=bind,target=/t'), usage(/source is required/));
    assert.throws(() => parseMount('type=volume,target=/t'), usage(/type "volume" is not supported/));
    assert.throws(() => parseMount('type=bind,source=/s,target=/t,colour=red'), usage(/unknown field "colour"/));
    assert.throws(() => parseMount('type=bind,source=/s,target=/t,bind-propagation=sideways'), usage(/unknown bind-propagation/));
    assert.throws(() => parseMount('type=bind,source=s,target=/t'), usage(/not an absolute path/));
  });
});

test('--tmpfs DST[:OPTIONS]', () => {
  assert.deepEqual(parseTmpfs('/run'), { type: 'tmpfs', destination: '/run', options: [] });
  assert.deepEqual(parseTmpfs('/run:size=1m,mode=0755'), { type: 'tmpfs', destination: '/run', options: ['size=1m', 'mode=0755'] });
  assert.throws(() => parseTmpfs('run'), usage(/not an absolute path/));
});

test('-l labels: k=v, a bare key is an empty label, later wins, an empty key is an error', () => {
  assert.deepEqual(parseLabels(['a=1', 'b', 'a=2', 'c=x=y']), { a: '2', b: '', c: 'x=y' });
  assert.throws(() => parseLabels(['=v']), usage(/empty key/));
});

test('--env-file: K=V and K lines, comments, blank lines and CRLF; a name with spaces is an error', () => {
  assert.deepEqual(parseEnvFile('# comment\nA=1\n\n  B=two words\r\nC\n', 'f'), ['A=1', 'B=two words', 'C']);
  assert.throws(() => parseEnvFile('BAD NAME=1\n', 'envs'), usage(/invalid line in env file envs/));
});
