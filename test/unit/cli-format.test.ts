// Table tests for the output helpers: src/cli/humanize.ts and src/cli/template.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { humanDuration, humanSize, timeAgo } from '../../src/cli/humanize.js';
import { compileTemplate } from '../../src/cli/template.js';
import { SkiffError } from '../../src/errors.js';

describe('humanSize (decimal units, 3 significant digits, as docker images prints)', () => {
  const rows: [number, string][] = [
    [0, '0B'],
    [1, '1B'],
    [999, '999B'],
    [1000, '1kB'],
    [1024, '1.02kB'],
    [1500, '1.5kB'],
    [12345, '12.3kB'],
    [999_000, '999kB'],
    [1_000_000, '1MB'],
    [1_500_000, '1.5MB'],
    [4_260_000, '4.26MB'],
    [4_261_550, '4.26MB'],
    [77_800_000, '77.8MB'],
    [123_000_000, '123MB'],
    [123_456_789, '123MB'],
    [1_000_000_000, '1GB'],
    [2_500_000_000_000, '2.5TB'],
    [7e15, '7PB'],
    [7e18, '7000PB'],
  ];
  for (const [bytes, want] of rows) test(`${bytes} -> ${want}`, () => assert.equal(humanSize(bytes), want));
});

describe('humanDuration', () => {
  const MIN = 60;
  const HOUR = 3600;
  const DAY = 86400;
  const rows: [number, string][] = [
    [0, 'Less than a second'],
    [0.4, 'Less than a second'],
    [-5, 'Less than a second'],
    [1, '1 second'],
    [2, '2 seconds'],
    [59, '59 seconds'],
    [60, 'About a minute'],
    [80, 'About a minute'],
    [3 * MIN, '3 minutes'],
    [45 * MIN, '45 minutes'],
    [HOUR, 'About an hour'],
    [HOUR + 20 * MIN, 'About an hour'],
    [2 * HOUR, '2 hours'],
    [47 * HOUR, '47 hours'],
    [3 * DAY, '3 days'],
    [13 * DAY, '13 days'],
    [3 * 7 * DAY, '3 weeks'],
    [8 * 7 * DAY, '8 weeks'],
    [90 * DAY, '3 months'],
    [400 * DAY, '13 months'],
    [3 * 365 * DAY, '3 years'],
  ];
  for (const [s, want] of rows) test(`${s}s -> ${want}`, () => assert.equal(humanDuration(s), want));

  // docker (go-units HumanDuration) truncates seconds and minutes rather than rounding them.
  const truncation: [number, string][] = [
    [90, 'About a minute'],
    [59 * MIN + 40, '59 minutes'],
  ];
  for (const [s, want] of truncation) {
    test(`${s}s -> ${want}, as docker truncates`, () => assert.equal(humanDuration(s), want));
  }
});

describe('timeAgo', () => {
  const now = Date.parse('2024-06-01T12:00:00Z');
  const rows: [string | null, string][] = [
    [null, 'N/A'],
    ['', 'N/A'],
    ['not a date', 'N/A'],
    ['2024-06-01T12:00:00Z', 'Less than a second ago'],
    ['2024-06-01T11:59:30Z', '30 seconds ago'],
    ['2024-06-01T09:00:00Z', '3 hours ago'],
    ['2024-06-01T09:00:00.123456789+00:00', '3 hours ago'],
    ['2024-05-29T12:00:00Z', '3 days ago'],
    ['2024-03-01T12:00:00Z', '3 months ago'],
    ['2020-06-01T12:00:00Z', '4 years ago'],
    // A clock skewed into the future is not a negative age.
    ['2024-06-01T12:05:00Z', 'Less than a second ago'],
  ];
  for (const [iso, want] of rows) test(`${String(iso)} -> ${want}`, () => assert.equal(timeAgo(iso, now), want));

  test('defaults to the current time', () => {
    assert.equal(timeAgo(new Date(Date.now() - 3 * 3600 * 1000).toISOString()), '3 hours ago');
  });
});

describe('compileTemplate', () => {
  const row = {
    ID: 'abc123',
    Repository: 'busybox',
    Tag: 'latest',
    Size: '4.26MB',
    Count: 3,
    Flag: false,
    Empty: '',
    Nested: { Inner: 'deep', Deeper: { X: 'y' } },
    List: ['a', 'b'],
    Mixed: 'MiXeD',
    Nothing: null,
  };
  // [format, expected render(row)]
  const rows: [string, string][] = [
    ['{{.ID}}', 'abc123'],
    ['{{ .ID }}', 'abc123'],
    ['{{.Repository}}:{{.Tag}}', 'busybox:latest'],
    ['id={{.ID}} size={{.Size}}', 'id=abc123 size=4.26MB'],
    ['plain text', 'plain text'],
    ['', ''],
    ['{{.Nested.Inner}}', 'deep'],
    ['{{.Nested.Deeper.X}}', 'y'],
    ['{{.Count}} {{.Flag}} [{{.Empty}}]', '3 false []'],
    ['{{.Missing}}', '<no value>'],
    ['{{.Nothing}}', '<no value>'],
    ['{{.Nested.Missing.X}}', '<no value>'],
    ['{{.ID.Sub}}', '<no value>'],
    ['{{.Nested}}', '{"Inner":"deep","Deeper":{"X":"y"}}'],
    ['{{.List}}', '["a","b"]'],
    ['{{json .}}', JSON.stringify(row)],
    ['{{json .ID}}', '"abc123"'],
    ['{{json .Count}}', '3'],
    ['{{json .Nested}}', '{"Inner":"deep","Deeper":{"X":"y"}}'],
    ['{{json .Missing}}', 'null'],
    ['{{upper .Repository}}', 'BUSYBOX'],
    ['{{lower .Mixed}}', 'mixed'],
    ['{{title .Repository}}', 'Busybox'],
    ['{{.ID}}\\t{{.Tag}}', 'abc123\tlatest'],
    ['{{.ID}}\\n{{.Tag}}', 'abc123\nlatest'],
    ['a\\tb\\tc', 'a\tb\tc'],
  ];
  for (const [format, want] of rows) {
    test(`${JSON.stringify(format)} renders ${JSON.stringify(want)}`, () => {
      const t = compileTemplate(format);
      assert.equal(t.table, false);
      assert.equal(t.render(row), want);
    });
  }

  test('a compiled template renders many rows', () => {
    const t = compileTemplate('{{.Repository}}:{{.Tag}}');
    assert.deepEqual(
      [{ Repository: 'a', Tag: '1' }, { Repository: 'b', Tag: '2' }].map(t.render),
      ['a:1', 'b:2'],
    );
  });

  // [format, header, first row]
  const tables: [string, string, string][] = [
    ['table {{.Repository}}\\t{{.Tag}}', 'REPOSITORY\tTAG', 'busybox\tlatest'],
    ['table {{.ID}}', 'ID', 'abc123'],
    ['table {{.Repository}}:{{.Tag}}', 'REPOSITORY:TAG', 'busybox:latest'],
    ['table {{.CreatedSince}}\\t{{.BlobSize}}', 'CREATED SINCE\tBLOB SIZE', '<no value>\t<no value>'],
    ['table {{upper .Repository}}', 'REPOSITORY', 'BUSYBOX'],
    ['table {{json .Nested}}', 'NESTED', '{"Inner":"deep","Deeper":{"X":"y"}}'],
    ['table\\t{{.ID}}', 'ID', 'abc123'],
  ];
  for (const [format, header, first] of tables) {
    test(`${JSON.stringify(format)} is a table`, () => {
      const t = compileTemplate(format);
      assert.equal(t.table, true);
      assert.equal(t.header({}), header);
      assert.equal(t.render(row), first);
    });
  }

  test('"table" without a following space is plain text, not a table', () => {
    const t = compileTemplate('tabled {{.ID}}');
    assert.equal(t.table, false);
    assert.equal(t.render(row), 'tabled abc123');
  });

  const unsupported = ['{{range .}}{{.}}{{end}}', '{{if .ID}}x{{end}}', '{{.ID | upper}}', '{{printf "%s" .ID}}', '{{ID}}', '{{json}}', '{{$x := .ID}}'];
  for (const format of unsupported) {
    test(`refuses ${format}`, () => {
      assert.throws(
        () => compileTemplate(format),
        (e: unknown) => {
          assert.ok(e instanceof SkiffError);
          assert.equal(e.kind, 'usage');
          assert.equal(e.exitCode, 125);
          assert.match(e.message, /^unsupported template action \{\{.+\}\} in --format$/);
          return true;
        },
      );
    });
  }
});
