// Child process of bench/scale.ts's SB fan-out: COUNT replica clients, each monitoring OVN_Southbound the way
// ovn-controller does, with conditions on its own chassis and on the datapath it has ports on (Port_Binding,
// Logical_Flow, Chassis). One JSON line per event on stdout, timed on the wall clock (performance.timeOrigin +
// now), so the parent can compare across processes:
//   {"synced": i, "at": ms}            client i holds its initial state
//   {"seen": i, "mark": n, "at": ms}   client i saw Port_Binding external_ids:bench-mark=n
//
//   node --import tsx bench/scale-fanout-worker.ts '{"remotes":"...","leaderOnly":true,"first":0,"count":50,"datapath":"<uuid>"}'
import { OvsdbDatabase } from '../src/ovsdb/database.js';
import type { SouthboundTables } from '../src/models/ovn-southbound.js';

interface WorkerArgs { remotes: string; leaderOnly: boolean; first: number; count: number; datapath: string }

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const now = (): number => performance.timeOrigin + performance.now();
const say = (event: Record<string, number>): void => { process.stdout.write(`${JSON.stringify({ ...event, at: now() })}\n`); };

const clients = Array.from({ length: args.count }, (_, k) => {
  const i = args.first + k;
  const db = OvsdbDatabase.connect<SouthboundTables>({
    remotes: args.remotes, database: 'OVN_Southbound', leaderOnly: args.leaderOnly, probeIntervalMs: 0,
    tables: {
      Chassis: { where: [['name', '==', `client-${i}`]] },
      Port_Binding: { columns: ['logical_port', 'tunnel_key', 'datapath', 'chassis', 'external_ids'], where: [['datapath', '==', args.datapath]] },
      Logical_Flow: { where: [['logical_datapath', '==', args.datapath]] },
    },
  });
  let lastMark = 0;
  db.on('change', (changes) => {
    for (const c of changes) {
      if (c.table !== 'Port_Binding' || c.kind !== 'update') continue;
      const mark = Number(c.new.external_ids.get('bench-mark') ?? 0);
      if (mark > lastMark) { lastMark = mark; say({ seen: i, mark }); }
    }
  });
  void db.synced.then(() => say({ synced: i }));
  return db;
});

process.on('SIGTERM', () => {
  void Promise.all(clients.map((c) => c.close())).finally(() => process.exit(0));
});
