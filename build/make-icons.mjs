#!/usr/bin/env node
// `npm run icons`: renders build/resources/icon.svg — the one source drawing — into every icon the
// desktop app and its installers use: the app icon as PNG (16–1024 px, for Linux), ICO (Windows)
// and ICNS (macOS); the tray icon for each state colour as PNG at 16/24/32/48 px with @2x versions
// and as ICO; and a macOS template image (black and alpha only, so the menu bar can tint it).
// The rasteriser and the PNG, ICO and ICNS encoders are here (no image tool needed). Output is
// byte-for-byte reproducible; the generated files are committed so packaging needs no build step.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const SOURCE = join(root, 'build', 'resources', 'icon.svg');

/** Tray state colours (desktop/trayView.ts's TrayColour). */
export const STATE_COLOURS = { grey: '#8a8f98', blue: '#3478f6', green: '#2ea043', amber: '#db9400', red: '#cf222e' };
export const TRAY_SIZES = [16, 24, 32, 48];
export const APP_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

// ---------------------------------------------------------------------------------------------
// The drawing: a small SVG subset, parsed into shapes in paint order.

const num = (v, what) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`icon.svg: ${what} must be a number, got ${JSON.stringify(v)}`);
  return n;
};

function parseColour(hex, where) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex ?? '');
  if (!m) throw new Error(`icon.svg: ${where} needs fill="#rrggbb", got ${JSON.stringify(hex)}`);
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * @param {string} svg
 * @returns {{ size: number, shapes: Array<{ type: string, fill: number[], role?: string, stateFill: boolean, [k: string]: unknown }> }}
 */
export function parseDrawing(svg) {
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  if (!viewBox || viewBox[1] !== viewBox[2]) throw new Error('icon.svg: needs a square viewBox="0 0 N N"');
  const shapes = [];
  for (const m of svg.matchAll(/<(rect|circle|polygon)\b([^>]*)\/>/g)) {
    const attrs = Object.fromEntries([...m[2].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
    const where = `<${m[1]}> #${shapes.length + 1}`;
    const base = { type: m[1], fill: parseColour(attrs.fill, where), role: attrs['data-role'], stateFill: attrs['data-fill'] === 'state' };
    if (m[1] === 'rect') shapes.push({ ...base, x: num(attrs.x, 'x'), y: num(attrs.y, 'y'), w: num(attrs.width, 'width'), h: num(attrs.height, 'height'), rx: num(attrs.rx ?? 0, 'rx') });
    else if (m[1] === 'circle') shapes.push({ ...base, cx: num(attrs.cx, 'cx'), cy: num(attrs.cy, 'cy'), r: num(attrs.r, 'r') });
    else {
      const pts = (attrs.points ?? '').trim().split(/\s+/).map((p) => p.split(',').map((c) => num(c, 'points')));
      if (pts.length < 3 || pts.some((p) => p.length !== 2)) throw new Error(`icon.svg: ${where} needs points="x,y x,y x,y…"`);
      shapes.push({ ...base, pts });
    }
  }
  if (shapes.length === 0) throw new Error('icon.svg: no rect, circle or polygon to draw');
  return { size: Number(viewBox[1]), shapes };
}

function inside(s, x, y) {
  if (s.type === 'circle') return (x - s.cx) ** 2 + (y - s.cy) ** 2 <= s.r * s.r;
  if (s.type === 'rect') {
    if (x < s.x || y < s.y || x > s.x + s.w || y > s.y + s.h) return false;
    const r = Math.min(s.rx, s.w / 2, s.h / 2);
    const dx = Math.max(s.x + r - x, 0, x - (s.x + s.w - r));
    const dy = Math.max(s.y + r - y, 0, y - (s.y + s.h - r));
    return dx * dx + dy * dy <= r * r;
  }
  let odd = false;
  const p = s.pts;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
    if (p[i][1] > y !== p[j][1] > y && x < ((p[j][0] - p[i][0]) * (y - p[i][1])) / (p[j][1] - p[i][1]) + p[i][0]) odd = !odd;
  }
  return odd;
}

/**
 * Renders the drawing at size×size pixels (RGBA, not premultiplied), 4×4 samples per pixel.
 * @param {{ size: number, shapes: any[] }} drawing
 * @param {number} size
 * @param {{ state?: string, template?: boolean }} [o] state: tray colour (status shapes drawn); template: black/alpha knock-out
 */
export function render(drawing, size, o = {}) {
  const stateRgb = o.state ? parseColour(STATE_COLOURS[o.state], `state ${o.state}`) : undefined;
  const shapes = drawing.shapes.filter((s) => (s.role === 'status' ? Boolean(stateRgb) && !o.template : true));
  const out = Buffer.alloc(size * size * 4);
  const S = 4;
  const scale = drawing.size / size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) * scale;
          const y = (py + (sy + 0.5) / S) * scale;
          let hit;
          for (const s of shapes) if (inside(s, x, y)) hit = s;
          if (!hit) continue;
          if (o.template) {
            // Light shapes are cut out of the silhouette; everything else is opaque black.
            const light = hit.fill[0] + hit.fill[1] + hit.fill[2] > 3 * 170;
            if (!light) a += 1;
            continue;
          }
          const c = hit.stateFill && stateRgb ? stateRgb : hit.fill;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0 && !o.template) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
      }
      out[i + 3] = Math.round((a / (S * S)) * 255);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoders.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG (8-bit RGBA, no interlace) of a size×size RGBA buffer. */
export function encodePng(rgba, size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** ICO holding PNG images (Windows Vista and later), one per size. */
export function encodeIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach(({ size, png }, i) => {
    const e = i * 16;
    dir[e] = size >= 256 ? 0 : size;
    dir[e + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(png.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...images.map((i) => i.png)]);
}

/** ICNS element types holding PNG data, by pixel size (the @2x types share sizes with larger 1x ones). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

export function encodeIcns(pngBySize) {
  const parts = ICNS_TYPES.map(([type, size]) => {
    const png = pngBySize.get(size);
    if (!png) throw new Error(`ICNS needs a ${size} px image`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

// ---------------------------------------------------------------------------------------------

/**
 * Writes every icon into outDir (build/resources by default); returns the files written.
 * @param {{ outDir?: string, source?: string }} [o]
 */
export function makeIcons(o = {}) {
  const outDir = resolve(o.outDir ?? join(root, 'build', 'resources'));
  const drawing = parseDrawing(readFileSync(o.source ?? SOURCE, 'utf8'));
  const written = [];
  const write = (rel, data) => {
    const file = join(outDir, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, data);
    written.push(file);
  };

  const app = new Map(APP_SIZES.map((s) => [s, encodePng(render(drawing, s), s)]));
  rmSync(join(outDir, 'icons'), { recursive: true, force: true });
  for (const [s, png] of app) write(join('icons', `${s}x${s}.png`), png);
  write('icon.png', app.get(1024));
  write('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((s) => ({ size: s, png: app.get(s) }))));
  write('icon.icns', encodeIcns(app));

  rmSync(join(outDir, 'tray'), { recursive: true, force: true });
  for (const state of Object.keys(STATE_COLOURS)) {
    const pngs = new Map();
    for (const s of new Set([...TRAY_SIZES, ...TRAY_SIZES.map((t) => t * 2)])) pngs.set(s, encodePng(render(drawing, s, { state }), s));
    // Electron picks name@2x.png on high-density screens when loading name.png.
    write(join('tray', `tray-${state}.png`), pngs.get(16));
    write(join('tray', `tray-${state}@2x.png`), pngs.get(32));
    for (const s of TRAY_SIZES.slice(1)) {
      write(join('tray', `tray-${state}-${s}.png`), pngs.get(s));
      write(join('tray', `tray-${state}-${s}@2x.png`), pngs.get(s * 2));
    }
    write(join('tray', `tray-${state}.ico`), encodeIco([16, 24, 32, 48].map((s) => ({ size: s, png: pngs.get(s) }))));
  }
  // macOS menu bar: a name ending in "Template" tells Electron to let the system tint it.
  write(join('tray', 'trayTemplate.png'), encodePng(render(drawing, 16, { template: true }), 16));
  write(join('tray', 'trayTemplate@2x.png'), encodePng(render(drawing, 32, { template: true }), 32));
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const started = Date.now();
    const files = makeIcons({ outDir: process.argv[2] });
    console.log(`icons: ${files.length} files written from build/resources/icon.svg in ${Date.now() - started} ms`);
  } catch (err) {
    console.error(`make-icons: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
