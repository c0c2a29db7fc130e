// The README's "Add the chat to your own app" as a new app has it: its
// component beside a copy of src/useChat.ts, type-checked by tsc with
// the settings of Vite's react-ts template (strict, unused names and
// parameters refused, verbatimModuleSyntax).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** snippet is the README's tsx block under the heading. */
function snippet(heading) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  const m = /```tsx\n([\s\S]*?)```/.exec(section);
  assert.ok(m, `no tsx block under "${heading}"`);
  return m[1];
}

test('the README\u2019s component type-checks beside useChat.ts under a Vite app\u2019s tsconfig', (t) => {
  // Under node_modules so that react and wschat-client resolve as in an app.
  const app = join(root, 'node_modules', '.readme-app');
  rmSync(app, { recursive: true, force: true });
  mkdirSync(join(app, 'src'), { recursive: true });
  t.after(() => rmSync(app, { recursive: true, force: true }));
  writeFileSync(join(app, 'src', 'Chat.tsx'), snippet('## Add the chat to your own app'));
  copyFileSync(join(root, 'src', 'useChat.ts'), join(app, 'src', 'useChat.ts'));
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx',
      noEmit: true, skipLibCheck: true, strict: true, verbatimModuleSyntax: true, moduleDetection: 'force',
      noUnusedLocals: true, noUnusedParameters: true, noFallthroughCasesInSwitch: true, erasableSyntaxOnly: true,
    },
    include: ['src'],
  }));
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', app], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc refused the README's component:\n${e.stdout}${e.stderr}`);
  }
});
