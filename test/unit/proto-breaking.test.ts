import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const BUF = path.join(REPO, 'node_modules', '.bin', 'buf');

/** A copy of proto/ and buf.yaml, optionally edited. */
async function protoTree(edit?: (cluster: string) => string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chat-proto-'));
  await fs.cp(path.join(REPO, 'proto'), path.join(dir, 'proto'), { recursive: true });
  await fs.copyFile(path.join(REPO, 'buf.yaml'), path.join(dir, 'buf.yaml'));
  if (edit) {
    const file = path.join(dir, 'proto', 'chat', 'v1', 'cluster.proto');
    await fs.writeFile(file, edit(await fs.readFile(file, 'utf8')));
  }
  return dir;
}

/**
 * What `npm run proto:breaking` (in .ci/run) relies on: buf's FILE rules
 * accept additions and refuse changes that break existing clients.
 */
describe('buf breaking (protocol compatibility)', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

  const breaking = async (edit: (s: string) => string): Promise<string> => {
    const [before, after] = [await protoTree(), await protoTree(edit)];
    dirs.push(before, after);
    try {
      await run(BUF, ['breaking', after, '--against', before], { cwd: REPO });
      return '';
    } catch (err) {
      return String((err as { stdout?: string }).stdout);
    }
  };

  it('accepts a new field and a new method', async () => {
    const out = await breaking((s) =>
      s
        .replace('  bool kicked = 2;', '  bool kicked = 2;\n  string note = 3;')
        .replace(
          'service AdminService {',
          'service AdminService {\n  rpc Noop(GetNodeStatusRequest) returns (GetNodeStatusResponse);',
        ),
    );
    expect(out).toBe('');
  });

  it('refuses a changed field type, a renumbered field and a removed method', async () => {
    expect(await breaking((s) => s.replace('  bool kicked = 2;', '  string kicked = 2;'))).toMatch(
      /changed type from "bool" to "string"/,
    );
    expect(await breaking((s) => s.replace('  bool kicked = 2;', '  bool kicked = 4;'))).toMatch(
      /Previously present field "2"/,
    );
    expect(
      await breaking((s) =>
        s.replace(/\n {2}rpc DrainNode\(DrainNodeRequest\) returns \(DrainNodeResponse\);/, ''),
      ),
    ).toMatch(/Previously present RPC "DrainNode"/);
  });
});
