import type { PredictResult } from '@shelfwatch/shared';
import sharp from 'sharp';

const ROW_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/**
 * Draws a prediction onto the upright photo with an SVG overlay: one colour per shelf row (its
 * products outlined, its baseline drawn along `line`, the row's number and count under the line's
 * left end, tilted with it), gaps hatched red.
 * @param format output format (from the file extension)
 */
export async function annotateImage(
  image: Uint8Array,
  result: PredictResult,
  format: 'png' | 'jpeg' | 'webp' = 'png',
): Promise<Buffer> {
  const { width, height } = result.image;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 400));
  const font = Math.max(14, Math.round(Math.min(width, height) / 45));
  const rect = (b: readonly number[], style: string) =>
    `<rect x="${b[0]}" y="${b[1]}" width="${b[2]! - b[0]!}" height="${b[3]! - b[1]!}" ${style}/>`;
  const colour = (row: number) => ROW_COLOURS[row % ROW_COLOURS.length];
  const parts: string[] = [
    '<defs><pattern id="hatch" width="12" height="12" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
    '<rect width="6" height="12" fill="rgba(230,0,0,0.35)"/></pattern></defs>',
  ];
  for (const d of result.detections)
    parts.push(rect(d.box, `fill="none" stroke="${colour(d.row)}" stroke-width="${stroke}"`));
  result.shelf.rows.forEach((row, i) => {
    for (const gap of row.gaps)
      parts.push(rect(gap, `fill="url(#hatch)" stroke="#e00000" stroke-width="${stroke}"`));
    const [[x1, y1], [x2, y2]] = row.line;
    parts.push(
      `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colour(i)}" stroke-width="${stroke * 2}" stroke-linecap="round"/>`,
    );
    const label = `row ${i + 1}: ${row.count}${row.gaps.length ? `, ${row.gaps.length} gap${row.gaps.length > 1 ? 's' : ''}` : ''}`;
    const angle = (Math.atan2(y2 - y1, x2 - x1 || 1) * 180) / Math.PI;
    parts.push(
      `<text x="${x1 + stroke}" y="${Math.min(y1 + font + stroke, height - 1.5 * font)}" transform="rotate(${angle.toFixed(2)} ${x1} ${y1})" font-family="sans-serif" font-size="${font}" font-weight="bold" fill="${colour(i)}" stroke="#fff" stroke-width="${Math.max(1, font / 8)}" paint-order="stroke">${label}</text>`,
    );
  });
  parts.push(
    `<text x="${font / 2}" y="${height - font / 2}" font-family="sans-serif" font-size="${font * 1.3}" font-weight="bold" fill="#000" stroke="#fff" stroke-width="${font / 6}" paint-order="stroke">${result.count} products, ${result.shelf.rows.length} rows</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  const base = sharp(image, { limitInputPixels: false, pages: 1 })
    .rotate()
    .flatten({ background: '#ffffff' });
  return base
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .toFormat(format)
    .toBuffer();
}
