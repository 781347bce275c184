import { loadNodeConfig } from '../config/node';
import { createLogger } from '../core/logger';
import { openStore } from '../store';
import { DEV_PASSWORD, seed } from './seed-data';

/** `npm run seed`: development users and rooms in the configured store (SQLite or MongoDB). */
async function main(): Promise<void> {
  const config = loadNodeConfig(process.env);
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'seed' });
  const store = await openStore({
    mongoUrl: config.store.mongoUrl,
    sqlitePath: config.store.sqlitePath,
    scrypt: config.scrypt,
    logger,
  });
  try {
    const result = await seed(store);
    logger.info({ event: 'seeded', ...result, password: DEV_PASSWORD.replace(/./g, '*') }, 'seed done');
    console.log(
      `Seeded: ${result.usersCreated} users, ${result.roomsCreated} rooms (users user1..user100, password "${DEV_PASSWORD}").`,
    );
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
