/** One result in a check's history. */
export interface HealthPoint {
  readonly time: number;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly reason?: string | undefined;
  readonly durationMs?: number | undefined;
}

/** A check's current state and recent results. */
export interface CheckHistory {
  readonly name: string;
  category: string | undefined;
  critical: boolean | undefined;
  readonly history: HealthPoint[];
}

/**
 * Health results over time, per check (`system` is the overall status): bounded per check and in
 * the number of checks.
 */
export class HealthHistory {
  private readonly _checks = new Map<string, CheckHistory>();

  constructor(private readonly _perCheck = 300, private readonly _maxChecks = 200) {}

  add(check: string, point: HealthPoint, meta: { category?: string | undefined; critical?: boolean | undefined } = {}): void {
    let c = this._checks.get(check);
    if (c === undefined) {
      if (this._checks.size >= this._maxChecks) return;
      c = { name: check, category: meta.category, critical: meta.critical, history: [] };
      this._checks.set(check, c);
    }
    if (meta.category !== undefined) c.category = meta.category;
    if (meta.critical !== undefined) c.critical = meta.critical;
    c.history.push(point);
    if (c.history.length > this._perCheck) c.history.splice(0, c.history.length - this._perCheck);
  }

  checks(): CheckHistory[] {
    return [...this._checks.values()].sort((a, b) => (a.name === 'system' ? -1 : b.name === 'system' ? 1 : a.name.localeCompare(b.name)));
  }

  get size(): number {
    return this._checks.size;
  }
}
