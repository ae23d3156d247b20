// State-change events, fanned out to `tandem events` subscribers. Each subscriber has a bounded
// queue: a client that stops reading is dropped rather than growing the daemon's memory.
export interface TandemEvent {
  /** e.g. 'role', 'disk', 'connection', 'replication', 'resync-progress', 'constraint', 'split-brain' */
  kind: string;
  resource: string;
  time: string;
  [field: string]: unknown;
}

type Subscriber = (event: TandemEvent) => boolean;

export class EventBus {
  private readonly subscribers = new Set<Subscriber>();

  /** The subscriber returns false when it cannot keep up; it is then removed. */
  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  emit(event: Omit<TandemEvent, 'time'>): void {
    const full = { ...event, time: new Date().toISOString() } as TandemEvent;
    for (const s of [...this.subscribers]) {
      if (!s(full)) this.subscribers.delete(s);
    }
  }
}
