import { Command } from 'commander';
import { DEFAULT_NODE_IDS, ensureDevCerts } from '../cluster/tls/certs';
import { createLogger } from '../core/logger';

/** `npm run certs [-- --nodes a,b,c --out certs --force]`: dev CA, node and admin certificates. */
async function main(): Promise<void> {
  const program = new Command()
    .name('certs')
    .description('Create a development CA, one certificate per node and an admin client certificate.')
    .option('--nodes <ids>', 'comma-separated node ids', DEFAULT_NODE_IDS.join(','))
    .option('--out <dir>', 'output directory (certificates and node keys)', 'certs')
    .option('--ca-dir <dir>', 'folder of the CA private key (default: <out>-ca-private)')
    .option('--force', 'regenerate files that already exist', false)
    .parse();
  const opts = program.opts<{ nodes: string; out: string; caDir?: string; force: boolean }>();
  const nodeIds = opts.nodes
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const logger = createLogger({ level: 'info', name: 'certs' });
  const result = await ensureDevCerts({
    dir: opts.out,
    caKeyDir: opts.caDir,
    nodeIds,
    force: opts.force,
    logger,
  });
  for (const file of result.created) logger.info({ file }, 'created');
  for (const file of result.kept) logger.info({ file }, 'kept (use --force to regenerate)');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
