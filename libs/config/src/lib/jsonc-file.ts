import { readFileSync } from 'node:fs';
import { parse, ParseError, printParseErrorCode } from 'jsonc-parser';
import { ConfigError } from './config-error';

/** Line and column (both from 1) of a character offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

/**
 * Reads a JSON-with-comments file (trailing commas allowed) and returns its value; a
 * missing file or a syntax error becomes a ConfigError naming the file and the position.
 */
export function readJsoncFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, null, code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? String(err)})`);
  }
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0];
    const { line, column } = position(text, first.offset);
    throw new ConfigError(path, null, `syntax error at line ${line}, column ${column}: ${printParseErrorCode(first.error)}`);
  }
  if (value === undefined) {
    throw new ConfigError(path, null, 'the file is empty; expected a JSON object');
  }
  return value;
}
