import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleModel, loadServedModel, type ServedModel } from '../../serve/models.js';
import { createExplorerServer, listen } from '../../serve/server.js';
import { HeedError } from '../../util/errors.js';
import { numberOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';

/** Checkpoints shipped with the package, served when none are named. */
export const PRETRAINED_DIR = resolve(fileURLToPath(new URL('../../../pretrained', import.meta.url)));

const USAGE = 'heed serve [CHECKPOINT ...] [--port N] [--host H] [--quiet]';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the attention explorer: a web page and JSON API over trained models',
  help: `Usage: ${USAGE}

Serves a web page where you pick a model, type an input and see its output and attention:
the target × source heatmap of a translator (per layer and head for a Transformer), each
token shaded by a classifier's pooling weight, what each generated token attended to, and
seed 003's worked example. CHECKPOINT directories are written by 'heed train'; without any,
the checkpoints shipped in ${PRETRAINED_DIR} are served.
  --port N   port to listen on (default 8080; 0 picks a free one)
  --host H   address to listen on (default 127.0.0.1, loopback only)
  --quiet    do not log each request

API: GET /api/models; POST /api/run {"model", "text", "beam"?, "temperature"?, "maxTokens"?,
"topK"?, "seed"?}. Errors are {"error": message} with status 400 (bad request), 404 (unknown
model) or 405 (wrong method).`,
  async run(argv) {
    const args = parseArgs('serve', argv, ['port', 'host'], ['quiet']);
    if (args.overrides.length > 0)
      throw new HeedError(`serve: unknown option ${args.overrides[0]}; usage: ${USAGE}`);
    const port = numberOption('serve', args, 'port', 8080, true);
    if (port < 0 || port > 65535) throw new HeedError(`serve: --port must be in 0..65535, got ${port}`);
    const host = args.options.get('host') ?? '127.0.0.1';
    const dirs = args.positionals.length > 0 ? args.positionals : shippedCheckpoints();
    const models: ServedModel[] = [];
    for (const dir of dirs) {
      models.push(loadServedModel(dir));
      process.stderr.write(`serve: loaded ${dir}\n`);
    }
    if (dirs.length === 0) {
      process.stderr.write(
        `serve: no checkpoints given and none shipped in ${PRETRAINED_DIR}; serving the worked example only\n`,
      );
    }
    models.push(exampleModel());
    const quiet = args.switches.has('quiet');
    const server = createExplorerServer({
      models,
      log: quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    const url = await listen(server, port, host);
    process.stdout.write(`heed explorer on ${url} (${models.length} models; Ctrl-C stops)\n`);
    return new Promise<number>((done) => {
      const stop = (): void => {
        server.close(() => done(0));
        server.closeAllConnections();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};

/** The checkpoint directories under pretrained/, in name order. */
function shippedCheckpoints(): string[] {
  if (!existsSync(PRETRAINED_DIR)) return [];
  return readdirSync(PRETRAINED_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(PRETRAINED_DIR, d.name, 'config.json')))
    .map((d) => join(PRETRAINED_DIR, d.name))
    .sort();
}
