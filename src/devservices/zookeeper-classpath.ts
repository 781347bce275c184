import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DevServiceError } from './errors';

/**
 * Where ZooKeeper's jars are. Order: ZOOKEEPER_JAR (a jar, a directory or a
 * whole classpath), ZOOKEEPER_HOME/lib, the Debian package, Homebrew.
 */
export function findZooKeeperClasspath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.ZOOKEEPER_JAR;
  if (explicit) {
    const first = explicit.split(path.delimiter)[0] ?? '';
    if (!fs.existsSync(first.replace(/[/\\]\*$/, ''))) {
      throw new DevServiceError(`ZOOKEEPER_JAR is set to '${explicit}', but '${first}' does not exist`);
    }
    return isDirectory(explicit) ? path.join(explicit, '*') : explicit;
  }
  if (env.ZOOKEEPER_HOME && isDirectory(path.join(env.ZOOKEEPER_HOME, 'lib'))) {
    return [path.join(env.ZOOKEEPER_HOME, 'lib', '*'), ...zooKeeperMainJars(env.ZOOKEEPER_HOME)].join(
      path.delimiter,
    );
  }

  // Debian: the jar's manifest lists its dependencies; slf4j-simple (from a
  // dependency package) turns on logging, which the start-up error messages quote.
  const debianJar = '/usr/share/java/zookeeper.jar';
  if (fs.existsSync(debianJar)) {
    const logging = '/usr/share/java/slf4j-simple.jar';
    return fs.existsSync(logging) ? [debianJar, logging].join(path.delimiter) : debianJar;
  }

  for (const prefix of homebrewPrefixes(env)) {
    const lib = path.join(prefix, 'opt', 'zookeeper', 'libexec', 'lib');
    if (isDirectory(lib)) return path.join(lib, '*');
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
