/**
 * Child process for test/integration/sqlite-multiprocess.test.ts: opens the
 * real SQLite adapter on a shared file, says "ready", waits for "go" on stdin
 * so that every child writes at the same time, appends its messages, says
 * "done <count>" and exits.
 *
 * argv: <dbPath> <conversation> <firstSeq> <step> <count> <idPrefix>
 */
import { silentLogger } from '../../src/core/logger';
import { openSqliteStore } from '../../src/store/sqlite';

async function main(): Promise<void> {
  const [dbPath, conversation, firstSeqText, stepText, countText, idPrefix] = process.argv.slice(2);
  if (dbPath === undefined || conversation === undefined || idPrefix === undefined) {
    throw new Error('usage: store-append-child <dbPath> <conversation> <firstSeq> <step> <count> <idPrefix>');
  }
  const firstSeq = Number(firstSeqText);
  const step = Number(stepText);
  const count = Number(countText);
  const store = await openSqliteStore({
    path: dbPath,
    logger: silentLogger(),
    scrypt: { N: 2 ** 10, r: 8, p: 1 },
  });
  process.stdout.write('ready\n');
  await waitForGo();
  for (let i = 0; i < count; i += 1) {
    const message = {
      id: `${idPrefix}-${i}`,
      conversation,
      kind: 'world',
      from: idPrefix,
      to: 'world',
      text: `message ${i} from ${idPrefix}`,
      ts: Date.now(),
    } as const;
    // step 0: the store numbers the message (what chat nodes do); otherwise an explicit seq.
    if (step === 0) await store.messages.appendNext(message);
    else await store.messages.append({ ...message, seq: firstSeq + i * step });
    // Pacing, not synchronisation: 500 inserts take a few milliseconds, so
    // without pauses one child could finish before the other starts writing.
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await store.close();
  process.stdout.write(`done ${count}\n`);
}

function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.includes('go\n')) {
        process.stdin.pause();
        resolve();
      }
    });
    process.stdin.on('end', () => reject(new Error('stdin closed before "go"')));
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
