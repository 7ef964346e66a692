import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessListAllows, compileAccessList, compileStoredAccessList, parseAccessListEntry } from '../../src/domain/accessList.js';
import { DomainError } from '../../src/domain/errors.js';

describe('parseAccessListEntry', () => {
  it('accepts IPv4, IPv6 and CIDR of both', () => {
    for (const entry of ['1.2.3.4', '0.0.0.0/0', '192.168.1.0/24', '10.0.0.1/32', '::1', '2001:db8::/32', '::/0', 'fe80::1:2:3:4', '::ffff:1.2.3.4']) {
      assert.ok(parseAccessListEntry(entry), entry);
    }
  });
  it('refuses anything else', () => {
    for (const entry of ['', ' 1.2.3.4', '1.2.3.4 ', '256.1.1.1', '1.2.3', '01.2.3.4', '0x7f.0.0.1', '1.2.3.4/33', '1.2.3.4/', '1.2.3.4/-1',
      '1.2.3.4/24/1', '::1/129', 'fe80::1%eth0', 'localhost', 'not an ip', '1.2.3.4/ 8', '1.2.3.4/08a']) {
      assert.equal(parseAccessListEntry(entry), undefined, entry);
    }
  });
});

describe('parseAccessListEntry inside IPv6 (issue 18)', () => {
  it('holds a dotted quad inside IPv6 to the IPv4 rule, in addresses and CIDR blocks', () => {
    for (const entry of ['::ffff:0x7f.0.0.1', '::ffff:127.000.000.001', '::ffff:127.0.0.01', '::ffff:0177.0.0.1', '::ffff:010.0.0.1',
      '::ffff:0x7f.0.0.1/128', '::ffff:127.0.0.01/120', '::ffff:010.0.0.0/104', '64:ff9b::01.2.3.4', '::ffff:1.2.3']) {
      assert.equal(parseAccessListEntry(entry), undefined, entry);
    }
  });
  it('refuses the IPv4-compatible form ::a.b.c.d, written as a dotted quad', () => {
    for (const entry of ['::127.0.0.1', '::127.0.0.0/104', '::0.0.0.1', '0:0:0:0:0:0:10.0.0.1']) {
      assert.equal(parseAccessListEntry(entry), undefined, entry);
    }
  });
  it('refuses a prefix length with leading zeros', () => {
    for (const entry of ['10.0.0.0/08', '10.0.0.0/008', '::1/0128', '::ffff:10.0.0.0/0104']) {
      assert.equal(parseAccessListEntry(entry), undefined, entry);
    }
  });
  it('reads other embedded dotted quads as the IPv6 address they spell, IPv6 only', () => {
    const [nat64] = parseAccessListEntry('64:ff9b::1.2.3.4')!;
    assert.equal(nat64.toString(), '64:ff9b::102:304');
    const [compatible] = parseAccessListEntry('::7f00:1')!;
    assert.equal(compatible.kind(), 'ipv6');
    assert.ok(!accessListAllows(compileAccessList(['::7f00:1']), '127.0.0.1'));
    assert.ok(!accessListAllows(compileAccessList(['64:ff9b::127.0.0.1']), '127.0.0.1'));
    const [mapped, prefix] = parseAccessListEntry('::ffff:10.0.0.0/104')!;
    assert.deepEqual([mapped.toString(), prefix], ['10.0.0.0', 8]);
  });
});

describe('compileStoredAccessList', () => {
  it('lets an entry stored before the strict parser admit no one, and never opens the list', () => {
    const list = compileStoredAccessList(['::ffff:127.0.0.01']);
    assert.ok(!accessListAllows(list, '127.0.0.1'));
    assert.ok(!accessListAllows(list, '203.0.113.9'));
    assert.ok(accessListAllows(compileStoredAccessList(['::ffff:127.0.0.01', '127.0.0.1']), '127.0.0.1'));
  });
});

describe('compileAccessList', () => {
  it('names the first bad entry', () => {
    assert.throws(() => compileAccessList(['1.2.3.4', 'nope']), (e: unknown) =>
      e instanceof DomainError && e.kind === 'INVALID_ACCESS_LIST_ENTRY' && e.parameters[0] === 'nope');
  });
  it('refuses more than 200 entries', () => {
    assert.throws(() => compileAccessList(Array.from({ length: 201 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)),
      (e: unknown) => e instanceof DomainError && e.kind === 'TOO_MANY_ACCESS_LIST_ENTRIES');
  });
});

describe('accessListAllows', () => {
  it('lets anyone in when the list is empty', () => {
    assert.ok(accessListAllows(compileAccessList([]), '203.0.113.9'));
  });
  it('matches single addresses and CIDR edges (IPv4)', () => {
    const list = compileAccessList(['127.0.0.0/31', '10.1.2.3']);
    assert.ok(accessListAllows(list, '127.0.0.0'));
    assert.ok(accessListAllows(list, '127.0.0.1'));
    assert.ok(!accessListAllows(list, '127.0.0.2'));
    assert.ok(accessListAllows(list, '10.1.2.3'));
    assert.ok(!accessListAllows(list, '10.1.2.4'));
  });
  it('treats IPv4-mapped IPv6 peers as IPv4', () => {
    assert.ok(accessListAllows(compileAccessList(['127.0.0.1']), '::ffff:127.0.0.1'));
  });
  it('treats IPv4-mapped IPv6 entries as the IPv4 range they map, and wider IPv6 ranges as IPv6 only', () => {
    for (const peer of ['127.0.0.1', '::ffff:127.0.0.1']) {
      assert.ok(accessListAllows(compileAccessList(['::ffff:127.0.0.1']), peer), peer);
      assert.ok(accessListAllows(compileAccessList(['::ffff:127.0.0.0/120']), peer), peer);
      assert.ok(accessListAllows(compileAccessList(['::ffff:0:0/96']), peer), peer);
      assert.ok(!accessListAllows(compileAccessList(['::ffff:127.0.0.2']), peer), peer);
    }
    assert.ok(!accessListAllows(compileAccessList(['::ffff:127.0.0.0/128']), '127.0.0.1'));
    assert.ok(!accessListAllows(compileAccessList(['::/0']), '127.0.0.1'));
    assert.ok(accessListAllows(compileAccessList(['::/0']), '2001:db8::1'));
    // The list keeps the entries as written (that is what Atlas echoes back).
    assert.deepEqual(compileAccessList(['::ffff:127.0.0.1']).entries, ['::ffff:127.0.0.1']);
  });
  it('matches IPv6 addresses and prefixes, never across families', () => {
    const list = compileAccessList(['2001:db8::/126', '::1']);
    assert.ok(accessListAllows(list, '::1'));
    assert.ok(accessListAllows(list, '2001:db8::3'));
    assert.ok(!accessListAllows(list, '2001:db8::4'));
    assert.ok(!accessListAllows(list, '127.0.0.1'));
    assert.ok(!accessListAllows(compileAccessList(['0.0.0.0/0']), '::1'));
  });
  it('refuses an unparseable peer address', () => {
    assert.ok(!accessListAllows(compileAccessList(['0.0.0.0/0']), 'garbage'));
  });
});
