// Table tests for src/oci/image-user.ts: docker's User forms against an image's own files.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SkiffError } from '../../src/errors.js';
import { type ResolvedUser, resolveUser } from '../../src/oci/image-user.js';

const PASSWD = `# a comment with uid 0 in it: x:0:0
root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
  app:x:1000:1000:App:/home/app:/bin/sh
broken:x:notanumber:1::/:/bin/sh
twin:x:1000:2000:second entry for uid 1000:/:/bin/sh
`;

const GROUP = `root:x:0:root
bin:x:1:root,bin,daemon
wheel:x:10:root, app
app:x:1000:
staff:x:50:app
video:x:44:other
`;

const u = (uid: number, gid: number, additionalGids: number[] = []): ResolvedUser => ({ uid, gid, additionalGids });

describe('resolveUser', () => {
  // [name, User, passwd, group, expected]
  const rows: [string, string, string | undefined, string | undefined, ResolvedUser][] = [
    ["'' is root, with root's groups", '', PASSWD, GROUP, u(0, 0, [0, 1, 10])],
    ["'' without the files", '', undefined, undefined, u(0, 0)],
    ["'' with a passwd that has no root", '', 'app:x:1000:1000::/:/bin/sh\n', GROUP, u(0, 0)],
    ['uid in passwd: its gid and groups', '1000', PASSWD, GROUP, u(1000, 1000, [10, 50])],
    ['uid not in passwd: gid 0, no groups', '4242', PASSWD, GROUP, u(4242, 0)],
    ['uid without any files', '4242', undefined, undefined, u(4242, 0)],
    ['uid:gid, both numeric: no supplementary groups', '1000:44', PASSWD, GROUP, u(1000, 44)],
    ['uid:gid not in any file', '5000:6000', PASSWD, GROUP, u(5000, 6000)],
    ['uid:gid without files', '5000:6000', undefined, undefined, u(5000, 6000)],
    ['name', 'app', PASSWD, GROUP, u(1000, 1000, [10, 50])],
    ['name without group file', 'app', PASSWD, undefined, u(1000, 1000)],
    ['name:group', 'app:staff', PASSWD, GROUP, u(1000, 50)],
    ['uid:group', '33:video', PASSWD, GROUP, u(33, 44)],
    ['name:gid', 'nobody:7', PASSWD, GROUP, u(65534, 7)],
    ['root by name', 'root', PASSWD, GROUP, u(0, 0, [0, 1, 10])],
    ['first passwd entry wins for a uid', '1000', PASSWD, undefined, u(1000, 1000)],
    ["uid: (empty group) is the uid's own", '1000:', PASSWD, GROUP, u(1000, 1000, [10, 50])],
    ['a numeric group found in the file', '0:10', PASSWD, GROUP, u(0, 10)],
    ['the largest id', '4294967294:4294967294', undefined, undefined, u(4294967294, 4294967294)],
    ['CRLF files', 'app', PASSWD.replaceAll('\n', '\r\n'), GROUP.replaceAll('\n', '\r\n'), u(1000, 1000, [10, 50])],
  ];
  for (const [name, user, passwd, group, expected] of rows) {
    test(name, () => assert.deepEqual(resolveUser(user, passwd, group), expected));
  }

  const bad: [string, string, string | undefined, string | undefined, string, RegExp][] = [
    ['unknown name', 'bob', PASSWD, GROUP, 'not-found', /^unable to find user bob: no matching entries in passwd file$/],
    ['a name without passwd', 'app', undefined, GROUP, 'not-found', /^unable to find user app: no matching entries in passwd file$/],
    ['unknown group name', 'app:nogroup', PASSWD, GROUP, 'not-found', /^unable to find group nogroup: no matching entries in group file$/],
    ['a group name without group file', '1000:staff', PASSWD, undefined, 'not-found', /unable to find group staff/],
    ['uid out of range', '4294967295', undefined, undefined, 'usage', /uid 4294967295 is out of range 0-4294967294/],
    ['negative uid', '-1', PASSWD, GROUP, 'usage', /uid -1 is out of range/],
    ['gid out of range', '0:99999999999', undefined, undefined, 'usage', /gid 99999999999 is out of range/],
    ['three parts', 'a:b:c', PASSWD, GROUP, 'usage', /invalid user "a:b:c"/],
  ];
  for (const [name, user, passwd, group, kind, message] of bad) {
    test(`refused: ${name}`, () => {
      assert.throws(
        () => resolveUser(user, passwd, group),
        (e: unknown) => {
          assert.ok(e instanceof SkiffError, String(e));
          assert.equal(e.kind, kind, e.message);
          assert.equal(e.exitCode, 125);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }
});
