/** What the ticker calls on each tick of its interval. */
export interface Ticking {
  tick(): void;
}

interface Group {
  members: Set<Ticking>;
  timer: NodeJS.Timeout;
}

/**
 * Keep-alive ticks for every open stream from one timer per interval length. A timer per stream cost
 * each stream a Timeout and its closure for the stream's whole life, and a timer set and cleared per
 * stream; with thousands of streams open, one timer walks them all instead. The timer never holds
 * the process open (unref'd) and goes when its last member leaves. A member that throws does not
 * keep the others from their tick.
 *
 * @example
 * keepAliveTicker.add(15_000, responder);    // responder.tick() every 15 s from now on
 * keepAliveTicker.delete(15_000, responder); // when its stream ends
 */
export class KeepAliveTicker {
  private readonly groups = new Map<number, Group>();

  /** Ticks `member` every `ms` from the group's next tick on (the first may come sooner than `ms`). */
  add(ms: number, member: Ticking): void {
    let group = this.groups.get(ms);
    if (!group) {
      const members = new Set<Ticking>();
      const timer = setInterval(() => tickAll(members), ms);
      timer.unref();
      group = { members, timer };
      this.groups.set(ms, group);
    }
    group.members.add(member);
  }

  /** Stops ticking `member`; the last one out stops the timer. */
  delete(ms: number, member: Ticking): void {
    const group = this.groups.get(ms);
    if (!group?.members.delete(member) || group.members.size > 0) return;
    clearInterval(group.timer);
    this.groups.delete(ms);
  }

  /** Members ticked at `ms` (for tests). */
  size(ms: number): number {
    return this.groups.get(ms)?.members.size ?? 0;
  }
}

function tickAll(members: Set<Ticking>): void {
  // A member that leaves during the walk (its tick closed it) is skipped by the Set's iterator.
  for (const m of members) {
    try {
      m.tick();
    } catch {
      // one stream's failure to write a keep-alive is its own: it ends through its close
    }
  }
}

/** The process's ticker: every door's streams share it. */
export const keepAliveTicker = new KeepAliveTicker();
