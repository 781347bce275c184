import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DevServiceError } from './errors';

export interface ZooKeeperInstall {
  classpath: string;
  /** Whether the Netty jars are on the classpath (see zookeeper.ts for why we prefer Netty). */
  hasNetty: boolean;
}

/**
 * Where ZooKeeper's jars are. Order: ZOOKEEPER_JAR (a jar, a directory or a
 * whole classpath), ZOOKEEPER_HOME/lib, the Debian package, Homebrew.
 */
export function findZooKeeper(env: NodeJS.ProcessEnv = process.env): ZooKeeperInstall {
  const explicit = env.ZOOKEEPER_JAR;
  if (explicit) {
    const first = explicit.split(path.delimiter)[0] ?? '';
    if (!fs.existsSync(first.replace(/[/\\]\*$/, ''))) {
      throw new DevServiceError(`ZOOKEEPER_JAR is set to '${explicit}', but '${first}' does not exist`);
    }
    // Unknown contents: keep ZooKeeper's default connection factory.
    return { classpath: isDirectory(explicit) ? path.join(explicit, '*') : explicit, hasNetty: false };
  }
  if (env.ZOOKEEPER_HOME && isDirectory(path.join(env.ZOOKEEPER_HOME, 'lib'))) {
    // The Apache distribution ships every dependency, Netty included, in lib/.
    const jars = [path.join(env.ZOOKEEPER_HOME, 'lib', '*'), ...zooKeeperMainJars(env.ZOOKEEPER_HOME)];
    return { classpath: jars.join(path.delimiter), hasNetty: true };
  }

  // Debian: the jar's manifest lists most dependencies. The rest come from
  // packages it depends on: the Netty codec jars the Netty connection factory
  // needs, and slf4j-simple, which turns on the logging our errors quote.
  const debianJar = '/usr/share/java/zookeeper.jar';
  if (fs.existsSync(debianJar)) {
    const netty = ['netty-codec', 'netty-resolver', 'netty-transport-native-unix-common'].map(
      (name) => `/usr/share/java/${name}.jar`,
    );
    const hasNetty = netty.every((jar) => fs.existsSync(jar));
    const logging = ['/usr/share/java/slf4j-simple.jar'].filter((jar) => fs.existsSync(jar));
    const jars = [debianJar, ...(hasNetty ? netty : []), ...logging];
    return { classpath: jars.join(path.delimiter), hasNetty };
  }

  for (const prefix of homebrewPrefixes(env)) {
    const lib = path.join(prefix, 'opt', 'zookeeper', 'libexec', 'lib');
    if (isDirectory(lib)) return { classpath: path.join(lib, '*'), hasNetty: true };
  }

  throw new DevServiceError(
    'ZooKeeper was not found (looked at ZOOKEEPER_JAR, ZOOKEEPER_HOME, /usr/share/java/zookeeper.jar ' +
      'and Homebrew). Run scripts/install-services.sh, or set ZOOKEEPER_JAR to the jar or classpath.',
  );
}

/** The `java` to run: JAVA_HOME's, else the one on PATH. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME) {
    const java = path.join(env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(java)) return java;
  }
  return 'java';
}

function zooKeeperMainJars(home: string): string[] {
  // The Apache tarball keeps zookeeper-*.jar in lib/; older ones put it at the top.
  try {
    return fs
      .readdirSync(home)
      .filter((name) => /^zookeeper-.*\.jar$/.test(name))
      .map((name) => path.join(home, name));
  } catch {
    return [];
  }
}

function homebrewPrefixes(env: NodeJS.ProcessEnv): string[] {
  const prefixes = [env.HOMEBREW_PREFIX, '/opt/homebrew', '/usr/local'].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  try {
    const fromBrew = execFileSync('brew', ['--prefix'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (fromBrew) prefixes.unshift(fromBrew);
  } catch {
    // No Homebrew on this machine.
  }
  return prefixes;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
