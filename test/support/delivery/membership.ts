/**
 * Who was a member of a room when, as far as the clients can know: a join or
 * leave counts from its acknowledgement; while one is on its way (or was never
 * answered) membership is uncertain, and nothing is required or forbidden.
 */
export type MembershipOp = 'join' | 'leave';

interface OpRecord {
  op: MembershipOp;
  startedAt: number;
  /** When it was acknowledged; undefined: never (still open, or given up: its outcome is unknown). */
  doneAt: number | undefined;
}

export class MembershipModel {
  private readonly initial = new Map<string, Set<string>>();
  private readonly ops = new Map<string, OpRecord[]>();

  /** Members before any recorded operation. */
  room(conversation: string, members: Iterable<string>): void {
    this.initial.set(conversation, new Set(members));
  }

  /** A join or leave started; call the returned function when it was acknowledged. */
  started(user: string, conversation: string, op: MembershipOp, at: number): (doneAt: number) => void {
    const record: OpRecord = { op, startedAt: at, doneAt: undefined };
    const key = `${conversation}\n${user}`;
    let list = this.ops.get(key);
    if (!list) this.ops.set(key, (list = []));
    list.push(record);
    return (doneAt) => {
      record.doneAt = doneAt;
    };
  }

  rooms(): string[] {
    return [...this.initial.keys()];
  }

  /** Everyone who was ever (or may have been) a member. */
  everyone(conversation: string): string[] {
    const users = new Set(this.initial.get(conversation) ?? []);
    for (const key of this.ops.keys()) {
      const [c, user] = key.split('\n') as [string, string];
      if (c === conversation) users.add(user);
    }
    return [...users];
  }

  /** A member for the whole of [from, to], with no operation of theirs in flight meanwhile. */
  surelyMember(user: string, conversation: string, from: number, to: number): boolean {
    return this.stateThroughout(user, conversation, from, to) === true;
  }

  /** Not a member for the whole of [from, to], with no operation of theirs in flight meanwhile. */
  surelyNotMember(user: string, conversation: string, from: number, to: number): boolean {
    return this.stateThroughout(user, conversation, from, to) === false;
  }

  private stateThroughout(user: string, conversation: string, from: number, to: number): boolean | undefined {
    let member = this.initial.get(conversation)?.has(user) ?? false;
    const ops = this.ops.get(`${conversation}\n${user}`) ?? [];
    for (const op of [...ops].sort((a, b) => a.startedAt - b.startedAt)) {
      const end = op.doneAt ?? Infinity;
      if (op.startedAt <= to && end >= from) return undefined;
      if (end < from) member = op.op === 'join';
    }
    return member;
  }
}
