/**
 * JSON.stringify's output, as a UTF-8 Buffer, for the large answers of batch routes (`{"results": [...]}`
 * with thousands of items, several megabytes).
 *
 * Why not JSON.stringify: V8 returns a big result as a tree of string pieces. Fastify then counts its bytes
 * and the socket encodes it, and both first flatten the tree: for a 620 KB answer that costs about four times
 * the stringify itself (1 ms to stringify, 4–5 ms with the byte count and the encode). Here long arrays are
 * stringified a slice of items at a time; each slice is a small flat string, copied straight into the buffer.
 *
 * Frozen items of long arrays are taken for shared answers (deeply frozen, handed out again for the same
 * question: ReferenceService's kept outcomes): each one's text is kept with it and copied, not stringified
 * again — stringifying is most of what a repeated batch answer costs.
 *
 * The bytes equal `Buffer.from(JSON.stringify(value))` for plain data (objects, arrays, strings, numbers,
 * booleans, null, nested in any way; `toJSON` methods are honoured). One difference no answer of this service
 * relies on: a `toJSON(key)` inside a long array receives its index within the slice (or '' for a frozen
 * item), not within the array.
 */
const SLICE = 64; // items per slice: small enough to stay flat, large enough to keep the per-slice cost low

/** The JSON text of frozen array items, kept for as long as the item lives. */
const keptTexts = new WeakMap<object, string>();

export function toJsonBuffer(value: object): Buffer {
  const writer = new BufferWriter();
  const resolved = resolve(value, '');
  if (isOmitted(resolved)) throw new TypeError('toJsonBuffer: the value has no JSON form');
  writeResolved(writer, resolved);
  return writer.result();
}

/** What JSON.stringify writes in the value's place: the result of its `toJSON(key)`, if it has one. */
function resolve(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

/** Values JSON.stringify leaves out of objects (and writes as null in arrays). */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function writeResolved(writer: BufferWriter, value: unknown): void {
  if (Array.isArray(value)) writeArray(writer, value);
  else if (value !== null && typeof value === 'object' && isPlainObject(value)) writeObject(writer, value as Record<string, unknown>);
  else writer.write(JSON.stringify(value));
}

function writeArray(writer: BufferWriter, items: readonly unknown[]): void {
  writer.write('[');
  if (items.length <= SLICE) {
    items.forEach((item, index) => {
      if (index > 0) writer.write(',');
      const value = resolve(item, String(index));
      if (isOmitted(value)) writer.write('null');
      else writeResolved(writer, value);
    });
  } else {
    // Runs of ordinary items go in slices; a frozen item is written from its kept text.
    let runStart = 0;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      if (typeof item !== 'object' || item === null || !Object.isFrozen(item)) continue;
      writeSlices(writer, items, runStart, index);
      if (index > 0) writer.write(',');
      writer.write(keptTextOf(item));
      runStart = index + 1;
    }
    writeSlices(writer, items, runStart, items.length);
  }
  writer.write(']');
}

/** Items [from, to) of a long array, a slice at a time (each slice a small flat string), with their commas. */
function writeSlices(writer: BufferWriter, items: readonly unknown[], from: number, to: number): void {
  for (let start = from; start < to; start += SLICE) {
    const slice = JSON.stringify(items.slice(start, Math.min(start + SLICE, to)));
    if (start > 0) writer.write(',');
    writer.write(slice, 1, slice.length - 1); // without the slice's own brackets
  }
}

function keptTextOf(item: object): string {
  let text = keptTexts.get(item);
  if (text === undefined) {
    text = JSON.stringify(item) ?? 'null'; // a toJSON may answer undefined: null in an array
    keptTexts.set(item, text);
  }
  return text;
}

function writeObject(writer: BufferWriter, object: Record<string, unknown>): void {
  writer.write('{');
  let first = true;
  for (const key of Object.keys(object)) {
    const value = resolve(object[key], key);
    if (isOmitted(value)) continue;
    writer.write(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
    first = false;
    writeResolved(writer, value);
  }
  writer.write('}');
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** A growing byte buffer written with UTF-8 strings. */
class BufferWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  write(text: string, start = 0, end = text.length): void {
    const part = start === 0 && end === text.length ? text : text.slice(start, end);
    const worst = this.length + part.length * 3; // a UTF-16 unit is at most 3 UTF-8 bytes
    if (worst > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(worst, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(part, this.length, 'utf8');
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
