// `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]`: self time by function and
// by package, the figures bench/PROFILE.md quotes.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Profile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  const own = /\/(src|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]!.split('/')[0]}` : url;
}

const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0;
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url.replace(/.*node_modules\//, '').replace(/.*\/(src|bench)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  const pkg = packageOf(url, functionName);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
}
const total = [...byFn.values()].reduce((a, b) => a + b, 0);
const show = (m: Map<string, number>, top: number) => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
};
console.log(`total sampled: ${(total / 1e6).toFixed(1)} s\n\nby package:`);
show(byPkg, 20);
console.log('\nby function (self time):');
show(byFn, Number(topArg ?? 30));
