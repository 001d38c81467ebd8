// The boundary of the parser: turns whatever arrived (a string or raw bytes) into page text, or
// refuses it with a SpecInputError a person can act on — too large, binary, empty — before any
// parsing work is spent on it.

import { SpecInputError } from './types.ts';

/** Default size limit for one page: Confluence pages above this are exports or attachments, not specs. */
export const MAX_PAGE_BYTES = 5 * 1024 * 1024;

// Above this share of control characters or undecodable bytes the input is not text; a handful of bad
// bytes in a real page (a pasted character from another encoding) is tolerated and reported instead.
const BINARY_RATIO = 0.02;
const BINARY_MIN_COUNT = 16;
const BINARY_RATIO_ALWAYS = 0.2;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function tooLarge(size: number, limit: number): SpecInputError {
  return new SpecInputError(
    'too_large',
    `The page is ${formatBytes(size)} (${size.toLocaleString('en')} bytes), above the limit of ${formatBytes(limit)} (${limit.toLocaleString('en')} bytes). Split it into smaller pages (Confluence child pages work well), one breakdown each.`,
  );
}

function decodeBytes(bytes: Uint8Array): string {
  // Pages saved by Windows tools sometimes arrive as UTF-16 with a byte-order mark.
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
}

/** Counts NULs, other control characters (not tab/newline/CR/form feed) and U+FFFD replacement characters. */
function suspiciousCharacters(text: string): { nul: number; suspicious: number } {
  let nul = 0;
  let suspicious = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) {
      if (c === 0) nul++;
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) suspicious++;
    } else if (c === 0xfffd || (c >= 0x7f && c < 0xa0)) {
      suspicious++;
    }
  }
  return { nul, suspicious };
}

export interface PageText {
  text: string;
  /** Characters that could not be decoded and were replaced (below the binary threshold). */
  replaced: number;
}

export function readPageInput(input: unknown, maxBytes: number): PageText {
  let text: string;
  if (typeof input === 'string') {
    // Cheap upper bound first: a string's UTF-8 size is at most 3 bytes per UTF-16 unit.
    if (input.length > maxBytes || input.length * 3 > maxBytes) {
      const size = Buffer.byteLength(input, 'utf8');
      if (size > maxBytes) throw tooLarge(size, maxBytes);
    }
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooLarge(input.byteLength, maxBytes);
    text = decodeBytes(input);
  } else {
    throw new SpecInputError('unreadable', `The page content must be text or bytes, not ${input === null ? 'null' : typeof input}.`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new SpecInputError('empty', 'The page is empty: there is nothing to break down.');
  const { nul, suspicious } = suspiciousCharacters(text);
  const ratio = suspicious / text.length;
  if (nul > 0 || (ratio > BINARY_RATIO && suspicious >= BINARY_MIN_COUNT) || ratio > BINARY_RATIO_ALWAYS) {
    throw new SpecInputError(
      'binary',
      `The page content looks like binary data, not text (${nul > 0 ? `${nul} NUL bytes` : `${suspicious} undecodable or control characters`}). Export the page body in storage format, Markdown or plain text.`,
    );
  }
  let replaced = 0;
  for (let at = text.indexOf('\ufffd'); at >= 0; at = text.indexOf('\ufffd', at + 1)) replaced++;
  return { text, replaced };
}
