// lecture.js - the lecture (server/web/lecture.md, J.-S. Wang's slides on
// backpropagation) as HTML with its formulas as MathML, which browsers
// lay out themselves: no fonts, no library, nothing from elsewhere.
//
// Markdown: paragraphs, # headings, `code`, **bold**, *italic*, inline
// $...$ and display $$...$$ (over several lines too). TeX: the subset the
// lecture uses: groups, _ and ^, primes, \frac, \left( \right),
// \begin{aligned} with & and \\, \operatorname, \text, function names,
// Greek letters and a few symbols. An unknown command is shown as itself
// in red (class tex-unknown) rather than dropped, so a gap is visible (the
// browser test checks there is none).

const MATHML = 'http://www.w3.org/1998/Math/MathML';

function m(tag, attrs, ...kids) {
  const e = document.createElementNS(MATHML, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : String(k));
  return e;
}

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : String(k));
  return e;
}

const SYMBOLS = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', eta: 'η', theta: 'θ', lambda: 'λ',
  mu: 'μ', sigma: 'σ', phi: 'φ', omega: 'ω', Delta: 'Δ', Sigma: 'Σ', Omega: 'Ω', partial: '∂', nabla: '∇',
  infty: '∞', ell: 'ℓ',
};
const OPERATORS = {
  times: '×', cdot: '⋅', neq: '≠', ne: '≠', leq: '≤', le: '≤', geq: '≥', ge: '≥', sim: '∼',
  approx: '≈', pm: '±', to: '→', rightarrow: '→', cdots: '⋯', ldots: '…', sum: '∑', prod: '∏',
};
const FUNCTIONS = new Set(['sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'coth', 'sech', 'csch', 'exp', 'ln', 'log', 'max', 'min']);
const SPACES = { quad: '1em', qquad: '2em', ',': '0.1667em', ';': '0.2778em', ' ': '0.25em' };

// Tokens: {t: 'cmd', v: name} | {t: 'char', v: c} | {t: 'num', v: digits}.
function tokenize(tex) {
  const out = [];
  for (let i = 0; i < tex.length;) {
    const c = tex[i];
    if (c === '\\') {
      const word = /^[A-Za-z]+/.exec(tex.slice(i + 1));
      const name = word ? word[0] : tex[i + 1] || '';
      out.push({ t: 'cmd', v: name });
      i += 1 + name.length;
    } else if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const num = /^[0-9]*\.?[0-9]+|^[0-9]+/.exec(tex.slice(i));
      out.push(num ? { t: 'num', v: num[0] } : { t: 'char', v: c });
      i += num ? num[0].length : 1;
    } else {
      out.push({ t: 'char', v: c });
      i++;
    }
  }
  return out;
}

class Parser {
  constructor(tex, display) { this.toks = tokenize(tex); this.pos = 0; this.display = display; }
  peek() { return this.toks[this.pos]; }
  next() { return this.toks[this.pos++]; }
  isChar(tok, c) { return tok && tok.t === 'char' && tok.v === c; }
  isCmd(tok, name) { return tok && tok.t === 'cmd' && tok.v === name; }

  // A row up to a stop: '}' (group), & or \\ (table), \right, \end or the end.
  row(stop) {
    const kids = [];
    for (;;) {
      const tok = this.peek();
      if (!tok || stop(tok)) break;
      const atom = this.scripts(this.atom());
      if (atom) kids.push(atom);
    }
    return kids.length === 1 ? kids[0] : m('mrow', {}, ...kids);
  }

  // The argument of \frac, _ or ^: a {group} or one token.
  arg() {
    const tok = this.peek();
    if (this.isChar(tok, '{')) {
      this.next();
      const r = this.row((t) => this.isChar(t, '}'));
      this.next();
      return r;
    }
    return this.atom() || m('mrow');
  }

  // Raw text of a {group} (\operatorname, \text, \begin).
  word() {
    let s = '';
    if (!this.isChar(this.peek(), '{')) return s;
    this.next();
    for (let tok = this.next(); tok && !this.isChar(tok, '}'); tok = this.next())
      s += tok.t === 'cmd' ? `\\${tok.v}` : tok.v;
    return s;
  }

  // Subscripts, superscripts and primes after an atom.
  scripts(base) {
    if (!base) return base;
    let sub = null, sup = null, primes = '';
    for (;;) {
      const tok = this.peek();
      if (this.isChar(tok, '_')) { this.next(); sub = this.arg(); } else if (this.isChar(tok, '^')) { this.next(); sup = this.arg(); } else if (this.isChar(tok, "'")) { this.next(); primes += '′'; } else break;
    }
    if (primes) sup = sup ? m('mrow', {}, m('mo', {}, primes), sup) : m('mo', {}, primes);
    const big = base.getAttribute('data-largeop') === '1' && this.display;
    if (sub && sup) return m(big ? 'munderover' : 'msubsup', {}, base, sub, sup);
    if (sub) return m(big ? 'munder' : 'msub', {}, base, sub);
    if (sup) return m(big ? 'mover' : 'msup', {}, base, sup);
    return base;
  }

  atom() {
    const tok = this.next();
    if (tok.t === 'num') return m('mn', {}, tok.v);
    if (tok.t === 'char') {
      const c = tok.v;
      if (c === '{') {
        const r = this.row((t) => this.isChar(t, '}'));
        this.next();
        return m('mrow', {}, r);
      }
      if (/[A-Za-z]/.test(c)) return m('mi', {}, c);
      if (c === '-') return m('mo', {}, '−');
      if (c === '}' || c === '&') return null; // stray: ignored
      return m('mo', {}, c);
    }
    const name = tok.v;
    if (name === 'frac') return m('mfrac', {}, this.arg(), this.arg());
    if (name === 'left') {
      const open = this.next();
      const body = this.row((t) => this.isCmd(t, 'right'));
      this.next();
      const close = this.next();
      const fence = (t) => m('mo', { fence: 'true', stretchy: 'true' }, t && t.v !== '.' ? t.v : '');
      return m('mrow', {}, fence(open), body, fence(close));
    }
    if (name === 'begin') return this.table(this.word());
    if (name === 'operatorname') return m('mi', {}, this.word());
    if (name === 'text') return m('mtext', {}, this.word());
    if (FUNCTIONS.has(name)) return m('mi', {}, name);
    if (name in SYMBOLS) return m('mi', name === 'Delta' ? { mathvariant: 'normal' } : {}, SYMBOLS[name]);
    if (name in OPERATORS) {
      const op = m('mo', {}, OPERATORS[name]);
      if (name === 'sum' || name === 'prod') op.setAttribute('data-largeop', '1');
      return op;
    }
    if (name in SPACES) return m('mspace', { width: SPACES[name] });
    if (name === '\\') return null; // a row break outside a table
    if ('{}_&%$#'.includes(name)) return m('mo', {}, name);
    return m('mtext', { class: 'tex-unknown' }, `\\${name}`);
  }

  // \begin{aligned} (or any environment: rows by \\, cells by &) ... \end{...}:
  // cells alternate right and left aligned, as TeX's aligned does.
  table(env) {
    const rows = [];
    let cells = [];
    for (;;) {
      const cell = this.row((t) => this.isChar(t, '&') || this.isCmd(t, '\\') || this.isCmd(t, 'end'));
      cells.push(m('mtd', { class: cells.length % 2 ? 'tex-l' : 'tex-r' }, cell));
      const tok = this.next();
      if (!tok || this.isCmd(tok, 'end')) break;
      if (this.isCmd(tok, '\\')) { rows.push(m('mtr', {}, ...cells)); cells = []; }
    }
    this.word(); // the environment's name after \end
    rows.push(m('mtr', {}, ...cells));
    return m('mtable', { class: `tex-${env}`, displaystyle: 'true' }, ...rows);
  }
}

// One formula as a <math> element; data-tex keeps its source.
export function renderTex(tex, display) {
  const p = new Parser(tex, display);
  const body = p.row(() => false);
  const math = m('math', display ? { display: 'block' } : {}, body);
  math.setAttribute('data-tex', tex);
  return math;
}

// Inline markdown of one paragraph: `code`, **bold**, *italic*, $tex$.
function inline(text) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\$([^$]+)\$/g;
  let last = 0;
  for (let r = re.exec(text); r; r = re.exec(text)) {
    if (r.index > last) out.push(text.slice(last, r.index));
    if (r[1] !== undefined) out.push(h('code', {}, r[1]));
    else if (r[2] !== undefined) out.push(h('strong', {}, r[2]));
    else if (r[3] !== undefined) out.push(h('em', {}, r[3]));
    else out.push(renderTex(r[4], false));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// The whole document as a DocumentFragment.
export function renderMarkdown(md) {
  const frag = document.createDocumentFragment();
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  const flush = () => {
    const text = para.join(' ').trim();
    if (text) frag.append(h('p', {}, ...inline(text)));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.startsWith('$$')) {
      flush();
      let tex = line.slice(2);
      while (!tex.trimEnd().endsWith('$$') && i + 1 < lines.length) tex += `\n${lines[++i]}`;
      tex = tex.trimEnd().replace(/\$\$$/, '');
      frag.append(h('div', { class: 'formula' }, renderTex(tex, true)));
    } else if (/^#{1,6}\s/.test(line)) {
      flush();
      const level = Math.min(6, line.indexOf(' ') + 2); // # -> h3 inside the panel
      frag.append(h(`h${level}`, {}, ...inline(line.replace(/^#+\s*/, ''))));
    } else if (line === '') {
      flush();
    } else {
      para.push(line);
    }
  }
  flush();
  return frag;
}

// Fetch /web/lecture.md once and render it into el.
export async function showLecture(el) {
  if (el.dataset.loaded) return;
  el.dataset.loaded = 'loading';
  const res = await fetch('/web/lecture.md');
  if (!res.ok) throw new Error(`GET /web/lecture.md: ${res.status}`);
  el.replaceChildren(renderMarkdown(await res.text()));
  el.dataset.loaded = 'yes';
}
