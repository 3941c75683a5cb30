import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { WORKSPACE_ROOT } from './support/servers';

/**
 * A production install (`npm ci --omit=dev`) has only package.json "dependencies": every
 * package the servers load at run time must be there, and nothing else should be. This
 * reads what the run-time code imports (TypeScript sources of the server apps and libraries,
 * type-only imports excepted) and what the built bundles require (webpack leaves every
 * package external), and compares.
 */

/** Loaded by name at run time, so no import shows them; each with the reason. */
const LOADED_BY_NAME: Record<string, string> = {
  'better-sqlite3': 'TypeORM loads the SQLite driver by name (type: "better-sqlite3"); libs/database imports only its types',
};

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const rootPackage = readJson<PackageJson>(join(WORKSPACE_ROOT, 'package.json'));
const dependencies = rootPackage.dependencies ?? {};
const builtins = new Set(builtinModules);

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`; null for relative, builtin and workspace imports. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || specifier.startsWith('@lmarena-bridge/')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtins.has(name) ? null : name;
}

/** Server apps: Nx apps tagged type:app + scope:server that webpack bundles for Node. */
function serverApps(): string[] {
  return readdirSync(join(WORKSPACE_ROOT, 'apps')).filter((app) => {
    const project = join(WORKSPACE_ROOT, 'apps', app, 'project.json');
    if (!existsSync(project) || !existsSync(join(WORKSPACE_ROOT, 'apps', app, 'webpack.config.js'))) return false;
    const tags = readJson<{ tags?: string[] }>(project).tags ?? [];
    return tags.includes('type:app') && tags.includes('scope:server');
  });
}

/** Libraries the servers can use: tagged scope:server or scope:shared. */
function serverLibs(): string[] {
  return readdirSync(join(WORKSPACE_ROOT, 'libs')).filter((lib) => {
    const project = join(WORKSPACE_ROOT, 'libs', lib, 'project.json');
    if (!existsSync(project)) return false;
    const tags = readJson<{ tags?: string[] }>(project).tags ?? [];
    return tags.includes('scope:server') || tags.includes('scope:shared');
  });
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'testing' && entry !== 'node_modules') out.push(...sourceFiles(path));
    } else if (/\.ts$/.test(entry) && !/\.(spec|test)\.ts$/.test(entry) && !entry.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** Value imports of one file (import, export … from, require(), import()); `import type` is skipped. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause?.namedBindings &&
          ts.isNamedImports(clause.namedBindings) &&
          !clause.name &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if ((ts.isIdentifier(callee) && callee.text === 'require') || callee.kind === ts.SyntaxKind.ImportKeyword) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** package → the first place that needs it, for the failure message. */
function runTimeImports(): Map<string, string> {
  const users = new Map<string, string>();
  const note = (pkg: string | null, where: string) => {
    if (pkg && !users.has(pkg)) users.set(pkg, where);
  };
  const roots = [...serverApps().map((a) => join('apps', a, 'src')), ...serverLibs().map((l) => join('libs', l, 'src'))];
  for (const root of roots) {
    for (const file of sourceFiles(join(WORKSPACE_ROOT, root))) {
      for (const specifier of valueImports(file)) note(packageOf(specifier), relative(WORKSPACE_ROOT, file));
    }
  }
  for (const app of serverApps()) {
    const bundle = join(WORKSPACE_ROOT, 'dist', 'apps', app, 'main.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: build first (npx nx run-many -t build)`);
    for (const m of readFileSync(bundle, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) note(packageOf(m[1]), `dist/apps/${app}/main.js (built bundle)`);
  }
  return users;
}

/** Peers a dependency needs installed beside it (optional peers excepted): dependency → peers. */
function requiredPeers(): Map<string, string[]> {
  const peers = new Map<string, string[]>();
  for (const dep of Object.keys(dependencies)) {
    const manifest = join(WORKSPACE_ROOT, 'node_modules', dep, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = readJson<PackageJson>(manifest);
    const needed = Object.keys(pkg.peerDependencies ?? {}).filter((p) => !pkg.peerDependenciesMeta?.[p]?.optional);
    if (needed.length) peers.set(dep, needed);
  }
  return peers;
}

describe('package.json "dependencies" are exactly what the servers need at run time', () => {
  const imports = runTimeImports();
  const peers = requiredPeers();

  it('lists every package the run-time code imports', () => {
    const problems = [...imports]
      .filter(([pkg]) => !(pkg in dependencies))
      .map(
        ([pkg, where]) =>
          `"${pkg}" is imported by ${where} (run-time code) but is ${rootPackage.devDependencies?.[pkg] ? 'only in "devDependencies"' : 'not in package.json'}: a production install (npm ci --omit=dev) would fail with "Cannot find module '${pkg}'". Move it to "dependencies".`,
      );
    expect(problems).toEqual([]);
  });

  it('lists every peer a dependency needs', () => {
    const problems = [...peers].flatMap(([dep, needed]) =>
      needed
        .filter((p) => !(p in dependencies))
        .map((p) => `"${p}" is a required peer dependency of "${dep}" (in "dependencies"), so it must be in "dependencies" too.`),
    );
    expect(problems).toEqual([]);
  });

  it('holds nothing the run-time code never loads', () => {
    const peerOf = new Map<string, string>();
    for (const [dep, needed] of peers) for (const p of needed) if (!peerOf.has(p)) peerOf.set(p, dep);
    const problems = Object.keys(dependencies)
      .filter((pkg) => !imports.has(pkg) && !peerOf.has(pkg) && !(pkg in LOADED_BY_NAME))
      .map(
        (pkg) =>
          `"${pkg}" is in "dependencies" but no server app or library imports it, it is no required peer of another dependency, and it is not in LOADED_BY_NAME (apps/e2e/src/dependencies.spec.ts): remove it, or move it to "devDependencies" if only builds and tests use it.`,
      );
    expect(problems).toEqual([]);
  });

  it('keeps LOADED_BY_NAME honest: each entry is a dependency no import already explains', () => {
    const problems = Object.keys(LOADED_BY_NAME).flatMap((pkg) => [
      ...(pkg in dependencies ? [] : [`LOADED_BY_NAME lists "${pkg}", which is not in "dependencies"`]),
      ...(imports.has(pkg) ? [`LOADED_BY_NAME lists "${pkg}", but ${imports.get(pkg)} imports it: drop the entry`] : []),
    ]);
    expect(problems).toEqual([]);
  });

  it('reads imports the way the check relies on', () => {
    expect(packageOf('@nestjs/common/constants')).toBe('@nestjs/common');
    expect(packageOf('rxjs/operators')).toBe('rxjs');
    expect(packageOf('node:fs')).toBeNull();
    expect(packageOf('fs')).toBeNull();
    expect(packageOf('./x')).toBeNull();
    expect(packageOf('@lmarena-bridge/config')).toBeNull();
  });
});
