// The small part of JQL the product sends, parsed for the fake Jira: AND/OR/NOT, parentheses,
// =, !=, ~, IN, IS [NOT] EMPTY, and ORDER BY (ignored). Unknown syntax is an error, as in Jira.

export type JqlNode =
  | { kind: 'and' | 'or'; items: JqlNode[] }
  | { kind: 'not'; item: JqlNode }
  | { kind: 'clause'; field: string; op: '=' | '!=' | '~' | 'in' | 'not in' | 'is' | 'is not'; values: string[] };

type Token = { t: 'str' | 'word' | 'sym'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) {
          s += src[i + 1];
          i += 2;
        } else s += src[i++];
      }
      if (src[i] !== c) throw new Error('Error in the JQL Query: unterminated string.');
      i++;
      out.push({ t: 'str', v: s });
    } else if (c === '!' && src[i + 1] === '=') {
      out.push({ t: 'sym', v: '!=' });
      i += 2;
    } else if ('=~(),'.includes(c)) {
      out.push({ t: 'sym', v: c });
      i++;
    } else {
      let w = '';
      while (i < src.length && /[^\s=~(),!"']/.test(src[i]!)) w += src[i++];
      if (!w) throw new Error(`Error in the JQL Query: unexpected character '${c}'.`);
      out.push({ t: 'word', v: w });
    }
  }
  return out;
}

export function parseJql(src: string): JqlNode | null {
  const tokens = tokenize(src);
  let p = 0;
  const peekWord = (w: string) => tokens[p]?.t === 'word' && tokens[p]!.v.toLowerCase() === w;
  const expectSym = (s: string) => {
    if (tokens[p]?.t !== 'sym' || tokens[p]!.v !== s) throw new Error(`Error in the JQL Query: expected '${s}'.`);
    p++;
  };
  const value = (): string => {
    const tk = tokens[p++];
    if (!tk || tk.t === 'sym') throw new Error('Error in the JQL Query: expected a value.');
    return tk.v;
  };
  const clause = (): JqlNode => {
    const f = tokens[p++];
    if (!f || f.t === 'sym') throw new Error('Error in the JQL Query: expected a field.');
    const field = f.v.toLowerCase();
    let op: Extract<JqlNode, { kind: 'clause' }>['op'];
    if (tokens[p]?.t === 'sym' && ['=', '!=', '~'].includes(tokens[p]!.v)) op = tokens[p++]!.v as '=' | '!=' | '~';
    else if (peekWord('in')) {
      p++;
      op = 'in';
    } else if (peekWord('not') && tokens[p + 1]?.v.toLowerCase() === 'in') {
      p += 2;
      op = 'not in';
    } else if (peekWord('is')) {
      p++;
      op = peekWord('not') ? 'is not' : 'is';
      if (op === 'is not') p++;
    } else throw new Error(`Error in the JQL Query: expected an operator after '${f.v}'.`);
    if (op === 'in' || op === 'not in') {
      expectSym('(');
      const values = [value()];
      while (tokens[p]?.v === ',') {
        p++;
        values.push(value());
      }
      expectSym(')');
      return { kind: 'clause', field, op, values };
    }
    return { kind: 'clause', field, op, values: [value()] };
  };
  const term = (): JqlNode => {
    if (tokens[p]?.t === 'sym' && tokens[p]!.v === '(') {
      p++;
      const n = or();
      expectSym(')');
      return n;
    }
    if (peekWord('not')) {
      p++;
      return { kind: 'not', item: term() };
    }
    return clause();
  };
  const and = (): JqlNode => {
    const items = [term()];
    while (peekWord('and')) {
      p++;
      items.push(term());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  const or = (): JqlNode => {
    const items = [and()];
    while (peekWord('or')) {
      p++;
      items.push(and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };
  if (tokens.length === 0 || peekWord('order')) return null;
  const root = or();
  if (p < tokens.length) {
    if (!(peekWord('order') && tokens[p + 1]?.v.toLowerCase() === 'by')) throw new Error(`Error in the JQL Query: unexpected '${tokens[p]!.v}'.`);
  }
  return root;
}

/** Words of a text for `~` matching (lower-case letters and digits). */
export function words(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
