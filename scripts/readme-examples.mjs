// Runs a README's ```js examples as written, so a package's documentation
// cannot drift from its API: each `import … from 'm'` is bound to the module
// the test passes for 'm' (its sources), and `console.log` lines are
// captured for the test to check.
import { readFileSync } from 'node:fs';

/** The ```js blocks of a Markdown file, in order. */
export function readmeJsBlocks(url) {
  const text = readFileSync(url, 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** `import { a, b as c } from 'm'` → `const { a, b: c } = __modules['m']`. */
function toScript(code) {
  return code
    .replace(
      /^import \* as (\w+) from '([^']+)';$/gm,
      (_, name, mod) => `const ${name} = __modules[${JSON.stringify(mod)}];`,
    )
    .replace(/^import \{([^}]+)\} from '([^']+)';$/gm, (_, names, mod) => {
      const parts = names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => n.replace(/ as /, ': '));
      return `const { ${parts.join(', ')} } = __modules[${JSON.stringify(mod)}];`;
    });
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

/**
 * Runs one example with `modules` standing in for its imports; returns what
 * it logged, one string per `console.log` call (non-strings as JSON).
 */
export async function runReadmeExample(code, modules) {
  const logs = [];
  const log = (...args) =>
    logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  await new AsyncFunction('__modules', 'console', toScript(code))(modules, { log });
  return logs;
}
