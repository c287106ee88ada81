import { fs } from '../internal/builtins.js';
import { requireIntAtLeast, requireNonEmptyString } from '../internal/configCheck.js';
import { join } from 'node:path';
import { reportOnce } from '../internal/report.js';
import type { MetricSample, SpanRecord } from './model.js';

/** One journal line: spans or metric samples of one OTLP request. */
type Entry = { s: SpanRecord[] } | { m: MetricSample[] };

/**
 * What the standalone dashboard received, appended to newline-delimited JSON files in `dir` so a
 * restart keeps its history. Two segments: `current.ndjson` grows to half of `maxBytes`, then
 * becomes `previous.ndjson` (replacing the older one), so the journal never holds more than
 * `maxBytes` and always keeps the most recent half at least. Replayed oldest first at start.
 * (Why files and not SQLite: docs/decisions/002-dashboard-journal.md.)
 */
export class Journal {
  readonly dir: string;
  readonly maxBytes: number;
  private _size: number;
  private _failed = false;

  constructor(dir: string, maxBytes: number) {
    requireNonEmptyString('dashboard.dataDir', dir, 'a directory path');
    requireIntAtLeast('dashboard.dataMaxBytes', maxBytes, 64 * 1024);
    fs.mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.maxBytes = maxBytes;
    this._size = fs.existsSync(this._current) ? fs.statSync(this._current).size : 0;
  }

  private get _current(): string {
    return join(this.dir, 'current.ndjson');
  }

  private get _previous(): string {
    return join(this.dir, 'previous.ndjson');
  }

  /** Bytes on disk now. */
  get size(): number {
    return this._size + (fs.existsSync(this._previous) ? fs.statSync(this._previous).size : 0);
  }

  /** Appends one entry; a write error is reported once and the journal stops (the stores go on). */
  append(entry: Entry): void {
    if (this._failed) return;
    const line = `${JSON.stringify(entry)}\n`;
    try {
      if (this._size + line.length > this.maxBytes / 2 && this._size > 0) {
        if (fs.existsSync(this._previous)) fs.unlinkSync(this._previous);
        fs.renameSync(this._current, this._previous);
        this._size = 0;
      }
      fs.appendFileSync(this._current, line);
      this._size += Buffer.byteLength(line);
    } catch (err) {
      this._failed = true;
      reportOnce('dashboard:journal', `dashboard journal in ${this.dir} stopped: ${String(err)}`);
    }
  }

  /** Every entry on disk, oldest first; a torn last line (a crash mid-write) is skipped. */
  *replay(): Generator<Entry> {
    for (const file of [this._previous, this._current]) {
      if (!fs.existsSync(file)) continue;
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          yield JSON.parse(line) as Entry;
        } catch {
          // A partial line from an interrupted write.
        }
      }
    }
  }
}
