import type { Pixels } from './pdf-writer.ts';

// Colour laser printers print a grid of faint yellow dots that encodes the printer's serial
// number and the time (Machine Identification Code). On a scan they are isolated pixels where
// blue dips well below red and green, on a light background, repeating at a fixed pitch. This
// looks for such pixels and for one pitch that most of them share with a neighbour.

export type DotGrid = { dots: number; pitch: number };

const MIN_DOTS = 24;

function isYellow(rgb: Buffer, i: number): boolean {
  const r = rgb[i]!, g = rgb[i + 1]!, b = rgb[i + 2]!;
  return r > 170 && g > 170 && b < Math.min(r, g) - 25 && Math.abs(r - g) < 60;
}

/** Top-left corners of small yellow specks (at most 2 x 2 px) with no yellow around them. */
function specks({ width, height, rgb }: Pixels): [number, number][] {
  const found: [number, number][] = [];
  for (let y = 1; y < height - 4; y++) {
    for (let x = 1; x < width - 4; x++) {
      const i = (y * width + x) * 3;
      if (!isYellow(rgb, i) || isYellow(rgb, i - 3) || isYellow(rgb, i - width * 3)) continue;
      let box = 0;
      for (let dy = -1; dy <= 4; dy++) for (let dx = -1; dx <= 4; dx++) box += +isYellow(rgb, ((y + dy) * width + x + dx) * 3);
      if (box <= 4) found.push([x, y]);
      if (found.length > 200_000) return found; // a yellow picture, not a grid of dots
    }
  }
  return found;
}

/** The grid, or null: a pitch at which more than half of the specks have a speck right or below. */
export function findDotGrid(page: Pixels): DotGrid | null {
  const dots = specks(page);
  if (dots.length < MIN_DOTS || dots.length > 200_000) return null;
  const at = new Set(dots.map(([x, y]) => y * page.width + x));
  const near = (x: number, y: number) => {
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (at.has((y + dy) * page.width + x + dx)) return true;
    return false;
  };
  const shared = (pitch: number) => dots.filter(([x, y]) => near(x + pitch, y) || near(x, y + pitch)).length > dots.length / 2;
  for (let pitch = 4; pitch <= 96; pitch++) {
    // A one-pixel tolerance makes pitch - 1, pitch and pitch + 1 all match: report the middle one.
    if (shared(pitch)) return { dots: dots.length, pitch: shared(pitch + 2) ? pitch + 1 : pitch };
  }
  return null;
}
