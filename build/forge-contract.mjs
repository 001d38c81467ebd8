// Generates forge/src/contract/publicApi.ts, the Forge app's copy of the public /v1 API contract,
// from core/server/publicApi.ts. The Forge app is built and deployed on its own (`cd forge && npm
// install && forge deploy`), so it cannot import the backend's files; this expands the backend's
// request and response types into plain TypeScript with no imports. `--check` compares instead of
// writing and fails with the command to run when the copy is out of date.
//
//   node build/forge-contract.mjs            regenerate the copy (npm run forge:contract)
//   node build/forge-contract.mjs --check    exit 1 when the copy differs from what would be generated
//   [--source <publicApi.ts>] [--target <file>]  other files (used by the tests)

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The contract's exported types, in the order they are written. */
export const CONTRACT_TYPES = ['CreateJobRequest', 'CreateJobResponse', 'ResyncRequest', 'ResyncRequestResponse', 'JobStatusResponse', 'HealthResponse', 'ApiErrorBody'];

/** Builds the text of the Forge copy from the backend's publicApi.ts. */
export function generateContract(sourceFile = resolve(root, 'core/server/publicApi.ts')) {
  const program = ts.createProgram([sourceFile], {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(sourceFile);
  if (!sf) throw new Error(`Cannot read ${sourceFile}.`);
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  if (!moduleSymbol) throw new Error(`${sourceFile} has no exports.`);
  const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));

  const blocks = [];
  for (const name of CONTRACT_TYPES) {
    const symbol = exported.get(name);
    if (!symbol) throw new Error(`${relative(root, sourceFile)} no longer exports ${name}; update CONTRACT_TYPES in build/forge-contract.mjs and the Forge app.`);
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const doc = docOf(checker, symbol);
    blocks.push(`${doc}export type ${name} = ${printType(checker, type, '', new Set())};`);
  }
  const from = relative(root, sourceFile).split('\\').join('/');
  return [
    `// The public /v1 API contract as the Forge app sees it: generated from ${from} by`,
    '// `npm run forge:contract` (build/forge-contract.mjs); do not edit by hand. The Forge app is deployed',
    "// on its own, so it carries this copy instead of importing the backend; test/forge/contract.test.ts",
    '// fails when the two differ.',
    '',
    ...blocks.flatMap((b) => [b, '']),
  ].join('\n');
}

function docOf(checker, symbol, indent = '') {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  if (!text) return '';
  return `${indent}/** ${text.replace(/\s*\n\s*/g, ' ')} */\n`;
}

/** Prints a type structurally: objects, unions, literals, arrays, records; never a name from another file. */
function printType(checker, type, indent, seen) {
  const F = ts.TypeFlags;
  if (type.flags & F.String) return 'string';
  if (type.flags & F.Number) return 'number';
  if (type.flags & F.Boolean) return 'boolean';
  if (type.flags & F.Null) return 'null';
  if (type.flags & F.Undefined) return 'undefined';
  if (type.flags & F.Unknown) return 'unknown';
  if (type.flags & F.Any) return 'unknown';
  if (type.flags & F.Never) return 'never';
  if (type.flags & F.BooleanLiteral) return checker.typeToString(type);
  if (type.flags & F.StringLiteral) return JSON.stringify(type.value).replace(/"/g, "'");
  if (type.flags & F.NumberLiteral) return String(type.value);
  if (type.flags & F.Union) {
    const manyObjects = type.types.filter((t) => t.flags & F.Object).length > 1;
    let parts = type.types.map((t) => printType(checker, t, manyObjects ? indent + '  ' : indent, seen));
    // `true | false` is how the checker spells boolean inside a union.
    if (parts.includes('true') && parts.includes('false')) parts = [...parts.filter((p) => p !== 'true' && p !== 'false'), 'boolean'];
    // null and undefined last, as people write them.
    const nullish = (p) => p === 'null' || p === 'undefined';
    const unique = [...new Set([...parts.filter((p) => !nullish(p)), ...parts.filter(nullish)])];
    if (manyObjects) return '\n' + unique.map((p) => `${indent}  | ${p}`).join('\n');
    return unique.join(' | ');
  }
  if (checker.isArrayType(type)) {
    const [el] = checker.getTypeArguments(type);
    const inner = printType(checker, el, indent, seen);
    return /[|&\s]/.test(inner) && !inner.startsWith('{') ? `(${inner})[]` : `${inner}[]`;
  }
  // An intersection of object types (`View & { extra?: string }`) is printed as the one object it makes.
  if (type.flags & F.Object || (type.flags & F.Intersection && type.types.every((t) => t.flags & F.Object))) {
    if (seen.has(type)) throw new Error(`The contract type ${checker.typeToString(type)} refers to itself; the generator cannot expand it.`);
    const next = new Set(seen).add(type);
    const props = checker.getPropertiesOfType(type);
    const index = checker.getIndexInfosOfType(type);
    if (props.length === 0 && index.length === 1 && index[0].keyType.flags & F.String) {
      return `Record<string, ${printType(checker, index[0].type, indent, next)}>`;
    }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) {
      throw new Error(`The contract type ${checker.typeToString(type)} is a function; the public API carries data only.`);
    }
    const inner = indent + '  ';
    const lines = props.map((p) => {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      let pt = checker.getTypeOfSymbolAtLocation(p, decl ?? p.declarations?.[0]);
      if (optional) pt = checker.getNonNullableType(pt) === pt ? pt : removeUndefined(checker, pt);
      const readonly = decl && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly ? 'readonly ' : '';
      const printed = printType(checker, pt, inner, next);
      return `${docOf(checker, p, inner)}${inner}${readonly}${propName(p.name)}${optional ? '?' : ''}:${printed.startsWith('\n') ? '' : ' '}${printed};`;
    });
    for (const info of index) {
      if (info.keyType.flags & F.String) lines.push(`${inner}[key: string]: ${printType(checker, info.type, inner, next)};`);
    }
    return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
  }
  throw new Error(`The contract uses a type the generator does not know how to copy: ${checker.typeToString(type)}.`);
}

function removeUndefined(checker, type) {
  if (!(type.flags & ts.TypeFlags.Union)) return type;
  const kept = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
  return kept.length === type.types.length ? type : { ...type, types: kept, flags: type.flags };
}

function propName(name) {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function main(argv) {
  const arg = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const source = resolve(arg('--source') ?? resolve(root, 'core/server/publicApi.ts'));
  const target = resolve(arg('--target') ?? resolve(root, 'forge/src/contract/publicApi.ts'));
  const text = generateContract(source);
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // A missing copy is out of date like any other.
    }
    if (current !== text) {
      console.error(`${relative(process.cwd(), target) || target} does not match ${relative(process.cwd(), source) || source}: the public API changed. Run \`npm run forge:contract\` and commit the regenerated file (the Forge app uses its own copy of the contract).`);
      process.exit(1);
    }
    console.log(`${relative(root, target)} matches ${relative(root, source)}.`);
    return;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`Wrote ${relative(root, target)} from ${relative(root, source)}.`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
