// Choosing a cluster member through the `_Server` database, as Open vSwitch's IDLs do: a member is usable when
// its row for our database says it is connected to the cluster and has a schema (it has joined); with
// leader-only it must be the leader and not a relay; and its RAFT log index must not be below the highest index
// this client has already seen, so a member that is behind (or a stale restored copy) never rolls our replica
// back in time.
//
// `prejudge` is the same judgement from the role columns alone (model, connected, leader): the member watch
// (member-watch.ts) keeps idle `_Server` monitors of just those columns on the other members, which change only
// when a role changes, so an election is seen the moment it ends without a notification per commit.
import type { Database as ServerDatabaseRow } from './server-db.js';

export type { ServerDatabaseRow };

export type MemberVerdict =
  | { readonly usable: true }
  | {
      readonly usable: false;
      readonly reason: string;
      /** The member is alive and in the cluster, only not (yet) the leader: an election may be under way. */
      readonly follower: boolean;
    };

/** The role columns of a `_Server.Database` row (what the member watch monitors). */
export type MemberRole = Pick<ServerDatabaseRow, 'model' | 'connected' | 'leader'>;

export class ClusterMemberChooser {
  /** The highest RAFT index seen in any member's `_Server` row. */
  highestIndex = 0n;

  constructor(readonly leaderOnly: boolean) {}

  /**
   * Judges a member by its `_Server.Database` row for our database (`undefined` when the server does not serve
   * it). Records the row's index when the member is usable.
   */
  judge(row: ServerDatabaseRow | undefined): MemberVerdict {
    if (!row) return { usable: false, reason: 'the server does not serve this database', follower: false };
    if ((row.model === 'clustered' || row.model === 'relay') && !row.schema) {
      return { usable: false, reason: `${row.model === 'relay' ? 'relay' : 'clustered database server'} has not yet joined (empty schema)`, follower: false };
    }
    const role = this.prejudge(row);
    if (!role.usable) return role;
    if (row.model === 'clustered' || row.model === 'relay') {
      if (row.model === 'clustered' && row.index !== undefined) {
        if (row.index < this.highestIndex) {
          return { usable: false, reason: `stale data (index ${row.index} < ${this.highestIndex} already seen)`, follower: true };
        }
        this.highestIndex = row.index;
      }
    }
    return { usable: true };
  }

  /** The judgement from the role columns only (no schema, no index, nothing recorded). */
  prejudge(row: MemberRole | undefined): MemberVerdict {
    if (!row) return { usable: false, reason: 'the server does not serve this database', follower: false };
    if (row.model === 'clustered' || row.model === 'relay') {
      const what = row.model === 'relay' ? 'relay' : 'clustered database server';
      if (!row.connected) return { usable: false, reason: `${what} is disconnected from its cluster`, follower: false };
      if (this.leaderOnly && row.model === 'relay') return { usable: false, reason: 'a relay cannot be the leader', follower: false };
      if (this.leaderOnly && !row.leader) return { usable: false, reason: 'not the cluster leader', follower: true };
    }
    return { usable: true };
  }
}
