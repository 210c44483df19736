/**
 * Dot products of one query vector with many rows, in WebAssembly's 128-bit
 * SIMD (four float32 lanes): about 8× faster than the plain JavaScript loop
 * over the PostgreSQL manual's 14,920 vectors (1 ms against 9 ms), and
 * approximate: the sums are float32, not float64. Callers use them to find
 * the candidates, then score those exactly (app/passageVectorIndex.ts), with
 * {@link dotErrorBound} saying how far off a sum can be.
 *
 * The module is tiny (one function), so it is assembled here from its
 * instructions rather than shipped as a binary: every byte below is explained.
 * Where WebAssembly SIMD is missing, a JavaScript loop computes the same
 * contract (there, exactly).
 *
 * Layout, in the memory the caller passes (all offsets in bytes, multiples of 16):
 * the query at `q`, `rows` rows of `stride` bytes each from `base`, and one
 * float32 per row written at `out`. `stride` must be a multiple of 32 bytes
 * (8 floats: the loop reads two vectors of four per step); pad with zeros.
 */

/** Floats per step of the loop: rows and the query are padded to a multiple of this. */
export const DOT_LANES = 8;

export type DotsFunction = (q: number, base: number, rows: number, stride: number, out: number) => void;

/**
 * How far an approximate dot product of `dimensions` floats can be from the
 * exact one, as a fraction of Σ|qᵢ·vᵢ| (which is at most |q|·|v|, so for a
 * cosine this bounds the error itself). Each lane adds dimensions/8 products
 * one after another, then the two accumulators and the four lanes are added:
 * at most n = dimensions/8 + 5 float32 roundings in a row, and the classic
 * bound γₙ = n·u / (1 − n·u) with u = 2⁻²⁴ (Higham, "Accuracy and Stability
 * of Numerical Algorithms", §3.1). Doubled for safety.
 */
export function dotErrorBound(dimensions: number): number {
  const n = Math.ceil(dimensions / DOT_LANES) + 5;
  const u = 2 ** -24;
  return (2 * n * u) / (1 - n * u);
}

// --- WebAssembly binary encoding (https://webassembly.github.io/spec/core/binary/) ---

const unsignedLeb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const signedLeb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...unsignedLeb(bytes.length), ...bytes];
const name = (s: string): number[] => vector([...new TextEncoder().encode(s)].map((b) => [b]));

const I32 = 0x7f;
const V128 = 0x7b;
const FUNC_TYPE = 0x60;
const EMPTY_BLOCK = 0x40;
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
  f32Add: 0x92,
  f32Store: 0x38,
};
/** SIMD instructions: prefix 0xfd, then the opcode as an unsigned LEB128. */
const simd = (code: number): number[] => [0xfd, ...unsignedLeb(code)];
const v128Load = (offset: number) => [...simd(0x00), 4, ...unsignedLeb(offset)]; // align 2^4, offset
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)]; // v128.const 0
const f32x4ExtractLane = (lane: number) => [...simd(0x1f), lane];
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const get = (i: number) => [op.localGet, i];
const set = (i: number) => [op.localSet, i];
const i32 = (n: number) => [op.i32Const, ...signedLeb(n)];

// Parameters 0–4: q, base, rows, stride, out. Locals: 5 r (row), 6 j (byte in the row), 7–8 two v128 accumulators.
const [Q, BASE, ROWS, STRIDE, OUT, R, J, ACC0, ACC1] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

/** acc += load(q + j + offset) * load(base + j + offset) */
const multiplyAdd = (acc: number, offset: number) => [
  ...get(acc),
  ...get(Q), ...get(J), op.i32Add, ...v128Load(offset),
  ...get(BASE), ...get(J), op.i32Add, ...v128Load(offset),
  ...f32x4Mul, ...f32x4Add, ...set(acc),
];

const body = [
  ...i32(0), ...set(R),
  op.block, EMPTY_BLOCK, op.loop, EMPTY_BLOCK, // for (r = 0; r < rows; r++)
  ...get(R), ...get(ROWS), op.i32GeU, op.brIf, 1,
  ...v128Zero, ...set(ACC0),
  ...v128Zero, ...set(ACC1),
  ...i32(0), ...set(J),
  op.block, EMPTY_BLOCK, op.loop, EMPTY_BLOCK, // for (j = 0; j < stride; j += 32): two accumulators, so two additions can be in flight
  ...get(J), ...get(STRIDE), op.i32GeU, op.brIf, 1,
  ...multiplyAdd(ACC0, 0),
  ...multiplyAdd(ACC1, 16),
  ...get(J), ...i32(32), op.i32Add, ...set(J),
  op.br, 0,
  op.end, op.end,
  ...get(ACC0), ...get(ACC1), ...f32x4Add, ...set(ACC0),
  // out[r] = ((lane0 + lane1) + lane2) + lane3
  ...get(OUT), ...get(R), ...i32(2), op.i32Shl, op.i32Add,
  ...get(ACC0), ...f32x4ExtractLane(0), ...get(ACC0), ...f32x4ExtractLane(1), op.f32Add,
  ...get(ACC0), ...f32x4ExtractLane(2), op.f32Add,
  ...get(ACC0), ...f32x4ExtractLane(3), op.f32Add,
  op.f32Store, 2, 0, // align 2^2, offset 0
  ...get(BASE), ...get(STRIDE), op.i32Add, ...set(BASE),
  ...get(R), ...i32(1), op.i32Add, ...set(R),
  op.br, 0,
  op.end, op.end,
  op.end,
];

const code = [...vector([[2, I32], [2, V128]]), ...body];

/** The module: imports `env.memory`, exports `dots(q, base, rows, stride, out)`. */
export const DOTS_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, vector([[FUNC_TYPE, ...vector([[I32], [I32], [I32], [I32], [I32]]), 0]])), // type 0: (i32 ×5) → ()
  ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])), // import memory, min 1 page
  ...section(3, vector([[0]])), // function 0 has type 0
  ...section(7, vector([[...name("dots"), 0x00, 0]])), // export function 0 as "dots"
  ...section(10, vector([[...unsignedLeb(code.length), ...code]])),
]);

let compiled: WebAssembly.Module | null | undefined;

/** Whether this runtime runs the SIMD module (Node has since 16.4). */
export function simdAvailable(): boolean {
  if (compiled === undefined) compiled = WebAssembly.validate(DOTS_MODULE) ? new WebAssembly.Module(DOTS_MODULE) : null;
  return compiled !== null;
}

/** `dots` over `memory`: the SIMD module where it runs, else the JavaScript loop (`forceJs` for tests). */
export function dotsOver(memory: WebAssembly.Memory, options: { forceJs?: boolean } = {}): DotsFunction {
  if (!options.forceJs && simdAvailable()) {
    const instance = new WebAssembly.Instance(compiled!, { env: { memory } });
    return instance.exports.dots as DotsFunction;
  }
  return (q, base, rows, stride, out) => {
    const f = new Float32Array(memory.buffer);
    const n = stride / 4;
    for (let r = 0; r < rows; r++) {
      const at = (base + r * stride) / 4;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += f[q / 4 + i]! * f[at + i]!;
      f[out / 4 + r] = sum;
    }
  };
}
