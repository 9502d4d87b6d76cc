import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { HeedError } from '../util/errors.js';

/** Appends one JSON object per line to a file (kept open; each line is written at once). */
export class JsonlWriter {
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, 'a');
    } catch (e) {
      throw new HeedError(`cannot open log file ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  write(record: object): void {
    if (this.fd === null) throw new HeedError(`log file ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
