import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../src/config/env-reader';
import { silentLogger } from '../../src/core/logger';
import { HookRunner, PluginLoadError, loadPlugins, parsePluginEnv, pluginKeyOf } from '../../src/plugins';
import { tempDir, useScope } from '../support';

const repoRoot = path.join(__dirname, '..', '..');
const logger = silentLogger();

describe('loadPlugins', () => {
  const scope = useScope();

  async function writeModules(files: Record<string, string>): Promise<string> {
    const dir = await tempDir(scope, 'plugins');
    for (const [name, body] of Object.entries(files)) await fs.writeFile(path.join(dir, name), body);
    return dir;
  }

  it('loads the TypeScript example by path relative to the working directory, with its config', async () => {
    const plugins = await loadPlugins(
      [{ module: './src/plugins/examples/link-guard', config: { minAccountAgeMinutes: 5 } }],
      logger,
      { cwd: repoRoot },
    );
    expect(plugins.map((p) => p.name)).toEqual(['link-guard']);
    const runner = new HookRunner(plugins);
    await expect(
      runner.beforeMessage(
        { kind: 'world', conversation: 'world', from: 'a', to: 'world', text: 'see www.x.com' },
        { username: 'a', alliance: '', createdAt: Date.now() },
      ),
    ).rejects.toMatchObject({ reason: 'LINK_NOT_ALLOWED' });
  });

  it('takes a `plugin` object, a default factory and module.exports = factory, and calls init with its config', async () => {
    const dir = await writeModules({
      'obj.js': `exports.plugin = { name: 'obj', init(ctx) { this.seen = ctx.config; }, afterRoomJoined() {} };`,
      'fac.js': `exports.default = (ctx) => ({ name: 'fac-' + ctx.config.suffix, priority: 1 });`,
      'cjs.js': `module.exports = () => ({ name: 'cjs' });`,
    });
    const plugins = await loadPlugins(
      [
        { module: './obj.js', config: { a: 1 } },
        { module: './fac', config: { suffix: 'x' } },
        { module: './cjs' },
      ],
      logger,
      { cwd: dir },
    );
    expect(plugins.map((p) => p.name)).toEqual(['obj', 'fac-x', 'cjs']);
    expect((plugins[0] as unknown as { seen: unknown }).seen).toEqual({ a: 1 });
  });

  it('names the module in every load error', async () => {
    const dir = await writeModules({
      'syntax.js': 'this is not javascript',
      'empty.js': 'exports.nothing = 1;',
      'noname.js': 'exports.plugin = { afterMessageStored() {} };',
      'typo.js': "exports.plugin = { name: 'typo', afterMesageStored() {} };",
      'notfn.js': "exports.plugin = { name: 'notfn', beforeJoin: 'yes' };",
      'initfails.js': "exports.plugin = { name: 'initfails', init() { throw new Error('no key'); } };",
      'dup1.js': "exports.plugin = { name: 'same' };",
      'dup2.js': "exports.plugin = { name: 'same' };",
    });
    const load = (module: string, extra: string[] = []) =>
      loadPlugins([...extra.map((m) => ({ module: m })), { module }], logger, { cwd: dir });
    await expect(load('./missing')).rejects.toThrow(/plugin module '\.\/missing' not found/);
    await expect(load('no-such-package-xyz')).rejects.toThrow(/'no-such-package-xyz' not found.*package/);
    await expect(load('./syntax.js')).rejects.toThrow(/'\.\/syntax\.js' .* failed to load/);
    await expect(load('./empty.js')).rejects.toThrow(/'\.\/empty\.js' exports no plugin/);
    await expect(load('./noname.js')).rejects.toThrow(
      /'\.\/noname\.js' does not export a valid plugin: `name`/,
    );
    await expect(load('./typo.js')).rejects.toThrow(/unknown hook 'afterMesageStored'/);
    await expect(load('./notfn.js')).rejects.toThrow(/'beforeJoin' must be a function/);
    await expect(load('./initfails.js')).rejects.toThrow(
      /plugin 'initfails' \(\.\/initfails\.js\) failed to start: no key/,
    );
    await expect(load('./dup2.js', ['./dup1.js'])).rejects.toThrow(/named 'same', like another/);
    await expect(load('./missing')).rejects.toBeInstanceOf(PluginLoadError);
  });

  it('closes the plugins already started when a later one fails', async () => {
    const dir = await writeModules({
      'ok.js':
        "exports.plugin = { name: 'ok', close() { require('fs').writeFileSync(__dirname + '/closed', 'yes'); } };",
    });
    await expect(
      loadPlugins([{ module: './ok.js' }, { module: './missing' }], logger, { cwd: dir }),
    ).rejects.toThrow(/not found/);
    await expect(fs.readFile(path.join(dir, 'closed'), 'utf8')).resolves.toBe('yes');
  });
});

describe('parsePluginEnv', () => {
  const scope = useScope();

  it('returns no specs when PLUGINS is unset', () => {
    expect(parsePluginEnv({})).toEqual([]);
  });

  it('splits PLUGINS and gives each plugin its PLUGINS_CONFIG section by name', async () => {
    const dir = await tempDir(scope, 'plugin-config');
    await fs.writeFile(
      path.join(dir, 'plugins.json'),
      JSON.stringify({ 'link-guard': { minAccountAgeMinutes: 5 }, '@acme/audit': { level: 'all' } }),
    );
    const specs = parsePluginEnv(
      {
        PLUGINS: ' ./dist/src/plugins/examples/link-guard.js, @acme/audit ,,other',
        PLUGINS_CONFIG: 'plugins.json',
      },
      { cwd: dir },
    );
    expect(specs).toEqual([
      { module: './dist/src/plugins/examples/link-guard.js', config: { minAccountAgeMinutes: 5 } },
      { module: '@acme/audit', config: { level: 'all' } },
      { module: 'other' },
    ]);
  });

  it('reports an unreadable file and sections that match no plugin', async () => {
    const dir = await tempDir(scope, 'plugin-config');
    await fs.writeFile(path.join(dir, 'bad.json'), '{ nope');
    await fs.writeFile(path.join(dir, 'list.json'), '[]');
    await fs.writeFile(path.join(dir, 'typo.json'), JSON.stringify({ 'link-gaurd': {} }));
    const parse = (file: string) => () =>
      parsePluginEnv({ PLUGINS: 'link-guard', PLUGINS_CONFIG: file }, { cwd: dir });
    expect(parse('missing.json')).toThrow(ConfigError);
    expect(parse('missing.json')).toThrow(/PLUGINS_CONFIG="missing.json": cannot read/);
    expect(parse('bad.json')).toThrow(/cannot read .*bad.json/);
    expect(parse('list.json')).toThrow(/must hold a JSON object/);
    expect(parse('typo.json')).toThrow(
      /section 'link-gaurd' .* matches no plugin in PLUGINS \(listed: link-guard\)/,
    );
  });

  it('keys plugins by file or package name', () => {
    expect(pluginKeyOf('./dist/src/plugins/examples/link-guard.js')).toBe('link-guard');
    expect(pluginKeyOf('@acme/chat-audit')).toBe('chat-audit');
    expect(pluginKeyOf('plain')).toBe('plain');
    expect(pluginKeyOf('x/y.ts')).toBe('y');
  });
});
