// Parser for rpm rich (boolean) dependencies such as
// "(foo >= 1.0 or (bar if baz))". primary.xml stores them verbatim as the
// entry name, so the solver needs a tree to reason about them.
import { flagFromOp, parseEVR } from './rpmvercmp.js';
import type { Dep } from './types.js';

export type RichDep =
  | { op: 'dep'; dep: Dep }
  | { op: 'and' | 'or'; args: RichDep[] }
  | { op: 'with'; args: RichDep[] }
  | { op: 'without'; args: [RichDep, RichDep] }
  | { op: 'if' | 'unless'; then: RichDep; cond: RichDep; else?: RichDep };

const KEYWORDS = new Set(['and', 'or', 'if', 'unless', 'else', 'with', 'without']);

export const isRich = (name: string) => name.startsWith('(');

/** Parses a rich dependency string; throws Error with a description on bad syntax. */
export function parseRich(text: string): RichDep {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`invalid rich dependency "${text}": ${why} at offset ${pos}`);
  };
  const skipWs = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  // A word ends at whitespace or at a ")" that closes an outer group; names
  // like "foo(x86-64)" keep their own balanced parentheses.
  const word = (): string => {
    const start = pos;
    let depth = 0;
    while (pos < text.length && !/\s/.test(text[pos])) {
      if (text[pos] === '(') depth++;
      else if (text[pos] === ')') {
        if (depth === 0) break;
        depth--;
      }
      pos++;
    }
    if (pos === start) fail('expected a name');
    return text.slice(start, pos);
  };
  const peekWord = (): string => {
    const save = pos;
    const w = pos < text.length && text[pos] !== ')' && text[pos] !== '(' ? word() : '';
    pos = save;
    return w;
  };

  const operand = (): RichDep => {
    skipWs();
    if (text[pos] === '(') return group();
    const name = word();
    if (KEYWORDS.has(name)) fail(`unexpected "${name}"`);
    skipWs();
    const flags = flagFromOp(peekWord());
    if (!flags) return { op: 'dep', dep: { name } };
    word();
    skipWs();
    const evr = parseEVR(word());
    return { op: 'dep', dep: { name, flags, epoch: evr.epoch, version: evr.version, release: evr.release } };
  };

  const group = (): RichDep => {
    pos++; // "("
    const first = operand();
    skipWs();
    if (text[pos] === ')') {
      pos++;
      return first;
    }
    const op = word();
    let node: RichDep;
    if (op === 'and' || op === 'or' || op === 'with') {
      const args = [first, operand()];
      skipWs();
      while (text[pos] !== ')') {
        if (pos >= text.length) fail('missing ")"');
        if (word() !== op) fail(`cannot mix "${op}" with other operators without parentheses`);
        args.push(operand());
        skipWs();
      }
      node = { op, args };
    } else if (op === 'without') {
      node = { op, args: [first, operand()] };
    } else if (op === 'if' || op === 'unless') {
      const cond = operand();
      skipWs();
      let otherwise: RichDep | undefined;
      if (text[pos] !== ')') {
        if (word() !== 'else') fail('expected "else"');
        otherwise = operand();
      }
      node = { op, then: first, cond, else: otherwise };
    } else {
      return fail(`unknown operator "${op}"`);
    }
    skipWs();
    if (text[pos] !== ')') fail('expected ")"');
    pos++;
    return node;
  };

  skipWs();
  if (text[pos] !== '(') fail('rich dependencies start with "("');
  const tree = group();
  skipWs();
  if (pos !== text.length) fail('trailing text');
  return tree;
}
