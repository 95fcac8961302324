/**
 * The base side of a gate: the same repository at another revision, checked out in a temporary git
 * worktree (nothing in the working tree is touched) and made runnable — its node_modules linked to this
 * tree's when the two lock files are identical, installed with `npm ci` otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GateError } from './errors.ts';

export interface BaseTree {
  /** the tree's root */
  dir: string;
  /** its bin/muxbench.js */
  bin: string;
  /** the commit checked out (full sha), or null for a directory given as is */
  commit: string | null;
  /** how its dependencies were provided */
  install: 'linked' | 'npm ci' | 'as given';
  remove(): void;
}

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The full sha of `ref` in the repository at `root`, or a GateError saying how to make it available. */
export function resolveRef(root: string, ref: string): string {
  try {
    git(root, ['rev-parse', '--git-dir']);
  } catch {
    throw new GateError('MUX_ERR_GATE_NO_GIT', `${root} is not a git checkout: muxbench gate checks out the base revision with git (or give --base-dir)`);
  }
  try {
    return git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    const shallow = (() => {
      try {
        return git(root, ['rev-parse', '--is-shallow-repository']) === 'true';
      } catch {
        return false;
      }
    })();
    throw new GateError(
      'MUX_ERR_GATE_BASE_REF',
      `base revision '${ref}' is not in this repository${shallow ? ' (this is a shallow clone)' : ''}: fetch it first, e.g. \`git fetch --depth=1 origin ${ref.replace(/^origin\//, '')}\`, or name a commit that is here`,
    );
  }
}

function sameLockFile(a: string, b: string): boolean {
  const read = (dir: string): string | null => {
    const f = join(dir, 'package-lock.json');
    return existsSync(f) ? readFileSync(f, 'utf8') : null;
  };
  const la = read(a);
  return la !== null && la === read(b);
}

/** Checks out `ref` of the repository at `root` into a temporary worktree and makes it runnable. */
export function checkoutBase(root: string, ref: string, log: (m: string) => void): BaseTree {
  const commit = resolveRef(root, ref);
  const parent = mkdtempSync(join(tmpdir(), 'muxbench-gate-base-'));
  const dir = join(parent, 'tree');
  try {
    git(root, ['worktree', 'add', '--detach', dir, commit]);
  } catch (err) {
    rmSync(parent, { recursive: true, force: true });
    throw new GateError(
      'MUX_ERR_GATE_WORKTREE',
      `could not check out ${ref} (${commit.slice(0, 12)}) into a worktree: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
    );
  }
  const remove = (): void => {
    try {
      git(root, ['worktree', 'remove', '--force', dir]);
    } catch {
      // removed by hand below; prune forgets it
    }
    rmSync(parent, { recursive: true, force: true });
    try {
      git(root, ['worktree', 'prune']);
    } catch {
      // nothing to prune
    }
  };
  try {
    let install: BaseTree['install'];
    if (sameLockFile(root, dir) && existsSync(join(root, 'node_modules'))) {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
      install = 'linked';
    } else {
      log(`base ${ref}: package-lock.json differs from this tree's, installing its dependencies (npm ci)…`);
      const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0)
        throw new GateError(
          'MUX_ERR_GATE_INSTALL',
          `npm ci in the base tree failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join('\n')}`,
        );
      install = 'npm ci';
    }
    const bin = join(dir, 'bin', 'muxbench.js');
    if (!existsSync(bin))
      throw new GateError('MUX_ERR_GATE_BASE_TREE', `the base revision ${ref} has no bin/muxbench.js: it is older than muxbench's serve command`);
    return { dir, bin, commit, install, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/** A base tree that already exists (a directory prepared by CI, say): used as is, never removed. */
export function givenBase(dir: string): BaseTree {
  const bin = join(dir, 'bin', 'muxbench.js');
  if (!existsSync(bin)) throw new GateError('MUX_ERR_GATE_BASE_TREE', `--base-dir ${dir}: no bin/muxbench.js there`);
  if (!existsSync(join(dir, 'node_modules')))
    throw new GateError('MUX_ERR_GATE_BASE_TREE', `--base-dir ${dir}: no node_modules there (run npm ci in it first)`);
  let commit: string | null = null;
  try {
    commit = git(dir, ['rev-parse', 'HEAD']);
  } catch {
    // not a checkout: fine
  }
  return { dir, bin, commit, install: 'as given', remove: () => {} };
}
