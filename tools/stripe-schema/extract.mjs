#!/usr/bin/env node
// Extracts, per Stripe API version, the shapes of the invoice-related objects and the request
// parameters of their operations from the official stripe-node package's type definitions.
//
// Each stripe-node release pins exactly one API version (its `ApiVersion` constant), so the type
// definitions of the newest release pinning a version describe that version. We read them with the
// TypeScript compiler API (the checker resolves aliases, merged namespaces, Omit<> and generics for
// us), never with regexes, and the method specs (HTTP method + path) from the resources' compiled
// JavaScript, parsed with the same compiler.
//
//   node extract.mjs scan      download every stable stripe release >= FLOOR, read its ApiVersion,
//                              write <out>/packages.json
//   node extract.mjs extract   for every API version >= 2023-10-16, extract from the newest release
//                              pinning it, write <out>/<api-version>.json
//   node extract.mjs all       both
//
// Options: --out DIR (default: tests/fixtures/stripe-schema of the repository this file is in),
//          --cache DIR (default: $STRIPE_SCHEMA_CACHE or ~/.cache/apiparity-stripe-schema),
//          --only API_VERSION (extract just one version),
//          --package X.Y.Z (extract from this release instead of the newest one pinning its version;
//          combine with --out elsewhere, e.g. to compare the two type layouts).
// Downloads go through `npm pack` (the ordinary npm client) into the cache; nothing is written
// inside the repository except the output directory.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import ts from 'typescript';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const PACKAGE = 'stripe';
// Releases older than this are not scanned: stripe 13.x pins 2023-08-16, so scanning from 13.0.0
// shows where 2023-10-16 begins.
const SCAN_FLOOR = '13.0.0';
const FIRST_MODELLED = '2023-10-16';

// Root objects and the names they have in either layout of the package.
const ROOT_OBJECTS = [
  'Invoice',
  'InvoiceLineItem',
  'InvoiceItem',
  'Customer',
  'DeletedInvoice',
  'DeletedInvoiceItem',
  'DeletedCustomer',
  'InvoicePayment',
  'UpcomingInvoice',
  'ApiList',
  'ApiSearchResult',
];

// Resources whose operations we record. `file` is the compiled resource under cjs/resources;
// `classes` are the type-level class names (pre-22 layout, 22+ layout).
const RESOURCES = [
  { key: 'invoices', file: 'Invoices', classes: ['InvoicesResource', 'InvoiceResource'] },
  { key: 'invoiceitems', file: 'InvoiceItems', classes: ['InvoiceItemsResource', 'InvoiceItemResource'] },
  { key: 'customers', file: 'Customers', classes: ['CustomersResource', 'CustomerResource'] },
  {
    key: 'invoice_payments',
    file: 'InvoicePayments',
    classes: ['InvoicePaymentsResource', 'InvoicePaymentResource'],
  },
];

// Operations whose request parameters are extracted (snake_case of the SDK method name).
const PARAM_OPS = {
  invoices: [
    'create', 'update', 'retrieve', 'list', 'finalize_invoice', 'pay', 'send_invoice', 'void_invoice',
    'mark_uncollectible', 'del', 'search', 'create_preview', 'retrieve_upcoming', 'list_upcoming_lines',
    'add_lines', 'remove_lines', 'update_lines', 'list_line_items', 'update_line_item', 'attach_payment',
  ],
  invoiceitems: ['create', 'update', 'retrieve', 'list', 'del'],
  customers: ['create', 'update', 'retrieve', 'list', 'del', 'search'],
  invoice_payments: ['list', 'retrieve'],
};

// ---------------------------------------------------------------------------------------------
// small helpers

function die(msg) {
  process.stderr.write(`stripe-schema: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { cmd: argv[0], out: path.join(REPO, 'tests', 'fixtures', 'stripe-schema'), cache: null, only: null };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--out') opts.out = path.resolve(val());
    else if (a === '--cache') opts.cache = path.resolve(val());
    else if (a === '--only') opts.only = val();
    else if (a === '--package') opts.pkg = val();
    else die(`unknown argument ${a} (expected --out, --cache, --only or --package)`);
  }
  if (!['scan', 'extract', 'all'].includes(opts.cmd)) die('usage: extract.mjs scan|extract|all [--out DIR] [--cache DIR] [--only VERSION]');
  opts.cache ||= process.env.STRIPE_SCHEMA_CACHE || path.join(os.homedir(), '.cache', 'apiparity-stripe-schema');
  if (opts.cache.startsWith(REPO + path.sep)) die(`the cache (${opts.cache}) must be outside the repository`);
  return opts;
}

const semverRe = /^(\d+)\.(\d+)\.(\d+)$/;
function cmpSemver(a, b) {
  const x = a.match(semverRe).slice(1).map(Number);
  const y = b.match(semverRe).slice(1).map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

// API versions sort by their date; the release suffix never differs for one date.
function cmpApi(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Deterministic pretty JSON: object keys sorted, 2-space indent, trailing newline. An object or
// array holding only scalars (or arrays of scalars) goes on one line, so one field is one line.
function stableStringify(value) {
  const isScalar = (v) => v === null || typeof v !== 'object';
  const isFlat = (v) =>
    Array.isArray(v) ? v.every(isScalar) : Object.values(v).every((x) => isScalar(x) || (Array.isArray(x) && x.every(isScalar)));
  const inline = (v) => {
    if (isScalar(v)) return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${inline(v[k])}`).join(', ')}}`;
  };
  const fmt = (v, ind) => {
    if (isScalar(v) || isFlat(v)) return inline(v);
    const pad = '  '.repeat(ind + 1);
    if (Array.isArray(v)) return `[\n${v.map((x) => pad + fmt(x, ind + 1)).join(',\n')}\n${'  '.repeat(ind)}]`;
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    if (!keys.length) return '{}';
    return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${fmt(v[k], ind + 1)}`).join(',\n')}\n${'  '.repeat(ind)}}`;
  };
  return fmt(value, 0) + '\n';
}

function writeAtomic(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

function snake(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// downloading and unpacking

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

function tarballPath(cache, version) {
  return path.join(cache, 'tarballs', `${PACKAGE}-${version}.tgz`);
}

function ensureTarballs(cache, versions) {
  const dir = path.join(cache, 'tarballs');
  fs.mkdirSync(dir, { recursive: true });
  const missing = versions.filter((v) => !fs.existsSync(tarballPath(cache, v)));
  for (let i = 0; i < missing.length; i += 10) {
    const batch = missing.slice(i, i + 10);
    process.stderr.write(`npm pack ${batch.join(' ')}\n`);
    npm(['pack', '--silent', '--pack-destination', dir, ...batch.map((v) => `${PACKAGE}@${v}`)], dir);
    for (const v of batch) if (!fs.existsSync(tarballPath(cache, v))) die(`npm pack did not produce ${tarballPath(cache, v)}`);
  }
}

function unpacked(cache, version) {
  const dir = path.join(cache, 'unpacked', version);
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    tar.x({ file: tarballPath(cache, version), cwd: dir, sync: true });
    fs.writeFileSync(marker, '');
  }
  return path.join(dir, 'package');
}

// Reads one file out of a tarball without unpacking it.
function readFromTarball(file, inner) {
  let text = null;
  tar.t({
    file,
    sync: true,
    filter: (p) => p === inner,
    onReadEntry: (entry) => {
      const chunks = [];
      entry.on('data', (c) => chunks.push(c));
      entry.on('end', () => {
        text = Buffer.concat(chunks).toString('utf8');
      });
    },
  });
  return text;
}

// `exports.ApiVersion = '…'` (CommonJS build) or `export const ApiVersion = '…'`.
function constantsFromJs(source, fileName) {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const found = {};
  const visit = (node) => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      ts.isIdentifier(node.left.expression) &&
      node.left.expression.text === 'exports' &&
      ts.isStringLiteralLike(node.right)
    ) {
      found[node.left.name.text] = node.right.text;
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isStringLiteralLike(node.initializer)) {
      found[node.name.text] = node.initializer.text;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const API_VERSION_FILES = ['package/cjs/apiVersion.js', 'package/lib/apiVersion.js', 'package/esm/apiVersion.js'];

function apiVersionOfTarball(file) {
  for (const inner of API_VERSION_FILES) {
    const src = readFromTarball(file, inner);
    if (src == null) continue;
    const c = constantsFromJs(src, inner);
    if (c.ApiVersion) return { api_version: c.ApiVersion, source: inner.replace(/^package\//, '') };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// scan

function scan(opts) {
  const all = JSON.parse(npm(['view', PACKAGE, 'versions', '--json'], opts.cache));
  const stable = all.filter((v) => semverRe.test(v) && cmpSemver(v, SCAN_FLOOR) >= 0).sort(cmpSemver);
  ensureTarballs(opts.cache, stable);
  const rows = [];
  for (const v of stable) {
    const got = apiVersionOfTarball(tarballPath(opts.cache, v));
    if (!got) die(`stripe@${v}: no ApiVersion constant in ${API_VERSION_FILES.join(', ')}`);
    rows.push({ package: v, ...got });
  }
  // Report (not assume) whether the pinned version ever goes backwards between releases.
  const regressions = [];
  for (let i = 1; i < rows.length; i++)
    if (cmpApi(rows[i].api_version, rows[i - 1].api_version) < 0)
      regressions.push(`${rows[i - 1].package} (${rows[i - 1].api_version}) -> ${rows[i].package} (${rows[i].api_version})`);
  const doc = {
    package: PACKAGE,
    note: 'Every stable release of the npm package from the floor on, with the ApiVersion constant read from the release itself. Prereleases (-beta, -alpha) pin preview versions and are left out.',
    scan_floor: SCAN_FLOOR,
    releases: rows,
    api_version_regressions: regressions,
  };
  writeAtomic(path.join(opts.out, 'packages.json'), stableStringify(doc));
  process.stderr.write(`scanned ${rows.length} releases; ${regressions.length} regressions\n`);
  return doc;
}

// Newest release per API version, for versions from FIRST_MODELLED on.
function pickReleases(doc) {
  const best = new Map();
  for (const r of doc.releases) {
    if (cmpApi(r.api_version.slice(0, 10), FIRST_MODELLED) < 0) continue;
    const cur = best.get(r.api_version);
    if (!cur || cmpSemver(r.package, cur.package) > 0) best.set(r.api_version, r);
  }
  return [...best.values()].sort((a, b) => cmpApi(a.api_version, b.api_version));
}

// ---------------------------------------------------------------------------------------------
// extraction

class Extractor {
  constructor(pkgDir, pkgVersion) {
    this.pkgDir = pkgDir;
    this.pkgVersion = pkgVersion;
    this.newLayout = fs.existsSync(path.join(pkgDir, 'cjs', 'resources', 'Invoices.d.ts'));
    const roots = this.newLayout
      ? fs
          .readdirSync(path.join(pkgDir, 'cjs', 'resources'))
          .filter((f) => f.endsWith('.d.ts'))
          .map((f) => path.join(pkgDir, 'cjs', 'resources', f))
          .concat([path.join(pkgDir, 'cjs', 'lib.d.ts')])
      : [path.join(pkgDir, 'types', 'index.d.ts')];
    this.program = ts.createProgram(roots, {
      noEmit: true,
      strict: true, // strictNullChecks keeps `| null` in the types
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    this.checker = this.program.getTypeChecker();
    this.names = this.collectNames();
  }

  // name -> symbol of every top-level Stripe type (old layout: members of `namespace Stripe` in
  // `declare module 'stripe'`; new layout: exports of the package's own declaration files).
  collectNames() {
    const c = this.checker;
    const names = new Map();
    const add = (sym) => {
      const s = sym.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(sym) : sym;
      if (!names.has(sym.name)) names.set(sym.name, s);
    };
    if (this.newLayout) {
      // Top-level resources and lib/shared first: sub-namespaces (Billing/, V2/, TestHelpers/)
      // reuse names such as CustomerResource.
      const top = new Set(['resources', 'cjs']);
      const files = this.program.getSourceFiles().filter((sf) => sf.fileName.startsWith(this.pkgDir));
      const isTop = (sf) => top.has(path.basename(path.dirname(sf.fileName)));
      for (const sf of [...files.filter(isTop), ...files.filter((f) => !isTop(f))]) {
        const mod = c.getSymbolAtLocation(sf);
        if (mod) for (const e of c.getExportsOfModule(mod)) add(e);
      }
    } else {
      const mod = c.getAmbientModules().find((m) => m.name === '"stripe"');
      if (!mod) die(`stripe@${this.pkgVersion}: no ambient module "stripe" in types/index.d.ts`);
      const stripeNs = c.getExportsOfModule(mod).find((s) => s.name === 'Stripe');
      if (!stripeNs) die(`stripe@${this.pkgVersion}: no namespace Stripe`);
      for (const e of c.getExportsOfModule(stripeNs)) add(e);
    }
    return names;
  }

  // Layout-independent name of a declared type: `Invoice.AutomaticTax`, `Customer`, `ApiList`.
  qualifiedName(sym) {
    let fq = this.checker.getFullyQualifiedName(sym);
    // 22+ layout: "…/cjs/resources/TestHelpers/TestClocks".TestClock; the directory under
    // resources/ is the namespace the older layout spells Stripe.TestHelpers.TestClock.
    const m = fq.match(/^"([^"]*)"\./);
    if (m) {
      const rel = path.relative(path.join(this.pkgDir, 'cjs', 'resources'), path.dirname(m[1]));
      const ns = rel && !rel.startsWith('..') ? rel.split(path.sep).join('.') + '.' : '';
      fq = ns + fq.slice(m[0].length);
    }
    return fq.replace(/^Stripe\./, '');
  }

  // stripe-node 21+ types decimal strings as Decimal (a class-like type); on the wire it is a string.
  isDecimal(t) {
    if (t.aliasSymbol && t.aliasSymbol.name === 'Decimal') return true;
    const sym = t.getSymbol && t.getSymbol();
    return !!sym && (sym.name === 'Decimal' || sym.name === 'DecimalImpl') && !!(t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection));
  }

  declaredType(name) {
    const sym = this.names.get(name);
    if (!sym) return null;
    return this.checker.getDeclaredTypeOfSymbol(sym);
  }

  docOf(sym) {
    return ts.displayPartsToString(sym.getDocumentationComment(this.checker));
  }

  isDeprecated(sym) {
    return sym.getJsDocTags(this.checker).some((t) => t.name === 'deprecated');
  }

  // The object-ish name of a type, or null: interfaces, instantiated generics (ApiList<Invoice>).
  typeName(t) {
    const c = this.checker;
    if (t.aliasSymbol && !(t.flags & ts.TypeFlags.Union)) return this.qualifiedName(t.aliasSymbol);
    if (t.getFlags() & ts.TypeFlags.Object) {
      const of = t.objectFlags || 0;
      if (of & ts.ObjectFlags.Reference && t.target && t.target !== t) {
        const base = this.typeName(t.target);
        const args = c.getTypeArguments(t).map((a) => this.shortName(a));
        return args.length ? `${base}<${args.join(',')}>` : base;
      }
      const sym = t.getSymbol();
      if (sym && sym.name !== '__type' && sym.name !== '__object') return this.qualifiedName(sym);
    }
    if (t.flags & ts.TypeFlags.TypeParameter) return t.getSymbol().name;
    return null;
  }

  shortName(t) {
    return this.norm(t).type.replace(/^object:/, '');
  }

  isArray(t) {
    if (typeof this.checker.isArrayType === 'function') return this.checker.isArrayType(t);
    const sym = t.getSymbol();
    return !!sym && (sym.name === 'Array' || sym.name === 'ReadonlyArray');
  }

  // Normalizes a type into {type, nullable?, enum?, expandable?, expands_to?, format?, variants?}.
  // type is one of string, number, boolean, enum, any, map:<T>, array:<T>, object:<Name>, union.
  norm(t) {
    const c = this.checker;
    let members = t.flags & ts.TypeFlags.Union ? t.types.slice() : [t];
    const out = {};
    if (members.some((m) => m.flags & ts.TypeFlags.Null)) out.nullable = true;
    members = members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
    // `''` in a parameter union is Stripe's Emptyable<T>: send an empty string to unset.
    if (members.length > 1 && members.some((m) => m.isStringLiteral() && m.value === '')) {
      out.emptyable = true;
      members = members.filter((m) => !(m.isStringLiteral() && m.value === ''));
    }
    const strLits = members.filter((m) => m.isStringLiteral());
    const numLits = members.filter((m) => m.isNumberLiteral());
    const boolLits = members.filter((m) => m.flags & ts.TypeFlags.BooleanLiteral);
    const rest = members.filter((m) => !m.isStringLiteral() && !m.isNumberLiteral() && !(m.flags & ts.TypeFlags.BooleanLiteral));
    const kinds = [];
    if (strLits.length) {
      // string & {} (OtherString) or plain string next to literals: an open enum
      const open = rest.some((m) => m.flags & ts.TypeFlags.String || (m.flags & ts.TypeFlags.Intersection && m.types.some((x) => x.flags & ts.TypeFlags.String)));
      kinds.push({ type: 'enum', enum: strLits.map((m) => m.value).sort(), ...(open ? { open_enum: true } : {}) });
    }
    if (numLits.length) kinds.push({ type: 'enum', enum: numLits.map((m) => m.value).sort((a, b) => a - b) });
    if (boolLits.length === 2) kinds.push({ type: 'boolean' });
    else if (boolLits.length === 1) kinds.push({ type: 'boolean', enum: [c.typeToString(boolLits[0]) === 'true'] });
    const objects = [];
    for (const m of rest) {
      if (this.isDecimal(m)) {
        kinds.push({ type: 'string', format: 'decimal' }); // stripe-node 23+ parses decimal strings
        continue;
      }
      if (m.flags & ts.TypeFlags.TypeParameter) {
        kinds.push({ type: m.getSymbol().name });
        continue;
      }
      if (strLits.length && (m.flags & ts.TypeFlags.String || m.flags & ts.TypeFlags.Intersection)) continue; // open enum
      if (m.flags & ts.TypeFlags.String) kinds.push({ type: 'string' });
      else if (m.flags & ts.TypeFlags.Number) kinds.push({ type: 'number' });
      else if (m.flags & ts.TypeFlags.Boolean) kinds.push({ type: 'boolean' });
      else if (m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) kinds.push({ type: 'any' });
      else if (m.flags & ts.TypeFlags.Intersection && m.types.some((x) => x.flags & ts.TypeFlags.String)) kinds.push({ type: 'string' });
      else if (this.isArray(m)) {
        const inner = this.norm(c.getTypeArguments(m)[0]);
        const k = { ...inner, type: `array:${inner.type}` };
        if (inner.nullable) {
          k.items_nullable = true;
          delete k.nullable;
        }
        kinds.push(k);
      } else if (m.flags & ts.TypeFlags.Object) {
        const name = this.typeName(m);
        if (name === 'Decimal') {
          kinds.push({ type: 'string', format: 'decimal' });
          continue;
        }
        const props = c.getPropertiesOfType(m);
        const idx = c.getIndexInfosOfType(m);
        if (!props.length && idx.length) {
          kinds.push({ type: `map:${this.norm(idx[0].type).type}` });
          continue;
        }
        objects.push(m);
        kinds.push({ type: `object:${name ?? '<anonymous>'}`, _obj: m });
      } else kinds.push({ type: `unknown:${c.typeToString(m)}` });
    }
    // string | Customer | DeletedCustomer: an expandable reference.
    const strIdx = kinds.findIndex((k) => k.type === 'string' && !k.format);
    const objKinds = kinds.filter((k) => k.type.startsWith('object:'));
    if (strIdx >= 0 && objKinds.length && kinds.length === 1 + objKinds.length) {
      out.type = 'string';
      out.expandable = true;
      out.expands_to = objKinds.map((k) => k.type.slice(7)).sort();
      return out;
    }
    if (kinds.length === 1) {
      const { _obj, ...k } = kinds[0];
      Object.assign(out, k);
      if (_obj) Object.defineProperty(out, '_obj', { value: _obj, enumerable: false });
      return out;
    }
    if (kinds.length === 0) {
      out.type = out.nullable ? 'null' : 'never';
      return out;
    }
    out.type = 'union';
    out.variants = kinds.map(({ _obj, ...k }) => k).sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    Object.defineProperty(out, '_objs', { value: kinds.filter((k) => k._obj).map((k) => k._obj), enumerable: false });
    return out;
  }

  propType(sym) {
    const t = this.checker.getTypeOfSymbol(sym);
    return this.norm(t);
  }

  // An object that is a Stripe resource of its own (has an `object` literal), as opposed to a
  // nested shape that belongs to the object that names it.
  isResource(t) {
    const objProp = this.checker.getPropertyOfType(t, 'object');
    if (!objProp) return false;
    const ot = this.checker.getTypeOfSymbol(objProp);
    const lits = ot.flags & ts.TypeFlags.Union ? ot.types : [ot];
    return lits.some((m) => m.isStringLiteral());
  }

  // Object shapes: the roots plus every nested non-resource type they reach.
  objects(returned) {
    const c = this.checker;
    const out = {};
    const queue = [];
    const rootNames = new Set();
    for (const name of ROOT_OBJECTS) {
      // UpcomingInvoice lingers in some type packages after its endpoint was removed.
      if (name === 'UpcomingInvoice' && !returned.has(name)) continue;
      const t = this.declaredType(name);
      if (!t) continue;
      rootNames.add(name);
      queue.push([name, t]);
    }
    const seen = new Set();
    while (queue.length) {
      const [name, t] = queue.shift();
      if (seen.has(name)) continue;
      seen.add(name);
      const fields = {};
      for (const p of c.getPropertiesOfType(t)) {
        const f = this.propType(p);
        // `deleted?: void` only discriminates Invoice from DeletedInvoice in TypeScript; it is
        // never on the wire.
        if (f.type === 'never') continue;
        f.optional = !!(p.flags & ts.SymbolFlags.Optional);
        f.nullable = !!f.nullable;
        const doc = this.docOf(p);
        if (/not included by default/i.test(doc)) f.includable = true;
        if (this.isDeprecated(p)) f.deprecated = true;
        fields[p.name] = f;
        const objs = f._objs || (f._obj ? [f._obj] : []);
        for (const o of objs) this.enqueueNested(o, rootNames, queue);
        // arrays of nested objects and generics (ApiList<T>) carry their element types
        const inner = this.elementObjects(c.getTypeOfSymbol(p));
        for (const o of inner) this.enqueueNested(o, rootNames, queue);
      }
      out[name] = { fields };
      if (t.isClassOrInterface && t.typeParameters) out[name].type_parameters = t.typeParameters.map((tp) => tp.getSymbol().name);
    }
    return out;
  }

  elementObjects(t) {
    const c = this.checker;
    const res = [];
    const walk = (x, depth) => {
      if (depth > 4) return;
      if (x.flags & ts.TypeFlags.Union) return x.types.forEach((m) => walk(m, depth + 1));
      if (this.isArray(x)) return walk(c.getTypeArguments(x)[0], depth + 1);
      if (this.isDecimal(x)) return;
      if (x.flags & ts.TypeFlags.Object) {
        res.push(x);
        if (x.objectFlags & ts.ObjectFlags.Reference) for (const a of c.getTypeArguments(x)) walk(a, depth + 1);
      }
    };
    walk(t, 0);
    return res;
  }

  enqueueNested(o, rootNames, queue) {
    const name = this.typeName(o);
    if (!name || name === 'Decimal') return;
    const base = name.replace(/<.*$/, '');
    if (ROOT_OBJECTS.includes(base)) return; // roots are emitted on their own, generics once
    if (this.isArray(o)) return;
    const props = this.checker.getPropertiesOfType(o);
    if (!props.length) return; // maps, empty interfaces
    if (this.isResource(o)) return; // another resource: referenced by name only
    queue.push([name, o]);
  }

  // Paths that `expand[]` accepts on an object, from the expandable fields of it and its nested
  // (non-resource) shapes, including list items (`lines.data.…`).
  expandPaths(objects, root) {
    const out = new Set();
    const walk = (name, prefix, depth, trail) => {
      const o = objects[name.replace(/<.*$/, '')];
      if (!o || depth > 5 || trail.includes(name)) return;
      for (const [fname, f] of Object.entries(o.fields)) {
        const here = prefix + fname;
        if (f.expandable || f.includable) out.add(here);
        const types = f.type === 'union' ? f.variants.map((v) => v.type) : [f.type];
        for (const ty of types) {
          const m = ty.match(/^(?:array:)?object:(.+)$/);
          if (!m) continue;
          const inner = m[1];
          const list = inner.match(/^(ApiList|ApiSearchResult)<(.+)>$/);
          if (list) walk(list[2], `${here}.data.`, depth + 1, [...trail, name]);
          else if (objects[inner] && !ROOT_OBJECTS.includes(inner)) walk(inner, `${here}.`, depth + 1, [...trail, name]);
          else if (!objects[inner] && !f.expandable) {
            // an embedded resource (e.g. the pre-basil line's full `price`): its own references
            // expand too (`lines.data.price.product`)
            for (const sub of this.expandableFieldsOf(inner)) out.add(`${here}.${sub}`);
          }
        }
      }
    };
    walk(root, '', 0, []);
    return [...out].sort();
  }

  expandableFieldsOf(name) {
    const base = name.split('.').pop();
    const sym = this.names.get(name) || this.names.get(base);
    if (!sym || this.qualifiedName(sym) !== name) return [];
    const t = this.checker.getDeclaredTypeOfSymbol(sym);
    return this.checker
      .getPropertiesOfType(t)
      .filter((p) => this.propType(p).expandable)
      .map((p) => p.name);
  }

  // Fields the SDK marks optional (`?`): absent from some responses. Stripe's generator uses `?`
  // for includable fields (shown only with `expand[]`) and for conditional ones (e.g.
  // `next_invoice_sequence` with account-level numbering); the type cannot tell them apart.
  optionalPaths(objects, root) {
    const out = new Set();
    const walk = (name, prefix, depth, trail) => {
      const o = objects[name.replace(/<.*$/, '')];
      if (!o || depth > 5 || trail.includes(name)) return;
      for (const [fname, f] of Object.entries(o.fields)) {
        const here = prefix + fname;
        if (f.optional) out.add(here);
        const types = f.type === 'union' ? f.variants.map((v) => v.type) : [f.type];
        for (const ty of types) {
          const m = ty.match(/^(?:array:)?object:(.+)$/);
          if (!m) continue;
          const list = m[1].match(/^(ApiList|ApiSearchResult)<(.+)>$/);
          if (list) walk(list[2], `${here}.data.`, depth + 1, [...trail, name]);
          else if (objects[m[1]] && !ROOT_OBJECTS.includes(m[1])) walk(m[1], `${here}.`, depth + 1, [...trail, name]);
        }
      }
    };
    walk(root, '', 0, []);
    return [...out].sort();
  }

  // Parameter tree of a params interface.
  params(t, depth = 0, trail = []) {
    const c = this.checker;
    const out = {};
    for (const p of c.getPropertiesOfType(t)) {
      const f = this.propType(p);
      const e = { ...f, required: !(p.flags & ts.SymbolFlags.Optional) };
      delete e.nullable;
      if (f.nullable) e.nullable = true;
      if (this.isDeprecated(p)) e.deprecated = true;
      const objs = f._objs || (f._obj ? [f._obj] : []);
      // element objects of arrays
      const elems = this.elementObjects(c.getTypeOfSymbol(p)).filter((o) => !this.isArray(o) && c.getPropertiesOfType(o).length);
      // maps of objects (currency_options[usd][amount]): the value shape
      const pt = c.getNonNullableType(c.getTypeOfSymbol(p));
      for (const m of pt.flags & ts.TypeFlags.Union ? pt.types : [pt]) {
        const idx = m.flags & ts.TypeFlags.Object ? c.getIndexInfosOfType(m) : [];
        const vt = idx.length ? idx[0].type : null;
        if (vt && vt.flags & ts.TypeFlags.Object && !this.isArray(vt) && !c.getPropertiesOfType(m).length && c.getPropertiesOfType(vt).length && depth < 8)
          e.value_fields = this.params(idx[0].type, depth + 1, trail);
      }
      const all = [...new Set([...objs, ...elems])].filter((o) => !(c.getIndexInfosOfType(o).length && !c.getPropertiesOfType(o).length));
      if (all.length && depth < 8) {
        const name = this.typeName(all[0]);
        if (!trail.includes(name)) {
          if (all.length === 1) e.fields = this.params(all[0], depth + 1, [...trail, name]);
          else e.variant_fields = Object.fromEntries(all.map((o) => [this.typeName(o), this.params(o, depth + 1, [...trail, name])]));
        }
      }
      out[p.name] = e;
    }
    return out;
  }

  // HTTP method + path of every SDK method of a resource, from its compiled JavaScript.
  methodSpecs(file) {
    const js = path.join(this.pkgDir, 'cjs', 'resources', `${file}.js`);
    if (!fs.existsSync(js)) return null;
    const sf = ts.createSourceFile(js, fs.readFileSync(js, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
    const specs = {};
    const templatePath = (n) => {
      if (ts.isStringLiteralLike(n)) return n.text;
      if (ts.isTemplateExpression(n)) {
        let s = n.head.text;
        for (const span of n.templateSpans) {
          let e = span.expression;
          if (ts.isCallExpression(e) && e.arguments.length === 1) e = e.arguments[0]; // encodeURIComponent(id)
          s += `{${e.getText(sf)}}` + span.literal.text;
        }
        return s;
      }
      return null;
    };
    const visit = (node) => {
      // pre-22: name: stripeMethod({method: 'POST', fullPath: '/v1/…', methodType})
      if (ts.isPropertyAssignment(node) && ts.isCallExpression(node.initializer) && node.initializer.expression.getText(sf) === 'stripeMethod') {
        const arg = node.initializer.arguments[0];
        const spec = {};
        if (arg && ts.isObjectLiteralExpression(arg))
          for (const pr of arg.properties)
            if (ts.isPropertyAssignment(pr) && ts.isStringLiteralLike(pr.initializer)) spec[pr.name.getText(sf)] = pr.initializer.text;
        specs[node.name.getText(sf)] = { method: spec.method, path: spec.fullPath, ...(spec.methodType ? { method_type: spec.methodType } : {}) };
      }
      // 22+: class method whose body calls this._makeRequest('POST', `/v1/…/${encodeURIComponent(id)}`, …, {methodType})
      if (ts.isMethodDeclaration(node) && node.body) {
        const name = node.name.getText(sf);
        const find = (n) => {
          if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === '_makeRequest') {
            const [m, p, , , extra] = n.arguments;
            const spec = { method: m && ts.isStringLiteralLike(m) ? m.text : null, path: p ? templatePath(p) : null };
            if (extra && ts.isObjectLiteralExpression(extra))
              for (const pr of extra.properties)
                if (ts.isPropertyAssignment(pr) && pr.name.getText(sf) === 'methodType' && ts.isStringLiteralLike(pr.initializer)) spec.method_type = pr.initializer.text;
            specs[name] = spec;
            return;
          }
          ts.forEachChild(n, find);
        };
        find(node.body);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    // Path parameters are named differently by the two layouts ({invoice} vs {id}, {customerId});
    // only their position matters, so every one is written {id}.
    for (const s of Object.values(specs)) if (s.path) s.path = s.path.replace(/\{[^}]+\}/g, '{id}');
    return specs;
  }

  // The class declaring a resource's typed methods (params + return type).
  resourceClass(names) {
    for (const n of names) {
      const sym = this.names.get(n);
      if (sym) return this.checker.getDeclaredTypeOfSymbol(sym);
    }
    return null;
  }

  operations() {
    const c = this.checker;
    const ops = {};
    const params = {};
    for (const r of RESOURCES) {
      const specs = this.methodSpecs(r.file);
      if (!specs) continue;
      const cls = this.resourceClass(r.classes);
      ops[r.key] = {};
      for (const [jsName, spec] of Object.entries(specs)) {
        const op = snake(jsName);
        const entry = { sdk_method: jsName, http_method: spec.method, path: spec.path };
        if (spec.method_type) entry.method_type = spec.method_type;
        let paramsType = null;
        if (cls) {
          const m = c.getPropertyOfType(cls, jsName);
          if (m) {
            const sigs = c.getSignaturesOfType(c.getTypeOfSymbol(m), ts.SignatureKind.Call);
            for (const sig of sigs) {
              const ps = sig.getParameters().find((x) => x.name === 'params');
              if (ps) {
                const pt = c.getNonNullableType(c.getTypeOfSymbol(ps));
                paramsType = pt;
                entry.params_type = this.typeName(pt);
                entry.params_required = !(ps.valueDeclaration && ps.valueDeclaration.questionToken);
                break;
              }
            }
            const ret = sigs[0] && c.getReturnTypeOfSignature(sigs[0]);
            if (ret) entry.returns = this.returnName(ret);
          } else entry.typed = false; // a method spec without a typed method (should not happen)
        }
        ops[r.key][op] = entry;
        if (PARAM_OPS[r.key].includes(op) && paramsType) {
          params[r.key] ??= {};
          params[r.key][op] = this.params(paramsType);
        }
      }
    }
    return { ops, params };
  }

  // Promise<Response<Invoice>> -> Invoice; ApiListPromise<InvoiceLineItem> -> ApiList<InvoiceLineItem>
  returnName(t) {
    const c = this.checker;
    let inner = c.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation).replace(/\bStripe\./g, '');
    let m = inner.match(/^Promise<(.+)>$/);
    if (m) inner = m[1];
    m = inner.match(/^Response<(.+)>$/);
    if (m) inner = m[1];
    m = inner.match(/^ApiListPromise<(.+)>$/);
    if (m) inner = `ApiList<${m[1]}>`;
    m = inner.match(/^ApiSearchResultPromise<(.+)>$/);
    if (m) inner = `ApiSearchResult<${m[1]}>`;
    if (/^[\w.<>]+( \| [\w.<>]+)+$/.test(inner)) inner = inner.split(' | ').sort().join(' | ');
    return inner;
  }

  typesApiVersion() {
    const c = this.checker;
    if (this.newLayout) {
      const f = path.join(this.pkgDir, 'cjs', 'apiVersion.d.ts');
      if (fs.existsSync(f)) {
        const sf = ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
        let v = null;
        const visit = (n) => {
          if (ts.isVariableDeclaration(n) && n.name.getText(sf) === 'ApiVersion' && n.type && ts.isLiteralTypeNode(n.type)) v = n.type.literal.text;
          if (ts.isVariableDeclaration(n) && n.name.getText(sf) === 'ApiVersion' && n.initializer && ts.isStringLiteralLike(n.initializer)) v = n.initializer.text;
          ts.forEachChild(n, visit);
        };
        visit(sf);
        return v;
      }
      return null;
    }
    const t = this.declaredType('LatestApiVersion');
    return t && t.isStringLiteral() ? t.value : t ? c.typeToString(t) : null;
  }
}

function extractOne(opts, rel) {
  const dir = unpacked(opts.cache, rel.package);
  const ex = new Extractor(dir, rel.package);
  const jsConst = constantsFromJs(fs.readFileSync(path.join(dir, rel.source), 'utf8'), rel.source);
  const apiVersion = jsConst.ApiVersion;
  if (apiVersion !== rel.api_version) die(`stripe@${rel.package}: ApiVersion ${apiVersion} != scanned ${rel.api_version}`);
  const typesVersion = ex.typesApiVersion();
  const { ops, params } = ex.operations();
  const returned = new Set(Object.values(ops).flatMap((r) => Object.values(r).map((o) => (o.returns || '').replace(/^Api(List|SearchResult)<(.+)>$/, '$2'))));
  const objects = ex.objects(returned);
  const expandable = {};
  const optional = {};
  for (const root of ROOT_OBJECTS)
    if (objects[root] && !root.startsWith('Api') && !root.startsWith('Deleted')) {
      expandable[root] = ex.expandPaths(objects, root);
      optional[root] = ex.optionalPaths(objects, root);
    }
  const doc = {
    api_version: apiVersion,
    source: {
      package: `${PACKAGE}@${rel.package}`,
      api_version_constant: { file: rel.source, value: apiVersion },
      types_api_version: typesVersion,
      layout: ex.newLayout ? 'cjs/resources/*.d.ts (stripe-node 22+)' : 'types/*.d.ts (stripe-node < 22)',
      extractor: `tools/stripe-schema/extract.mjs with typescript@${ts.version}`,
    },
    objects,
    expandable,
    optional_fields: optional,
    operations: ops,
    params,
  };
  const file = path.join(opts.out, `${apiVersion}.json`);
  writeAtomic(file, stableStringify(doc));
  process.stderr.write(`${apiVersion} <- stripe@${rel.package}: ${Object.keys(objects).length} object shapes, ${fs.statSync(file).size} bytes\n`);
}

function extract(opts, doc) {
  doc ||= JSON.parse(fs.readFileSync(path.join(opts.out, 'packages.json'), 'utf8'));
  let picks = pickReleases(doc);
  if (opts.pkg) {
    // One given release, e.g. to compare the two type layouts for one API version.
    const rel = doc.releases.find((r) => r.package === opts.pkg);
    if (!rel) die(`stripe@${opts.pkg} is not in packages.json`);
    picks = [rel];
  } else if (opts.only) {
    picks = picks.filter((p) => p.api_version === opts.only);
    if (!picks.length) die(`no release pins ${opts.only} (see packages.json)`);
  }
  ensureTarballs(opts.cache, picks.map((p) => p.package));
  for (const rel of picks) extractOne(opts, rel);
}

const opts = parseArgs(process.argv.slice(2));
fs.mkdirSync(opts.cache, { recursive: true });
if (opts.cmd === 'scan') scan(opts);
else if (opts.cmd === 'extract') extract(opts);
else extract(opts, scan(opts));
