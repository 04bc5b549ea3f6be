import test from 'ava';
import { parseRemote, parseRemotes, windowsPipeName } from '../../src/ovsdb/remote.js';
import { OvsdbRemoteError } from '../../src/ovsdb/errors.js';

test('remote strings as OVS writes them', (t) => {
  t.like(parseRemote('tcp:127.0.0.1:6641'), { kind: 'tcp', host: '127.0.0.1', port: 6641 });
  t.like(parseRemote('ssl:10.0.0.1'), { kind: 'ssl', host: '10.0.0.1', port: 6640 });
  t.like(parseRemote('tcp:[::1]:6640'), { kind: 'tcp', host: '::1', port: 6640 });
  t.like(parseRemote('ssl:[fe80::1]'), { kind: 'ssl', host: 'fe80::1', port: 6640 });
  t.like(parseRemote('unix:/var/run/openvswitch/db.sock'), { kind: 'unix', path: '/var/run/openvswitch/db.sock' });
  t.deepEqual(parseRemotes('tcp:1.1.1.1:6641, tcp:[::1]:6642,unix:db.sock').map((r) => r.kind), ['tcp', 'tcp', 'unix']);
  for (const bad of ['tcp:::1:6640', 'tcp:[::1', 'tcp:1.2.3.4:99999', 'tcp:1.2.3.4:x', 'ptcp:6640', 'punix:/x', 'http:x', 'db.sock', 'tcp:', 'unix:', 'tcp:[zz]:1']) {
    t.throws(() => parseRemote(bad), { instanceOf: OvsdbRemoteError }, bad);
  }
  t.throws(() => parseRemotes(' , '), { instanceOf: OvsdbRemoteError });
  t.throws(() => parseRemote('ptcp:6640'), { message: /passive/ });
});

test('Windows named pipes are named as OVS names them', (t) => {
  t.is(windowsPipeName('C:\\ProgramData\\openvswitch\\db.sock'), '\\\\.\\pipe\\C:ProgramDataopenvswitchdb.sock');
  t.is(windowsPipeName('db.sock', 'C:/openvswitch/var/run/openvswitch'), '\\\\.\\pipe\\C:openvswitchvarrunopenvswitchdb.sock');
  t.is(windowsPipeName('C:/openvswitch/var/run/openvswitch/ovnnb_db.sock'), '\\\\.\\pipe\\C:openvswitchvarrunopenvswitchovnnb_db.sock');
  t.is(windowsPipeName('sub/dir\\x.sock', 'D:\\run'), '\\\\.\\pipe\\D:runsubdirx.sock');
  t.is(windowsPipeName(`C:\\${'a'.repeat(256 - 11)}`).length, 256);
  t.throws(() => windowsPipeName(`C:\\${'a'.repeat(256 - 10)}`), { instanceOf: OvsdbRemoteError, message: /over the limit of 256/ });
});
